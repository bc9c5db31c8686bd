/**
 * The key-state features outside Node: the HTTP control API (credentials with private keys, backup
 * defaults, the whole-key export, Server-Sent Events with token and Origin checks), `softkey ctl`
 * (read back with --private-keys, re-seed with `credentials import`) and `softkey state
 * export|import` against a real `softkey start` process and data directories.
 */
import '../helpers/tempHome.js';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';
import * as b64u from '../../src/encoding/base64url.js';
import { openSoftKey, type SoftKey } from '../../src/main/softkey.js';
import { startPanelServer, type PanelServer } from '../../src/panel/server.js';
import { ORIGIN, RP_ID, randomBytes } from '../client/device.js';
import { main } from '../../src/cli/main.js';
import { startSoftkeyProcess, type SoftkeyProcess } from '../interop/startDevice.js';

const TOKEN = 'keystate-token-0123456789abcdef';

/** The softkey command, in this process (a spawn costs seconds on a loaded machine; the device under test is a real process). */
async function softkey(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; out: string; err: string }> {
  let out = '';
  let err = '';
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    const code = await main(args, { out: (s) => (out += s + '\n'), err: (s) => (err += s + '\n') });
    return { code, out, err };
  } finally {
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  }
}

async function register(key: SoftKey, resident: boolean) {
  const challenge = b64u.encode(randomBytes(32));
  const r = await key.client.create(
    {
      rp: { name: 'CLI', id: RP_ID },
      user: { id: b64u.encode(randomBytes(16)), name: 'bob', displayName: 'Bob' },
      challenge,
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      authenticatorSelection: { residentKey: resident ? 'required' : 'discouraged', userVerification: 'discouraged' },
    },
    { origin: ORIGIN },
  );
  const v = await verifyRegistrationResponse({
    response: r as never,
    expectedChallenge: challenge,
    expectedOrigin: ORIGIN,
    expectedRPID: RP_ID,
    requireUserVerification: false,
  });
  assert.equal(v.verified, true);
  return { id: r.id, publicKey: v.registrationInfo.credential.publicKey, counter: 0 };
}

async function signIn(
  key: SoftKey,
  cred: { id: string; publicKey: Uint8Array<ArrayBuffer>; counter: number },
  allow: boolean,
) {
  const challenge = b64u.encode(randomBytes(32));
  const a = await key.client.get(
    {
      challenge,
      rpId: RP_ID,
      userVerification: 'discouraged',
      ...(allow && { allowCredentials: [{ type: 'public-key', id: cred.id }] }),
    },
    { origin: ORIGIN },
  );
  const v = await verifyAuthenticationResponse({
    response: a as never,
    expectedChallenge: challenge,
    expectedOrigin: ORIGIN,
    expectedRPID: RP_ID,
    credential: { id: cred.id, publicKey: cred.publicKey, counter: cred.counter },
    requireUserVerification: false,
  });
  assert.equal(v.verified, true);
  assert.ok(v.authenticationInfo.newCounter > cred.counter);
  cred.counter = v.authenticationInfo.newCounter;
}

/** Reads Server-Sent Events from a fetch body: yields { event, data }. */
async function* sse(body: ReadableStream<Uint8Array>): AsyncGenerator<{ event: string; data: string }> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: ?(.*)$/m.exec(block)?.[1] ?? 'message';
      const data = /^data: ?(.*)$/m.exec(block)?.[1] ?? '';
      yield { event, data };
    }
  }
}

describe('key state over the HTTP control API', () => {
  let key: SoftKey;
  let server: PanelServer;
  const auth = { Authorization: `Bearer ${TOKEN}` };
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(server.origin + path, {
      method,
      headers: { ...auth, ...(body !== undefined && { 'Content-Type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: await res.json() };
  };
  before(async () => {
    key = await openSoftKey({ dataDir: ':memory:', presence: 'auto' });
    server = await startPanelServer({ controller: key.control, token: TOKEN, port: 0 });
  });
  after(async () => {
    await server.close();
    await key.close();
  });

  it('streams credential events as Server-Sent Events, after the token and Origin checks', async () => {
    assert.equal((await fetch(`${server.origin}/api/events`)).status, 401);
    assert.equal(
      (await fetch(`${server.origin}/api/events`, { headers: { ...auth, Origin: 'http://evil.example' } })).status,
      403,
    );
    assert.equal((await fetch(`${server.origin}/api/events?types=nope`, { headers: auth })).status, 400);
    const stop = new AbortController();
    const res = await fetch(`${server.origin}/api/events?types=credentialAdded,credentialAsserted`, {
      headers: auth,
      signal: stop.signal,
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    const events = sse(res.body!);
    assert.equal((await events.next()).value!.event, 'ready');
    const cred = await register(key, true);
    await signIn(key, cred, false);
    const added = (await events.next()).value!;
    assert.equal(added.event, 'credentialAdded');
    const a = JSON.parse(added.data);
    assert.deepEqual(
      [a.type, a.credentialId, a.rpId, a.resident, a.signCount],
      ['credentialAdded', cred.id, RP_ID, true, 0],
    );
    assert.equal(b64u.decode(a.userHandle).length, 16, 'the user handle the RP gave');
    assert.deepEqual(a.flags, { up: true, uv: false, be: false, bs: false });
    const asserted = (await events.next()).value!;
    assert.equal(asserted.event, 'credentialAsserted');
    assert.equal(JSON.parse(asserted.data).signCount, cred.counter);
    stop.abort();
  });

  it('credentials with private keys, one credential by ID, backup defaults, the whole key', async () => {
    const plain = await call('GET', '/api/credentials');
    assert.ok(plain.body.length >= 1 && plain.body.every((c: any) => c.privateKey === undefined));
    const withKeys = await call('GET', '/api/credentials?privateKeys=true');
    assert.ok(withKeys.body.every((c: any) => typeof c.privateKey.pkcs8 === 'string'));
    const one = await call('GET', `/api/credentials/${withKeys.body[0].credentialId}`);
    assert.equal(one.body.privateKey.pkcs8, withKeys.body[0].privateKey.pkcs8);
    assert.equal((await call('GET', `/api/credentials/${b64u.encode(randomBytes(40))}`)).status, 404);

    assert.deepEqual((await call('GET', '/api/backup-defaults')).body, { backupEligible: false, backupState: false });
    assert.deepEqual((await call('PUT', '/api/backup-defaults', { backupState: true })).body, {
      backupEligible: true,
      backupState: true,
    });
    assert.equal((await call('PUT', '/api/backup-defaults', { backupState: 'yes' })).status, 400);
    await call('PUT', '/api/backup-defaults', { backupEligible: false });

    const state = await call('POST', '/api/key-state', {});
    assert.equal(state.body.format, 'softkey-key-state');
    assert.match(state.body.warning, /private key/);
    assert.equal(state.body.residentCredentials.length, withKeys.body.length);
    assert.equal((await call('POST', '/api/key-state', { passphrase: 3 })).status, 400);
  });
});

describe('softkey ctl and softkey state', () => {
  const root = mkdtempSync(join(tmpdir(), 'softkey-statecli-'));
  const PASS = 'tr0ub4dor&3';
  let device: SoftkeyProcess | undefined;
  after(async () => {
    await device?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('state export (sealed, 0600) → state import into another dir → the credentials sign in there', async () => {
    const src = join(root, 'src');
    const a = await openSoftKey({ dataDir: src, presence: 'auto' });
    const resident = await register(a, true);
    const nonResident = await register(a, false);
    await signIn(a, resident, false);
    await a.close();

    const file = join(root, 'key.json');
    const exported = await softkey(
      ['state', 'export', '--data-dir', src, '--out', file, '--passphrase-env', 'SK_PASS'],
      { SK_PASS: PASS },
    );
    assert.equal(exported.code, 0, exported.err);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(doc.kdf.name, 'scrypt');
    assert.equal(doc.cipher, 'aes-256-gcm');

    const dst = join(root, 'dst');
    const noPass = await softkey(['state', 'import', file, '--data-dir', dst]);
    assert.equal(noPass.code, 1);
    assert.match(noPass.err, /sealed with a passphrase/);
    const passFile = join(root, 'pass.txt');
    writeFileSync(passFile, `${PASS}\n`, { mode: 0o600 });
    const imported = await softkey(['state', 'import', file, '--data-dir', dst, '--passphrase-file', passFile]);
    assert.equal(imported.code, 0, imported.err);
    const again = await softkey(['state', 'import', file, '--data-dir', dst, '--passphrase-file', passFile]);
    assert.equal(again.code, 1);
    assert.match(again.err, /already holds a key; give --force/);
    assert.equal((await softkey(['state', 'export', '--data-dir', dst, '--force'])).code, 2, '--force is for import');

    const b = await openSoftKey({ dataDir: dst, presence: 'auto' });
    let other: string;
    try {
      await signIn(b, resident, false);
      await signIn(b, nonResident, true);
      other = JSON.stringify(b.exportState());
    } finally {
      await b.close();
    }
    // --force replaces a key: here with the plain state of the restored key, at its latest counters.
    const plainFile = join(root, 'plain.json');
    writeFileSync(plainFile, other, { mode: 0o600 });
    assert.equal((await softkey(['state', 'import', plainFile, '--data-dir', src, '--force'])).code, 0);
    const c = await openSoftKey({ dataDir: src, presence: 'auto' });
    try {
      await signIn(c, nonResident, true);
    } finally {
      await c.close();
    }
  });

  it('a running device: state export goes through its control API, state import refuses; ctl reads back and re-seeds', async () => {
    device = await startSoftkeyProcess({
      args: ['--panel', '127.0.0.1:0', '--no-bridge', '--no-demo', '--no-apdu'],
      readyPattern: /press Ctrl-C/,
    });
    const dir = device.dataDir;
    const ctl = (...args: string[]) => softkey(['ctl', '--data-dir', dir, ...args]);
    const { generateKeyPairSync } = await import('node:crypto');
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
      format: 'pem',
      type: 'pkcs8',
    }) as string;
    const pemFile = join(root, 'k.pem');
    writeFileSync(pemFile, pem, { mode: 0o600 });
    const id = b64u.encode(randomBytes(24));
    // --opt=VALUE: a base64url value may start with '-', which parseArgs takes for an option.
    const added = await ctl(
      'credentials',
      'add',
      '--rp',
      RP_ID,
      `--user-id=${b64u.encode(randomBytes(8))}`,
      '--pkcs8-file',
      pemFile,
      `--credential-id=${id}`,
      '--sign-count',
      '7',
      '--backup-eligible',
      'true',
    );
    assert.equal(added.code, 0, added.err);
    assert.equal(JSON.parse(added.out).credentialId, id);

    const listed = await ctl('credentials', 'list', '--private-keys');
    assert.equal(listed.code, 0, listed.err);
    const creds = JSON.parse(listed.out);
    assert.equal(creds.length, 1);
    assert.equal(creds[0].signCount, 7);
    assert.equal(creds[0].backupEligible, true);
    assert.ok(creds[0].privateKey.pkcs8);

    const exported = await softkey(['state', 'export', '--data-dir', dir]);
    assert.equal(exported.code, 0, exported.err);
    assert.equal(JSON.parse(exported.out).residentCredentials[0].credentialId, id, 'exported by the running device');
    const file = join(root, 'running.json');
    writeFileSync(file, exported.out);
    const refused = await softkey(['state', 'import', file, '--data-dir', dir, '--force']);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /a softkey is running on/);

    // Re-seed: clear, then `credentials import` the list read back; the same ID, counter and flags return.
    assert.equal((await ctl('credentials', 'clear')).code, 0);
    const seedFile = join(root, 'seed.json');
    writeFileSync(seedFile, listed.out);
    const reseeded = await ctl('credentials', 'import', seedFile);
    assert.equal(reseeded.code, 0, reseeded.err);
    const back = JSON.parse((await ctl('credentials', 'get', '--', id)).out);
    assert.deepEqual(
      [back.credentialId, back.signCount, back.backupEligible, back.privateKey.pkcs8],
      [id, 7, true, creds[0].privateKey.pkcs8],
    );
    assert.deepEqual(JSON.parse((await ctl('backup-defaults', '--state', 'true')).out), {
      backupEligible: true,
      backupState: true,
    });
  });
});
