/**
 * The ceremony timeout follows the RP's options.timeout (WebAuthn L3 §5.1.3/§5.1.4 lifetimeTimer):
 * key.client keeps a 1 s timeout as given (Chromium with its testing API does the same), a plain
 * WebAuthnClient corrects it into Chromium's 10 s–10 min range. Nothing here measures time: the
 * timer's value is read from the error.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openSoftKey, WebAuthnError, type SoftKey } from '../../src/index.js';
import * as b64u from '../../src/encoding/base64url.js';
import { ORIGIN, RP_ID, randomBytes } from './device.js';

const creation = (timeout?: number) => ({
  rp: { name: 'Timeout test', id: RP_ID },
  user: { id: b64u.encode(randomBytes(16)), name: 'ada', displayName: 'Ada' },
  challenge: b64u.encode(randomBytes(32)),
  pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
  ...(timeout !== undefined && { timeout }),
  authenticatorSelection: { userVerification: 'discouraged' },
});

describe('ceremony timeout', () => {
  let key: SoftKey;
  before(async () => {
    // 'prompt'-like presence that never answers by itself: the RP's timer must end the ceremony.
    key = await openSoftKey({ dataDir: ':memory:', presence: 'timeout', userActionTimeoutMs: 120_000 });
  });
  after(() => key.close());

  it('a 1 s RP timeout on key.client → NotAllowedError after 1000 ms, and the prompt is withdrawn', async () => {
    const e = await key.client.create(creation(1000), { origin: ORIGIN }).then(
      () => assert.fail('create() must not succeed without presence'),
      (err: unknown) => err,
    );
    assert.ok(e instanceof WebAuthnError, String(e));
    assert.equal(e.name, 'NotAllowedError');
    assert.match(e.message, /timed out after 1000 ms/);
    await new Promise((r) => setImmediate(r)); // the port answers a cancelled request one turn later
    assert.deepEqual(key.control.prompts(), [], 'the cancelled request leaves no prompt behind');
  });

  it('a get() with a 1 s RP timeout also ends in NotAllowedError after 1000 ms', async () => {
    const e = await key.client
      .get(
        { challenge: b64u.encode(randomBytes(32)), rpId: RP_ID, timeout: 1000, userVerification: 'discouraged' },
        { origin: ORIGIN },
      )
      .then(
        () => assert.fail('get() must not succeed'),
        (err: unknown) => err,
      );
    assert.ok(e instanceof WebAuthnError);
    assert.equal(e.name, 'NotAllowedError');
  });

  it('client.timeouts overrides the range: { min: 1500 } corrects a 1 s timeout up to 1500 ms', async () => {
    const other = await openSoftKey({
      dataDir: ':memory:',
      presence: 'timeout',
      userActionTimeoutMs: 120_000,
      client: { timeouts: { min: 1500 } },
    });
    try {
      const e = await other.client.create(creation(1000), { origin: ORIGIN }).then(
        () => assert.fail('must not succeed'),
        (err: unknown) => err,
      );
      assert.ok(e instanceof WebAuthnError);
      assert.match(e.message, /timed out after 1500 ms/);
    } finally {
      await other.close();
    }
  });
});
