/**
 * Issue 18 item 5 on every loopback web listener (panel + control API, browser bridge, CTAPHID over
 * WebSocket, demo relying party): a Host that does not name the listener gets 421 (DNS-rebinding
 * defence), a body over the limit gets 413, a WebSocket message over the limit closes with 1009 and
 * a reason, and a 1 GiB body (sent by a child process) is refused without growing this process.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { startBridgeServer, type BridgeServer } from '../../src/bridge/server.js';
import { MAX_MESSAGE_BYTES } from '../../src/bridge/protocol.js';
import { WebAuthnClient } from '../../src/client/webauthnClient.js';
import { MAX_CONTROL_BODY_BYTES } from '../../src/control/httpApi.js';
import { acceptedHosts, hostAllowed } from '../../src/encoding/webGuard.js';
import { openSoftKey, type SoftKey } from '../../src/main/softkey.js';
import { MAX_PANEL_MESSAGE_BYTES, startPanelServer, type PanelServer } from '../../src/panel/server.js';
import { createDemoServer, MAX_DEMO_BODY_BYTES, type DemoServer } from '../../src/rp-demo/server.js';
import {
  startWebSocketHidServer,
  WEBSOCKET_HID_REPORT_SIZE,
  type WebSocketHidServer,
} from '../../src/transport/webSocketHid.js';

const TOKEN = 'test-token-0123456789abcdef';
const GiB = 1 << 30;

interface Target {
  name: string;
  port: number;
  /** A path that takes a body, or any path when the listener takes none. */
  path: string;
  /** The body size accepted (0: none). */
  limit: number;
}

/** One plain HTTP request with the Host header we choose (fetch cannot set Host). */
function send(
  port: number,
  path: string,
  opts: { method?: string; host?: string; body?: Buffer; headers?: Record<string, string> } = {},
) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: opts.method ?? 'GET',
        setHost: opts.host === undefined,
        headers: { ...(opts.host !== undefined && { host: opts.host }), ...opts.headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Status of a WebSocket upgrade (101 when it opened). */
function upgrade(url: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => (resolve({ status: res.statusCode ?? 0, text }), ws.terminate()));
    });
    ws.once('open', () => (resolve({ status: 101, text: '' }), ws.close()));
    ws.once('error', (e) => (e.message.includes('Unexpected server response') ? undefined : reject(e)));
  });
}

/** Sends one message of `size` bytes; resolves with the close code and reason the server chose. */
function oversize(
  url: string,
  headers: Record<string, string>,
  size: number,
): Promise<{ code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => ws.send(Buffer.alloc(size, 0x41)));
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    ws.once('error', () => {}); // the close event carries the answer
    ws.once('unexpected-response', () => reject(new Error('upgrade refused')));
  });
}

/**
 * The child: streams `bytes` of body to each target (1 MiB writes, honouring backpressure), stops
 * when the answer arrives, and prints the statuses as JSON. Sizes are announced by Content-Length,
 * or not at all (chunked), so both the header check and the streaming count are exercised.
 */
const CHILD = `
import { request } from 'node:http';
const [targets, bytes] = JSON.parse(process.argv[1]);
const chunk = Buffer.alloc(1 << 20, 0x7b);
const results = [];
for (const t of targets) {
  results.push(await new Promise((resolve) => {
    let status = 0, sent = 0, done = false;
    const headers = { 'content-type': 'application/json', ...(t.chunked ? {} : { 'content-length': String(bytes) }) };
    const req = request({ host: '127.0.0.1', port: t.port, path: t.path, method: 'POST', headers }, (res) => {
      status = res.statusCode; done = true; res.resume(); res.on('end', () => resolve({ ...t, status, sent })); req.destroy();
    });
    req.on('error', (e) => { if (!done) resolve({ ...t, status, sent, error: e.code ?? e.message }); });
    const pump = () => {
      while (!done && sent < bytes) { sent += chunk.length; if (!req.write(chunk)) return req.once('drain', pump); }
      if (!done) req.end();
    };
    pump();
  }));
}
console.log(JSON.stringify(results));
`;

function runChild(
  targets: Array<Target & { chunked: boolean }>,
  bytes: number,
): Promise<Array<{ name: string; chunked: boolean; status: number; sent: number; error?: string }>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, JSON.stringify([targets, bytes])], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`child exited ${code}`))));
  });
}

describe('bounded inputs and the Host allow-list on every loopback web listener', () => {
  let key: SoftKey;
  let panel: PanelServer;
  let bridge: BridgeServer;
  let wsHid: WebSocketHidServer;
  let demo: DemoServer;
  let targets: Target[];
  before(async () => {
    key = await openSoftKey({ dataDir: ':memory:', presence: 'auto' });
    panel = await startPanelServer({ controller: key.control, token: TOKEN, port: 0 });
    bridge = await startBridgeServer({
      client: new WebAuthnClient(key),
      token: TOKEN,
      port: 0,
      allowedOrigins: ['http://localhost:5173'],
    });
    wsHid = await startWebSocketHidServer({ port: 0, token: TOKEN, onReport: () => {}, onRefused: () => {} });
    demo = await createDemoServer({ port: 0, dbPath: ':memory:' });
    targets = [
      { name: 'control API', port: panel.port, path: '/api/presence', limit: MAX_CONTROL_BODY_BYTES },
      { name: 'bridge', port: bridge.port, path: '/', limit: 0 },
      { name: 'CTAPHID WebSocket', port: wsHid.address.port, path: '/ctaphid', limit: 0 },
      { name: 'demo', port: demo.port, path: '/api/login/options', limit: MAX_DEMO_BODY_BYTES },
    ];
  });
  after(async () => {
    await demo.close();
    await wsHid.close();
    await bridge.close();
    await panel.close();
    await key.close();
  });

  it('hostAllowed takes the loopback names and the configured host on the bound port, nothing else', () => {
    for (const h of ['127.0.0.1:5174', 'localhost:5174', 'LOCALHOST:5174', '[::1]:5174'])
      assert.ok(hostAllowed(h, 5174), h);
    for (const h of ['evil.example:5174', '127.0.0.1:5175', '127.0.0.1', 'localhost.evil.example:5174', '', 'a b:5174'])
      assert.ok(!hostAllowed(h, 5174), h);
    assert.ok(!hostAllowed(undefined, 5174), 'no Host header');
    assert.ok(hostAllowed('devbox:5174', 5174, ['devbox']) && hostAllowed('[fd00::1]:5174', 5174, ['fd00::1']));
    assert.ok(hostAllowed('192.168.1.9:5174', 5174, ['0.0.0.0']), 'a wildcard bind answers to any IP literal');
    assert.ok(!hostAllowed('evil.example:5174', 5174, ['0.0.0.0']), '…but not to a name');
    assert.ok(hostAllowed('localhost', 80), 'no port means 80');
    assert.deepEqual(acceptedHosts(5174, ['::1', '0.0.0.0']), ['127.0.0.1:5174', 'localhost:5174', '[::1]:5174']);
  });

  it('answers 421 with the accepted names to a Host that does not name the listener', async () => {
    for (const t of targets) {
      const bad = await send(t.port, t.path, { host: `rebound.evil.example:${t.port}` });
      assert.equal(bad.status, 421, `${t.name}: ${bad.text}`);
      assert.match(bad.text, /DNS.rebinding/, t.name);
      assert.match(bad.text, new RegExp(`localhost:${t.port}`), t.name);
      for (const host of [`127.0.0.1:${t.port}`, `localhost:${t.port}`, `[::1]:${t.port}`]) {
        assert.notEqual((await send(t.port, t.path, { host })).status, 421, `${t.name} with Host ${host}`);
      }
    }
    const upgrades = [
      [`ws://127.0.0.1:${panel.port}/ws?token=${TOKEN}`, panel.port],
      [`ws://127.0.0.1:${bridge.port}/?token=${TOKEN}`, bridge.port],
      [wsHid.url, wsHid.address.port],
    ] as const;
    for (const [url, port] of upgrades) {
      const refused = await upgrade(url, { host: `rebound.evil.example:${port}` });
      assert.equal(refused.status, 421, url);
      assert.match(refused.text, /DNS.rebinding/);
    }
    assert.equal(
      (await upgrade(`ws://127.0.0.1:${panel.port}/ws?token=${TOKEN}`, {})).status,
      101,
      'the panel socket with its own Host',
    );
    assert.equal((await upgrade(wsHid.url, {})).status, 101);
  });

  it('answers 413 to a body over the limit, and takes one at the limit where there is one', async () => {
    for (const t of targets) {
      const body = Buffer.alloc(t.limit + 1, 0x20);
      const res = await send(t.port, t.path, {
        method: 'POST',
        body,
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      });
      assert.equal(res.status, 413, `${t.name}: ${res.text}`);
      assert.match(
        res.text,
        t.limit === 0 ? /takes no request body/ : new RegExp(`larger than ${t.limit} bytes`),
        t.name,
      );
    }
    // At the limit the control API takes the body.
    const json = '{"mode":"deny"}';
    const body = Buffer.from(json.padEnd(MAX_CONTROL_BODY_BYTES, ' '));
    const atLimit = await send(panel.port, '/api/presence', {
      method: 'PUT',
      body,
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(atLimit.status, 200, atLimit.text);
    assert.equal(key.control.presence().mode, 'deny');
    key.control.setPresence({ mode: 'auto' });
  });

  it('closes a WebSocket whose message is over the limit with 1009 and a reason', async () => {
    const cases = [
      [`ws://127.0.0.1:${panel.port}/ws?token=${TOKEN}`, {}, MAX_PANEL_MESSAGE_BYTES],
      [`ws://127.0.0.1:${bridge.port}/?token=${TOKEN}`, { origin: 'http://localhost:5173' }, MAX_MESSAGE_BYTES],
      [wsHid.url, {}, WEBSOCKET_HID_REPORT_SIZE],
    ] as const;
    for (const [url, headers, limit] of cases) {
      const closed = await oversize(url, headers, limit + 1);
      assert.equal(closed.code, 1009, url);
      assert.equal(closed.reason, `message larger than ${limit} bytes`, url);
    }
  });

  it('refuses a 1 GiB body (announced or chunked) with 413 without growing the process', async (t) => {
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    try {
      const jobs = targets.flatMap((t) => [
        { ...t, chunked: false },
        ...(t.limit > 0 ? [{ ...t, chunked: true }] : []),
      ]);
      const results = await runChild(jobs, GiB);
      assert.equal(results.length, jobs.length);
      for (const r of results) {
        assert.equal(r.status, 413, `${r.name}${r.chunked ? ' (chunked)' : ''}: ${JSON.stringify(r)}`);
        assert.ok(r.sent < GiB, `${r.name}: the server answered before the whole body was sent (${r.sent} bytes)`);
      }
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    const grownMiB = (peak - before) / 2 ** 20;
    t.diagnostic(`peak RSS growth while refusing the 1 GiB bodies: ${grownMiB.toFixed(1)} MiB`);
    assert.ok(grownMiB < 200, `RSS grew by ${grownMiB.toFixed(0)} MiB`);
  });
});
