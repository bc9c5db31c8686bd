// @vitest-environment happy-dom
// The same page code in happy-dom; the document stays at http://localhost:3000, softkey calls from the origin given.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { installSoftkey, type SoftkeyTesting } from 'softkey/testing';
import { signIn, signUp } from './page.js';
import { relyingParty } from './rp.js';

let softkey: SoftkeyTesting;
beforeEach(async () => {
  softkey = await installSoftkey({
    origin: 'https://example.com',
    passkeys: [{ rpId: 'example.com', userName: 'ada' }],
  });
});
afterEach(() => softkey.uninstall());

it('signs in with a pre-registered passkey, then registers another', async () => {
  const rp = relyingParty('example.com', 'https://example.com');
  const [ada] = softkey.preRegistered;
  rp.credentials.set(ada!.credentialId, {
    id: ada!.credentialId,
    publicKey: Buffer.from(ada!.publicKey, 'base64url'),
    counter: 0,
  });
  expect((await signIn(rp)).verified).toBe(true);
  expect((await signUp(rp, 'grace')).verified).toBe(true);
  expect((await softkey.control.credentials()).map((c) => c.userName).sort()).toEqual(['ada', 'grace']);
});

it('turns presence off through the control API: the page gets NotAllowedError', async () => {
  await softkey.control.setPresence({ mode: 'deny' });
  await expect(signUp(relyingParty('example.com', 'https://example.com'), 'ada')).rejects.toMatchObject({
    name: 'NotAllowedError',
  });
  softkey.failNext('SecurityError');
  await expect(signIn(relyingParty('example.com', 'https://example.com'))).rejects.toMatchObject({
    name: 'SecurityError',
  });
});
