/**
 * The bridge server without a browser: the `ws` client plays the page. Only connections with an
 * allowed Origin AND this run's token get through; requests run with the connection's origin and
 * their results verify with @simplewebauthn/server; malformed messages get errors, not crashes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { verifyRegistrationResponse } from '@simplewebauthn/server';
import WebSocket from 'ws';
import { startBridgeServer, type BridgeServer } from '../../src/bridge/server.js';
import type { BridgeReply } from '../../src/bridge/protocol.js';
import { WebAuthnClient } from '../../src/client/webauthnClient.js';
import * as b64u from '../../src/encoding/base64url.js';
import { openSoftKey, type SoftKey } from '../../src/main/softkey.js';

const ORIGIN = 'http://localhost:5173';
const TOKEN = 'test-token-0123456789abcdef';
let key: SoftKey;
let bridge: BridgeServer;

before(async () => {
  key = await openSoftKey({ dataDir: ':memory:' });
  bridge = await startBridgeServer({
    client: new WebAuthnClient(key),
    token: TOKEN,
    port: 0,
    allowedOrigins: [ORIGIN],
  });
});
after(async () => {
  await bridge.close();
  await key.close();
});

const wsUrl = (token?: string) =>
  `ws://127.0.0.1:${bridge.port}/${token === undefined ? '' : `?token=${encodeURIComponent(token)}`}`;

/** Resolves to the HTTP status of a refused upgrade, or 101 when the socket opened. */
function connectStatus(url: string, origin?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, origin === undefined ? {} : { origin });
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', (e) => (e.message.includes('Unexpected server response') ? undefined : reject(e)));
  });
}

async function open(origin = ORIGIN): Promise<{ ws: WebSocket; send(m: unknown): void; next(): Promise<BridgeReply> }> {
  const ws = new WebSocket(wsUrl(TOKEN), { origin });
  const queue: BridgeReply[] = [];
  const waiters: Array<(r: BridgeReply) => void> = [];
  ws.on('message', (d) => {
    const r = JSON.parse(d.toString()) as BridgeReply;
    const w = waiters.shift();
    if (w) w(r);
    else queue.push(r);
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return {
    ws,
    send: (m) => ws.send(typeof m === 'string' ? m : JSON.stringify(m)),
    next: () => (queue.length ? Promise.resolve(queue.shift()!) : new Promise((resolve) => waiters.push(resolve))),
  };
}

const challenge = b64u.encode(crypto.getRandomValues(new Uint8Array(32)));
const creation = (rpId = 'localhost') => ({
  rp: { name: 'WebAuthn Demo', id: rpId },
  user: { id: b64u.encode(new Uint8Array([1, 2, 3])), name: 'Fred Porlock', displayName: 'Fred Porlock' },
  challenge,
  pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
  attestation: 'none',
});

describe('bridge server', () => {
  it('refuses a wrong Origin, a missing Origin, a wrong token and a missing token with 403', async () => {
    assert.equal(await connectStatus(wsUrl(TOKEN), 'http://evil.example'), 403);
    assert.equal(await connectStatus(wsUrl(TOKEN), 'http://localhost:5174'), 403);
    assert.equal(await connectStatus(wsUrl(TOKEN)), 403);
    assert.equal(await connectStatus(wsUrl('wrong-token-0123456789abcdef'), ORIGIN), 403);
    assert.equal(await connectStatus(wsUrl(TOKEN.slice(0, -1)), ORIGIN), 403);
    assert.equal(await connectStatus(wsUrl(), ORIGIN), 403);
    assert.equal(await connectStatus(wsUrl(TOKEN), ORIGIN), 101);
  });

  it('serves the configured shim only with the token', async () => {
    const base = `http://127.0.0.1:${bridge.port}/shim.js`;
    assert.equal((await fetch(base)).status, 403);
    assert.equal((await fetch(`${base}?token=nope`)).status, 403);
    const ok = await fetch(bridge.scriptUrl);
    assert.equal(ok.status, 200);
    const text = await ok.text();
    assert.ok(text.includes(JSON.stringify(bridge.url)), 'the shim points at this bridge with the token');
  });

  it('runs create with the connection origin; @simplewebauthn/server verifies the result', async () => {
    const c = await open();
    c.send({ type: 'create', id: 'r1', origin: ORIGIN, options: creation() });
    const reply = await c.next();
    assert.equal(reply.id, 'r1');
    assert.ok(reply.ok, JSON.stringify(reply));
    const v = await verifyRegistrationResponse({
      response: reply.credential as never,
      expectedChallenge: challenge,
      expectedOrigin: ORIGIN,
      expectedRPID: 'localhost',
      requireUserVerification: false,
    });
    assert.equal(v.verified, true);
    c.ws.close();
  });

  it('answers a claimed origin that differs from the connection with SecurityError, a foreign rpId with SecurityError', async () => {
    const c = await open();
    c.send({ type: 'create', id: 'r2', origin: 'https://bank.example', options: creation() });
    const r2 = await c.next();
    assert.equal(r2.ok, false);
    assert.equal(!r2.ok && r2.error.name, 'SecurityError');
    c.send({ type: 'create', id: 'r3', origin: ORIGIN, options: creation('bank.example') });
    const r3 = await c.next();
    assert.equal(!r3.ok && r3.error.name, 'SecurityError');
    c.ws.close();
  });

  it('answers malformed messages with errors and keeps serving', async () => {
    const c = await open();
    c.send('not json');
    assert.equal((await c.next()).ok, false);
    c.send({ type: 'frobnicate', id: 'x1' });
    const r = await c.next();
    assert.equal(!r.ok && r.error.name, 'NotSupportedError');
    c.send({ type: 'create', id: 'x2', origin: ORIGIN, options: { rp: {} } });
    const bad = await c.next();
    assert.equal(bad.id, 'x2');
    assert.equal(!bad.ok && bad.error.name, 'TypeError');
    c.send({ type: 'get', id: 'x3', origin: ORIGIN, options: { challenge: '!!!' } });
    const enc = await c.next();
    assert.equal(!enc.ok && enc.error.name, 'EncodingError');
    c.send({ type: 'create', id: 'x4', origin: ORIGIN, options: creation() });
    assert.equal((await c.next()).ok, true);
    c.ws.close();
  });
});

describe("bridge server: a cross-origin frame served on its embedder's grant (L3 §5.9)", () => {
  const FRAME = 'http://127.0.0.1:5174';
  const CREATE = 'publickey-credentials-create';
  const nonce = 'frame-nonce-0123456789';

  it('refuses the frame until its embedder vouches; then once, with crossOrigin and topOrigin', async () => {
    bridge.allow(FRAME);
    const embedder = await open();
    const frame = await open(FRAME);
    const create = (id: string) => ({
      type: 'create',
      id,
      origin: FRAME,
      options: creation('127.0.0.1'),
      grant: nonce,
    });
    const refused = `the embedding page has not granted ${CREATE} to ${FRAME} (iframe allow attribute)`;

    frame.send(create('f1'));
    assert.deepEqual(await frame.next(), { id: 'f1', ok: false, error: { name: 'NotAllowedError', message: refused } });
    const grant = { type: 'grant', id: 'g1', origin: ORIGIN, nonce, frameOrigin: FRAME, feature: CREATE };
    embedder.send({ ...grant, allow: 'publickey-credentials-get' });
    assert.deepEqual(await embedder.next(), {
      id: 'g1',
      ok: false,
      error: { name: 'NotAllowedError', message: refused },
    });
    embedder.send({ ...grant, id: 'g2', feature: 'camera', allow: 'camera' });
    assert.deepEqual(await embedder.next(), {
      id: 'g2',
      ok: false,
      error: { name: 'NotAllowedError', message: 'malformed grant' },
    });
    embedder.send({ ...grant, id: 'g3', allow: `${CREATE} ${FRAME}` });
    assert.deepEqual(await embedder.next(), { id: 'g3', ok: true, value: null });

    frame.send(create('f2'));
    const served = await frame.next();
    assert.ok(served.ok, JSON.stringify(served));
    const clientData = JSON.parse(Buffer.from(served.credential!.response.clientDataJSON, 'base64url').toString()) as {
      origin: string;
      crossOrigin: boolean;
      topOrigin: string;
    };
    assert.deepEqual(
      { origin: clientData.origin, crossOrigin: clientData.crossOrigin, topOrigin: clientData.topOrigin },
      { origin: FRAME, crossOrigin: true, topOrigin: ORIGIN },
    );
    frame.send(create('f3'));
    assert.deepEqual(await frame.next(), { id: 'f3', ok: false, error: { name: 'NotAllowedError', message: refused } });
    embedder.ws.close();
    frame.ws.close();
  });
});

describe('bridge server: frames that skip the shim (topLevel given)', () => {
  const FRAME = 'http://127.0.0.1:5174';
  it('serves top-level origins; a frame origin only with a grant, never its own; signals refused, capabilities kept', async () => {
    const b = await startBridgeServer({
      client: new WebAuthnClient(key),
      token: TOKEN,
      port: 0,
      allowedOrigins: [ORIGIN, FRAME],
      topLevel: (origin) => origin === ORIGIN,
    });
    const connect = async (origin: string) => {
      const ws = new WebSocket(`ws://127.0.0.1:${b.port}/?token=${TOKEN}`, { origin });
      await new Promise((resolve) => ws.once('open', resolve));
      const ask = (m: Record<string, unknown>) =>
        new Promise<BridgeReply>((resolve) => {
          ws.once('message', (d) => resolve(JSON.parse(d.toString()) as BridgeReply));
          ws.send(JSON.stringify(m));
        });
      return { ws, ask };
    };
    try {
      const top = await connect(ORIGIN);
      const frame = await connect(FRAME);
      const create = { type: 'create', origin: FRAME, options: creation('127.0.0.1') };
      const grant = { type: 'grant', frameOrigin: FRAME, feature: 'publickey-credentials-create', allow: null };
      const notGranted = `the embedding page has not granted publickey-credentials-create to ${FRAME} (iframe allow attribute)`;
      const refused = (id: string, message = notGranted) => ({
        id,
        ok: false,
        error: { name: 'NotAllowedError', message },
      });

      assert.deepEqual(await frame.ask({ ...create, id: 'f1' }), refused('f1'));
      assert.deepEqual(
        await frame.ask({ ...grant, id: 'f2', origin: FRAME, nonce: 'self-nonce-0123456789' }),
        refused('f2'),
      );
      assert.deepEqual(await frame.ask({ ...create, id: 'f3', grant: 'self-nonce-0123456789' }), refused('f3'));
      assert.deepEqual(
        await frame.ask({ type: 'signal', id: 'f4', origin: FRAME, signal: 'unknownCredential', options: {} }),
        refused('f4', 'softkey does not serve cross-origin frames'),
      );
      assert.equal((await frame.ask({ type: 'capabilities', id: 'f5', origin: FRAME })).ok, true);
      // The top-level page grants it (iframe allow): then the frame is served, once.
      const given = await top.ask({
        ...grant,
        id: 't1',
        origin: ORIGIN,
        nonce: 'top-nonce-0123456789',
        allow: 'publickey-credentials-create',
      });
      assert.deepEqual(given, { id: 't1', ok: true, value: null });
      const served = await frame.ask({ ...create, id: 'f6', grant: 'top-nonce-0123456789' });
      assert.equal(served.ok, true, JSON.stringify(served));
      const own = await top.ask({ type: 'create', id: 't2', origin: ORIGIN, options: creation() });
      assert.equal(own.ok, true, JSON.stringify(own));
      top.ws.close();
      frame.ws.close();
    } finally {
      await b.close();
    }
  });
});

describe('bridge server: abort', () => {
  it('an abort message cancels the running request with AbortError', async () => {
    const hanging = await openSoftKey({ dataDir: ':memory:', presence: 'timeout', userActionTimeoutMs: 60_000 });
    const b = await startBridgeServer({
      client: new WebAuthnClient(hanging),
      token: TOKEN,
      port: 0,
      allowedOrigins: [ORIGIN],
    });
    try {
      const ws = new WebSocket(`ws://127.0.0.1:${b.port}/?token=${TOKEN}`, { origin: ORIGIN });
      await new Promise((resolve) => ws.once('open', resolve));
      const reply = new Promise<BridgeReply>((resolve) =>
        ws.once('message', (d) => resolve(JSON.parse(d.toString()) as BridgeReply)),
      );
      ws.send(JSON.stringify({ type: 'create', id: 'slow', origin: ORIGIN, options: creation() }));
      setTimeout(() => ws.send(JSON.stringify({ type: 'abort', id: 'slow' })), 200);
      const r = await reply;
      assert.equal(r.id, 'slow');
      assert.equal(!r.ok && r.error.name, 'AbortError');
      ws.close();
    } finally {
      await b.close();
      await hanging.close();
    }
  });
});
