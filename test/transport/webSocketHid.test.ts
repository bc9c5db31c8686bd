/**
 * CTAPHID over WebSocket: what reaches the device (token, Origin, path, message size) and a full
 * CTAPHID exchange through the real device over it.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { openDevice } from '../../src/main/device.js';
import { attachHid } from '../../src/main/hidFront.js';
import { hidTransport } from '../../src/main/hidTransports.js';
import { CtapHidHost } from '../../src/ctaphid/hostDevice.js';
import { randomBytes } from '../../src/crypto/aead.js';
import {
  connectWebSocketHid,
  startWebSocketHidServer,
  WEBSOCKET_HID_PATH,
  type webSocketHidPort,
} from '../../src/transport/webSocketHid.js';

const TOKEN = 'a-test-token-of-32-characters-xx';
const closers: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

/** Opens a raw WebSocket; resolves with the HTTP status of a refusal or 101 when it opened. */
function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('open', () => {
      resolve(101);
      ws.close();
    });
    ws.once('error', () => resolve(-1));
  });
}

describe('WebSocket CTAPHID server', () => {
  it('accepts only the right path and token, and a web Origin only when allowed', async () => {
    const reports: Uint8Array[] = [];
    const refused: string[] = [];
    const server = await startWebSocketHidServer({
      port: 0,
      token: TOKEN,
      allowOrigins: ['http://localhost:5173'],
      onReport: (r) => reports.push(r),
      onRefused: (why) => refused.push(why),
    });
    closers.push(() => server.close());
    const base = `ws://127.0.0.1:${server.address.port}`;
    assert.equal(server.url, `${base}${WEBSOCKET_HID_PATH}?token=${TOKEN}`);
    assert.equal(await upgradeStatus(server.url), 101, 'a Node client (no Origin) with the token');
    assert.equal(await upgradeStatus(server.url, { origin: 'http://localhost:5173' }), 101, 'an allowed page');
    assert.equal(await upgradeStatus(server.url, { origin: 'https://evil.example' }), 403, 'another page');
    assert.equal(
      await upgradeStatus(`${base}${WEBSOCKET_HID_PATH}?token=${TOKEN.slice(0, -1)}y`),
      403,
      'a wrong token',
    );
    assert.equal(await upgradeStatus(`${base}${WEBSOCKET_HID_PATH}`), 403, 'no token');
    assert.equal(await upgradeStatus(`${base}/other?token=${TOKEN}`), 400, 'another path');
    assert.deepEqual(refused, [
      'origin https://evil.example not allowed',
      'missing or wrong token',
      'missing or wrong token',
      'unknown path /other',
    ]);
    assert.equal(reports.length, 0, 'nothing reached the device');
  });

  it('closes a connection that sends anything but 64-byte binary reports (1003), and passes reports on', async () => {
    const reports: Uint8Array[] = [];
    const server = await startWebSocketHidServer({
      port: 0,
      token: TOKEN,
      onReport: (r) => reports.push(r),
      onRefused: () => {},
    });
    closers.push(() => server.close());
    for (const bad of [new Uint8Array(63), 'a text message']) {
      const ws = new WebSocket(server.url);
      await new Promise((r) => ws.once('open', r));
      const code = new Promise<number>((r) => ws.once('close', (c) => r(c)));
      ws.send(bad);
      assert.equal(await code, 1003);
    }
    const client = await connectWebSocketHid(server.url);
    const report = new Uint8Array(64).fill(7);
    client.send(report);
    const echoed = new Promise<Uint8Array>((r) => client.onReport(r));
    while (reports.length === 0) await new Promise((r) => setTimeout(r, 5)); // the test's timeout guards a hang
    assert.deepEqual(reports, [report]);
    server.send(new Uint8Array(64).fill(9));
    assert.deepEqual(
      await echoed,
      new Uint8Array(64).fill(9),
      'answers go to the connection that sent the last report',
    );
    await client.close();
  });

  it('short tokens are refused at start', async () => {
    await assert.rejects(
      startWebSocketHidServer({ port: 0, token: 'short', onReport: () => {} }),
      /at least 16 characters/,
    );
  });
});

describe('the --ws port', () => {
  it('runs CTAPHID INIT, PING and getInfo on the device over the socket', async () => {
    const device = await openDevice({ dataDir: ':memory:', presence: { request: async () => 'approved' } });
    const served = attachHid(
      device,
      (await hidTransport('ws').open({ host: '127.0.0.1', port: 0 }, {})) as Awaited<
        ReturnType<typeof webSocketHidPort>
      >,
    );
    closers.push(() => served.close());
    assert.match(served.url, /^ws:\/\/127\.0\.0\.1:\d+\/ctaphid\?token=[\w-]{32}$/);
    const client = await connectWebSocketHid(served.url);
    closers.push(() => client.close());
    const host = new CtapHidHost(client, { rng: randomBytes });
    const info = await host.init();
    assert.ok(info.cid > 0);
    const data = randomBytes(3000);
    assert.deepEqual(await host.ping(data), data);
    const getInfo = await host.cbor(new Uint8Array([0x04]));
    assert.equal(getInfo[0], 0, 'CTAP2_OK');
  });
});
