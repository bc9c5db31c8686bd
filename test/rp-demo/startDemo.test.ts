/**
 * startDemo (the demo relying party as a library) and the demo's WebAuthn L3 endpoints, with
 * softkey's client playing the browser: the authenticator choice as hints and attachment, the
 * /.well-known/webauthn document and a sign-up from a related origin, the autofill sign-in's own
 * challenge, and the passkey upgrade's options for the signed-in user.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openSoftKey, startDemo, type SoftKey } from '../../src/index.js';
import type { RelatedOriginsFetch } from '../../src/client/relatedOrigins.js';
import type { DemoServer } from '../../src/rp-demo/server.js';

/** A cookie-keeping HTTP client as one browser tab; `host` overrides the Host header's name. */
function tab(base: string) {
  let cookie = '';
  return async (path: string, body?: unknown): Promise<{ status: number; json: Record<string, any> }> => {
    const res = await fetch(new URL(path, base), {
      method: body === undefined ? 'GET' : 'POST',
      headers: { ...(cookie && { cookie }), ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const set = res.headers.get('set-cookie');
    if (set) cookie = set.split(';')[0]!;
    return { status: res.status, json: (await res.json().catch(() => ({}))) as Record<string, any> };
  };
}

const RELATED = 'https://shop.example.co.uk';

describe('startDemo', () => {
  let dir: string;
  let demo: DemoServer;
  let key: SoftKey;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'softkey-demo-'));
    demo = await startDemo({ port: 0, dataDir: join(dir, 'rp'), server: { relatedOrigins: [RELATED] } });
    // https://localhost/.well-known/webauthn is this demo's document.
    const fetcher: RelatedOriginsFetch = (url, init) => fetch(`${demo.origin}${new URL(url).pathname}`, init) as never;
    key = await openSoftKey({
      dataDir: ':memory:',
      profile: 'bitwarden',
      client: { relatedOrigins: { fetch: fetcher } },
    });
  });
  after(async () => {
    await key.close();
    await demo.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts on a free port with its database in the data directory', () => {
    assert.ok(demo.port > 0);
    assert.equal(demo.url, `http://localhost:${demo.port}/`);
    assert.ok(existsSync(join(dir, 'rp', 'demo.sqlite')));
  });

  it('turns the authenticator choice into hints and authenticatorAttachment', async () => {
    const http = tab(demo.url);
    const ask = async (authenticator?: string) =>
      (await http('/api/register/options', { username: 'Pat', ...(authenticator && { authenticator }) })).json;
    const platform = await ask('platform');
    assert.deepEqual(platform.hints, ['client-device']);
    assert.equal(platform.authenticatorSelection.authenticatorAttachment, 'platform');
    const securityKey = await ask('security-key');
    assert.deepEqual(securityKey.hints, ['security-key']);
    assert.equal(securityKey.authenticatorSelection.authenticatorAttachment, 'cross-platform');
    assert.deepEqual((await ask('hybrid')).hints, ['hybrid']);
    const either = await ask();
    assert.deepEqual(either.hints ?? [], []);
    assert.equal(either.authenticatorSelection.authenticatorAttachment, undefined);
    const login = (await http('/api/login/options', { authenticator: 'platform' })).json;
    assert.deepEqual(login.hints, ['client-device']);
  });

  it('serves /.well-known/webauthn, and a related origin registers and signs in with its RP ID', async () => {
    const doc = await fetch(new URL('/.well-known/webauthn', demo.url));
    assert.equal(doc.headers.get('content-type')?.split(';')[0], 'application/json');
    assert.deepEqual(await doc.json(), { origins: [demo.origin, RELATED] });

    const http = tab(demo.url);
    const options = (await http('/api/register/options', { username: 'Uma', authenticator: 'platform' })).json;
    const credential = await key.client.create(options as never, { origin: RELATED });
    const reg = await http('/api/register/verify', { credential });
    assert.equal(reg.status, 200, JSON.stringify(reg.json));
    assert.equal(reg.json.verified, true);

    // From an unlisted origin the client refuses before the authenticator is asked.
    const again = (await http('/api/login/options', {})).json;
    await assert.rejects(
      key.client.get(again as never, { origin: 'https://phish.example' }),
      (e: Error) => e.name === 'SecurityError',
    );
    const assertion = await key.client.get(again as never, { origin: RELATED });
    const login = await http('/api/login/verify', { credential: assertion });
    assert.equal(login.json.verified, true);
    assert.equal(login.json.username, 'Uma');
  });

  it('the autofill sign-in keeps its own challenge beside a modal one, and the upgrade registers for the signed-in user', async () => {
    const http = tab(demo.url);
    assert.equal((await http('/api/register/options', { upgrade: true })).status, 400, 'no upgrade before a sign-in');
    const autofillOptions = (await http('/api/login/options', { autofill: true })).json;
    const modalOptions = (await http('/api/login/options', {})).json;
    const pending = key.client.get(autofillOptions as never, { origin: demo.origin, mediation: 'conditional' });
    key.client.autofill.choose((await key.client.autofill.whenOffered()).accounts[0]!.credentialId);
    const viaAutofill = await http('/api/login/verify', { credential: await pending, autofill: true });
    assert.equal(viaAutofill.json.verified, true, JSON.stringify(viaAutofill.json));
    // The modal request's challenge is still there.
    const modal = await http('/api/login/verify', {
      credential: await key.client.get(modalOptions as never, { origin: demo.origin }),
    });
    assert.equal(modal.json.verified, true, JSON.stringify(modal.json));

    const upgrade = (await http('/api/register/options', { upgrade: true, authenticator: 'platform' })).json;
    assert.equal(upgrade.user.name, 'Uma');
    // This key already holds Uma's passkey, which the RP excludes; once it is gone, the upgrade saves one.
    await assert.rejects(
      key.client.create(upgrade as never, { origin: demo.origin, mediation: 'conditional' }),
      (e: Error) => e.name === 'InvalidStateError',
    );
    key.control.clearCredentials();
    const created = await key.client.create(upgrade as never, { origin: demo.origin, mediation: 'conditional' });
    const saved = await http('/api/register/verify', { credential: created });
    assert.equal(saved.json.verified, true, JSON.stringify(saved.json));
    assert.equal(saved.json.username, 'Uma');
  });
});
