/**
 * The shim proxy (WebKit's way in): HTML from a listed origin gets the shim as the first script, byte
 * for byte elsewhere and with a correct Content-Length; other types and other origins pass unchanged;
 * WebSocket upgrades pass through with their Origin header.
 */
import assert from 'node:assert/strict';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocketServer } from 'ws';
import { injectScript, startShimProxy, type ShimProxy } from '../../src/bridge/shimProxy.js';

const PAGE =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><script>window.page = 1</script></head><body>é</body></html>';

function get(
  proxy: ShimProxy,
  url: string,
  extra: Record<string, string> = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: proxy.host,
        port: proxy.port,
        path: url,
        headers: { host: url.startsWith('http') ? new URL(url).host : 'proxy', 'accept-encoding': 'gzip', ...extra },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('shim proxy', () => {
  let site: Server;
  let origin: string;
  let proxy: ShimProxy;
  let wss: WebSocketServer;
  const seenOrigins: string[] = [];
  before(async () => {
    site = createServer((req, res) => {
      if (req.url === '/data.json') res.writeHead(200, { 'content-type': 'application/json' }).end('{"a":"<head>"}');
      else res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'x-kept': 'yes' }).end(PAGE);
    });
    wss = new WebSocketServer({ server: site });
    wss.on('connection', (ws, req) => {
      seenOrigins.push(String(req.headers.origin));
      ws.on('message', (m) => ws.send(`echo ${m}`));
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
    proxy = await startShimProxy({ script: () => 'window.shim = "</script>"', origins: [origin] });
  });
  after(async () => {
    await proxy.close();
    for (const c of wss.clients) c.terminate();
    wss.close();
    site.closeAllConnections();
    await new Promise((resolve) => site.close(resolve));
  });

  it('puts the shim right after <head>, escapes </script, keeps headers and recomputes Content-Length', async () => {
    const r = await get(proxy, `${origin}/`);
    const script = '<script>window.shim = "<\\/script>"</script>';
    assert.equal(r.body, PAGE.replace('<head>', `<head>${script}`));
    assert.equal(Number(r.headers['content-length']), Buffer.byteLength(r.body));
    assert.equal(r.headers['x-kept'], 'yes');
    assert.ok(r.body.indexOf(script) < r.body.indexOf('window.page'), 'before the page script');
  });

  it('leaves other content types and unlisted origins alone; refuses non-proxy requests', async () => {
    assert.equal((await get(proxy, `${origin}/data.json`)).body, '{"a":"<head>"}');
    const unlisted = origin.replace('127.0.0.1', 'localhost');
    assert.equal((await get(proxy, `${unlisted}/`)).body, PAGE);
    assert.equal((await get(proxy, '/')).status, 400);
  });

  it('injectScript falls back to <html>, the doctype, then the start', () => {
    const at = (html: string) => injectScript(Buffer.from(html), 'x').toString();
    assert.equal(at('<html><p>a'), '<html><script>x</script><p>a');
    assert.equal(at('<!DOCTYPE html><p>a'), '<!DOCTYPE html><script>x</script><p>a');
    assert.equal(at('<p>a'), '<script>x</script><p>a');
  });

  it('passes WebSocket upgrades (absolute-form) through with their Origin', async () => {
    // What libsoup sends through an HTTP proxy: an absolute-form GET with Upgrade.
    const reply = await new Promise<string>((resolve, reject) => {
      const req = request({
        host: proxy.host,
        port: proxy.port,
        path: `${origin}/`,
        headers: {
          connection: 'Upgrade',
          upgrade: 'websocket',
          origin: 'http://localhost:1234',
          'sec-websocket-version': '13',
          'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        },
      });
      req.on('upgrade', (res, socket) => {
        socket.destroy();
        resolve(`${res.statusCode}`);
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(reply, '101');
    assert.deepEqual(seenOrigins, ['http://localhost:1234']);
  });
});

describe('shim proxy: top-level documents (Fetch Metadata)', () => {
  it('counts an origin as top-level once a Sec-Fetch-Dest: document came through; every origin before any metadata', async () => {
    const site = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE));
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    const port = (site.address() as AddressInfo).port;
    const top = `http://127.0.0.1:${port}`;
    const framed = `http://localhost:${port}`;
    const proxy = await startShimProxy({ script: () => '', origins: 'any' });
    try {
      assert.deepEqual([proxy.topLevel(top), proxy.topLevel(framed)], [true, true]);
      await get(proxy, `${framed}/`, { 'sec-fetch-dest': 'iframe' });
      assert.deepEqual([proxy.topLevel(top), proxy.topLevel(framed)], [false, false]);
      await get(proxy, `${top}/`, { 'sec-fetch-dest': 'document' });
      assert.deepEqual([proxy.topLevel(top), proxy.topLevel(framed)], [true, false]);
    } finally {
      await proxy.close();
      site.closeAllConnections();
      await new Promise((resolve) => site.close(resolve));
    }
  });
});
