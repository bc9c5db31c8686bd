/**
 * The control API over HTTP and the panel's WebSocket: token and Origin checks (401/403), then
 * every route, with effects checked through CTAP where they have one.
 */
import assert from 'node:assert/strict';
import { p256KeyPair } from '../helpers/keys.js';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { decodeGetAssertionResponse } from '../../src/ctap2/getAssertion.js';
import { parseAuthenticatorData } from '../../src/ctap2/authenticatorData.js';
import { Status } from '../../src/ctap2/status.js';
import { openSoftKey, type SoftKey } from '../../src/main/softkey.js';
import { startPanelServer, type PanelServer } from '../../src/panel/server.js';
import { getAssertion, makeCredential } from './helpers.js';

const TOKEN = 'test-token-0123456789abcdef';

describe('control HTTP API', () => {
  let key: SoftKey;
  let server: PanelServer;
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = { Authorization: `Bearer ${TOKEN}` },
  ) => {
    const res = await fetch(server.origin + path, {
      method,
      headers: { ...headers, ...(body !== undefined && { 'Content-Type': 'application/json' }) },
      ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
  };

  /** The pending prompts once there are some (fails after ~5 s rather than spinning). */
  const promptsSoon = async (): Promise<any[]> => {
    for (let i = 0; i < 250; i++) {
      const prompts = (await call('GET', '/api/prompts')).body as any[];
      if (prompts.length > 0) return prompts;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('no prompt appeared');
  };
  before(async () => {
    key = await openSoftKey({ dataDir: ':memory:', presence: 'auto', trace: true, userActionTimeoutMs: 5000 });
    server = await startPanelServer({ controller: key.control, token: TOKEN, port: 0 });
  });
  after(async () => {
    await server.close();
    await key.close();
  });

  it('refuses requests without the token (401) and from another origin (403)', async () => {
    assert.equal((await call('GET', '/api/state', undefined, {})).status, 401);
    assert.equal(
      (await call('GET', '/api/state', undefined, { Authorization: 'Bearer wrong-token-0123456789abcd' })).status,
      401,
    );
    assert.equal(
      (await call('GET', '/api/state', undefined, { Authorization: TOKEN })).status,
      401,
      'Bearer is required in Authorization',
    );
    assert.equal(
      (
        await call(
          'PUT',
          '/api/presence',
          { mode: 'deny' },
          { Authorization: `Bearer ${TOKEN}`, Origin: 'http://evil.example' },
        )
      ).status,
      403,
    );
    assert.equal((await call('GET', '/api/state', undefined, { Origin: 'http://evil.example' })).status, 403);
    assert.equal(key.control.presence().mode, 'auto', 'the refused PUT changed nothing');
    assert.equal((await call('GET', '/api/state', undefined, { 'x-softkey-token': TOKEN })).status, 200);
    assert.equal(
      (await call('GET', '/api/state', undefined, { Authorization: `Bearer ${TOKEN}`, Origin: server.origin })).status,
      200,
    );
    assert.equal(
      (await call('GET', `/api/state?token=${TOKEN}`, undefined, {})).status,
      401,
      'the API takes no token in the URL',
    );
  });

  it('serves the panel page only with the token in its URL', async () => {
    // Without its token the URL answers a page saying what is missing and where to find it (401).
    const bare = await fetch(server.origin + '/');
    assert.equal(bare.status, 401);
    assert.match(bare.headers.get('content-type') ?? '', /text\/html/);
    const bareText = await bare.text();
    assert.match(bareText, /This URL has no token/);
    assert.match(bareText, /device panel:/);
    assert.match(bareText, /control\.json/);
    assert.doesNotMatch(bareText, new RegExp(TOKEN), 'the page never shows the token');
    const wrong = await fetch(server.origin + '/?token=not-the-token-0123456789');
    assert.equal(wrong.status, 401);
    assert.match(await wrong.text(), /not this run's token/);
    const page = await fetch(server.url);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    assert.match(await page.text(), /<title>softkey — device panel<\/title>/);
    assert.equal((await call('GET', '/nothing-here')).status, 404);
  });

  it('GET/PUT presence and uv', async () => {
    assert.deepEqual((await call('GET', '/api/presence')).body, { mode: 'auto', timeoutMs: 5000 });
    assert.deepEqual((await call('PUT', '/api/presence', { mode: 'deny' })).body, { mode: 'deny', timeoutMs: 5000 });
    assert.equal((await key.cbor(makeCredential('deny.example')))[0], Status.CTAP2_ERR_OPERATION_DENIED);
    assert.equal((await call('PUT', '/api/presence', { mode: 'sometimes' })).status, 400);
    assert.equal((await call('PUT', '/api/presence', 'not json')).status, 400);
    await call('PUT', '/api/presence', { mode: 'auto' });
    assert.deepEqual((await call('GET', '/api/uv')).body, { available: false, result: 'match' });
    assert.deepEqual((await call('PUT', '/api/uv', { available: true, result: 'nomatch' })).body, {
      available: true,
      result: 'nomatch',
    });
    assert.equal((await key.cbor(makeCredential('uv.example', { uv: true })))[0], Status.CTAP2_ERR_OPERATION_DENIED);
    await call('PUT', '/api/uv', { available: false, result: 'match' });
  });

  it('GET/PUT pin', async () => {
    assert.deepEqual(
      (await call('GET', '/api/pin')).body,
      { set: false, retries: 8, uvRetries: 7 },
      'one UV retry went to the no-match finger',
    );
    assert.equal((await call('PUT', '/api/pin', { pin: 'x' })).status, 400);
    assert.equal((await call('PUT', '/api/pin', { pin: 'correct horse' })).body.set, true);
    assert.equal((await key.cbor(makeCredential('pin.example', { rk: true })))[0], Status.CTAP2_ERR_PUAT_REQUIRED);
    await call('POST', '/api/reset'); // the PIN goes with a reset
    assert.equal((await call('GET', '/api/pin')).body.set, false);
  });

  it('lists prompts and approves or denies them by id', async () => {
    await call('PUT', '/api/presence', { mode: 'panel' });
    const approved = key.cbor(makeCredential('prompt.example', { rk: true }));
    let prompts = await promptsSoon();
    assert.equal(prompts[0].rpId, 'prompt.example');
    assert.equal((await call('POST', `/api/prompts/${prompts[0].id}/approve`)).status, 200);
    assert.equal((await approved)[0], Status.CTAP2_OK);
    const denied = key.cbor(getAssertion('prompt.example'));
    prompts = await promptsSoon();
    assert.equal((await call('POST', `/api/prompts/${prompts[0].id}/deny`)).status, 200);
    assert.equal((await denied)[0], Status.CTAP2_ERR_OPERATION_DENIED);
    assert.equal((await call('POST', '/api/prompts/12345/approve')).status, 404);
    await call('PUT', '/api/presence', { mode: 'auto' });
  });

  it('a long touch answers a reset that needs one (CTAP 2.3 longTouchForReset); approve is a short touch', async () => {
    const status = async (bytes: number[]) => (await key.cbor(new Uint8Array(bytes)))[0];
    await call('POST', '/api/power-cycle'); // inside the reset window
    assert.equal(
      await status([0x0d, 0xa1, 0x01, 0x04]),
      Status.CTAP2_OK,
      'authenticatorConfig enableLongTouchForReset',
    );
    await call('PUT', '/api/presence', { mode: 'panel' });
    const short = key.cbor(new Uint8Array([0x07]));
    let prompts = await promptsSoon();
    assert.equal(prompts[0].longTouch, true);
    assert.equal((await call('POST', `/api/prompts/${prompts[0].id}/approve`)).status, 200);
    assert.equal((await short)[0], Status.CTAP2_ERR_USER_ACTION_TIMEOUT);
    const held = key.cbor(new Uint8Array([0x07]));
    prompts = await promptsSoon();
    assert.equal((await call('POST', `/api/prompts/${prompts[0].id}/longTouch`)).status, 200);
    assert.equal((await held)[0], Status.CTAP2_OK);
    await call('PUT', '/api/presence', { mode: 'auto' });
  });

  it('adds, lists, updates and removes credentials', async () => {
    const { jwk } = p256KeyPair();
    const added = await call('POST', '/api/credentials', {
      rpId: 'http.example',
      userId: 'dXNlcg',
      userName: 'user',
      privateKey: { jwk },
    });
    assert.equal(added.status, 201);
    const id = added.body.credentialId as string;
    assert.ok(
      (await call('GET', '/api/credentials')).body.some((c: any) => c.credentialId === id && c.rpId === 'http.example'),
    );
    assert.equal(
      (
        await call('POST', '/api/credentials', {
          rpId: 'http.example',
          userId: 'dXNlcg',
          privateKey: { p256Scalar: 'zz' },
        })
      ).status,
      400,
    );
    const patched = await call('PATCH', `/api/credentials/${id}`, { signCount: 77, backupEligible: true });
    assert.deepEqual(patched.body, { signCount: 77, backupEligible: true, backupState: false });
    const data = parseAuthenticatorData(
      decodeGetAssertionResponse(await key.cbor(getAssertion('http.example'))).authData,
    );
    assert.equal(data.signCount, 78);
    assert.equal((await call('DELETE', `/api/credentials/${id}`)).status, 200);
    assert.equal((await call('DELETE', `/api/credentials/${id}`)).status, 404);
    await key.cbor(makeCredential('http.example', { rk: true }));
    assert.equal((await call('DELETE', '/api/credentials')).body.removed >= 1, true);
    assert.deepEqual(
      (await call('GET', '/api/credentials')).body.filter((c: any) => c.rpId === 'http.example'),
      [],
    );
  });

  it('arms, shows and clears faults', async () => {
    const set = await call('PUT', '/api/faults', {
      ctapError: { command: 'getInfo', status: 'CTAP1_ERR_OTHER', every: true },
      delayMs: 0,
    });
    assert.deepEqual(set.body, {
      delayMs: 0,
      ctapError: { command: 'authenticatorGetInfo', status: 'CTAP1_ERR_OTHER', every: true },
    });
    assert.equal((await key.cbor(new Uint8Array([4])))[0], Status.CTAP1_ERR_OTHER);
    assert.deepEqual((await call('GET', '/api/faults')).body, set.body);
    assert.deepEqual((await call('DELETE', '/api/faults')).body, {});
    assert.equal((await key.cbor(new Uint8Array([4])))[0], Status.CTAP2_OK);
    assert.equal((await call('PUT', '/api/faults', { dropReport: 0 })).status, 400);
  });

  it('arms, shows and clears deliberately wrong answers (overrides); lists the catalog; names bad input', async () => {
    const armed = await call('POST', '/api/overrides', {
      answer: ['rp-id-hash', 'client-data-origin'],
      ceremony: 'registration',
    });
    assert.equal(armed.status, 200);
    assert.deepEqual(
      armed.body.armed.map((a: any) => [a.answer, a.ceremonies, a.once]),
      [
        ['rp-id-hash', ['registration'], false],
        ['client-data-origin', ['registration'], false],
      ],
    );
    assert.deepEqual((await call('GET', '/api/overrides')).body, armed.body);
    assert.deepEqual((await call('DELETE', '/api/overrides')).body, { armed: [] });
    assert.equal(key.control.overrides().armed.length, 0);
    const catalog = (await call('GET', '/api/wrong-answers')).body as Array<{
      name: string;
      ceremonies: string[];
      check: string;
    }>;
    assert.equal(catalog.length, 22);
    assert.deepEqual(catalog.find((w) => w.name === 'counter-backwards')!.ceremonies, ['authentication']);
    const bad = await call('POST', '/api/overrides', { answer: 'counter-zero', ceremony: 'registration' });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /counter-zero is a wrong answer of authentication only/);
  });

  it('resets, power-cycles, reads and clears the trace, lists wallet addresses', async () => {
    await key.cbor(makeCredential('gone.example', { rk: true }));
    assert.deepEqual((await call('POST', '/api/reset')).body, { reset: true });
    assert.equal(key.control.credentials().length, 0);
    assert.deepEqual((await call('POST', '/api/power-cycle')).body, { powerCycled: true });
    const trace = (await call('GET', '/api/trace')).body as any[];
    assert.ok(trace.some((e) => e.name === 'authenticatorMakeCredential' && e.status === 'CTAP2_OK'));
    const last = trace.at(-1).seq;
    await key.cbor(new Uint8Array([4]));
    assert.deepEqual(
      (await call('GET', `/api/trace?since=${last}`)).body.map((e: any) => e.name),
      ['authenticatorGetInfo', 'authenticatorGetInfo'],
    );
    await call('DELETE', '/api/trace');
    assert.deepEqual((await call('GET', '/api/trace')).body, []);
    assert.deepEqual((await call('GET', '/api/wallet/addresses')).body, [], 'no seed yet');
    assert.equal((await call('GET', '/api/wallet/addresses?count=99')).status, 400);
  });

  it('WebSocket: needs the token and the panel origin, then streams events', async () => {
    const wsUrl = server.origin.replace('http', 'ws') + '/ws';
    const refused = (url: string, origin?: string) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(url, origin ? { origin } : {});
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => (ws.close(), resolve(101)));
        ws.on('error', () => {});
      });
    assert.equal(await refused(wsUrl), 403);
    assert.equal(await refused(`${wsUrl}?token=${TOKEN}`, 'http://evil.example'), 403);
    const ws = new WebSocket(`${wsUrl}?token=${TOKEN}`, { origin: server.origin });
    const events: any[] = [];
    ws.on('message', (m) => events.push(JSON.parse(String(m))));
    await new Promise((r) => ws.once('open', r));
    await call('PUT', '/api/presence', { mode: 'panel' });
    const pending = key.cbor(makeCredential('ws.example'));
    for (let i = 0; i < 500 && !events.some((e) => e.type === 'prompts' && e.prompts.length === 1); i++)
      await new Promise((r) => setTimeout(r, 10));
    const prompt = events.find((e) => e.type === 'prompts' && e.prompts.length === 1).prompts[0];
    assert.match(prompt.message, /^Register with ws\.example RP \(ws\.example\) as Alice\?$/);
    key.control.answerPrompt(prompt.id, true);
    assert.equal((await pending)[0], Status.CTAP2_OK);
    await call('PUT', '/api/presence', { mode: 'auto' });
    assert.ok(events.some((e) => e.type === 'presence' && e.presence.mode === 'panel'));
    assert.ok(
      events.some(
        (e) => e.type === 'trace' && e.entry.name === 'authenticatorMakeCredential' && e.entry.direction === 'out',
      ),
    );
    ws.close();
  });
});
