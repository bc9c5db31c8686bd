/**
 * `softkey webdriver`'s HTTP side against a scripted upstream (no browser): what New Session
 * forwards for each route (the shim proxy as the session proxy; chromedriver's CDP preload), that
 * other commands pass through unchanged, and the listener's edge: Host check, Origin refusal,
 * bounded bodies, unknown sessions.
 */
import '../helpers/tempHome.js';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startWebDriver } from '../../src/main/webdriver.js';
import { startWebDriverIntermediary, type WebDriverIntermediary } from '../../src/bridge/webdriverIntermediary.js';
import { webdriverCommand } from '../../src/cli/webdriverCommand.js';

interface Seen {
  method: string;
  url: string;
  body: string;
}

/** A WebDriver server that records requests and answers New Session with session "s1". */
async function fakeUpstream(): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, body });
      const value =
        req.url === '/wd/session'
          ? { sessionId: 's1', capabilities: { browserName: 'fake' } }
          : req.url?.startsWith('/wd/session/s1/url')
            ? 'http://example.test/'
            : req.url === '/wd/session/s1/window'
              ? `w${seen.filter((s) => s.url === '/wd/session/s1/window' && s.method === 'POST').length}`
              : null;
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'x-upstream': 'yes' });
      res.end(JSON.stringify({ value }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/wd`,
    seen,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A raw request (fetch cannot set Host or Origin freely). */
type Answer = { status: number; text: string; headers: Record<string, unknown> };
function raw(port: number, method: string, path: string, headers: Record<string, string>, body = ''): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const r = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, text, headers: res.headers }));
      },
    );
    r.on('error', reject);
    r.end(body);
  });
}

const json = (port: number, method: string, path: string, body?: unknown) =>
  raw(
    port,
    method,
    path,
    { host: `127.0.0.1:${port}`, 'content-type': 'application/json' },
    body === undefined ? '' : JSON.stringify(body),
  ).then((r) => ({
    ...r,
    json: JSON.parse(r.text) as { value: Record<string, unknown> & { error?: string; message?: string } },
  }));

describe('softkey webdriver: New Session and forwarding', () => {
  let upstream: Awaited<ReturnType<typeof fakeUpstream>>;
  let wd: WebDriverIntermediary;
  before(async () => {
    upstream = await fakeUpstream();
    wd = await startWebDriver({ upstream: upstream.url });
  });
  after(async () => {
    await wd.close();
    await upstream.close();
  });

  it('an engine other than Chromium: the session proxy is the shim proxy; webauthn:* capabilities are answered here', async () => {
    upstream.seen.length = 0;
    const caps = {
      capabilities: { alwaysMatch: { browserName: 'MiniBrowser', 'webauthn:virtualAuthenticators': true } },
    };
    const r = await json(wd.port, 'POST', '/session', caps);
    assert.equal(r.status, 200);
    assert.equal(r.json.value.sessionId, 's1');
    assert.equal((r.json.value.capabilities as Record<string, unknown>)['webauthn:virtualAuthenticators'], true);
    const sent = JSON.parse(upstream.seen[0]!.body) as { capabilities: { alwaysMatch: Record<string, unknown> } };
    assert.equal(upstream.seen[0]!.url, '/wd/session');
    assert.equal('webauthn:virtualAuthenticators' in sent.capabilities.alwaysMatch, false);
    const proxy = sent.capabilities.alwaysMatch.proxy as { proxyType: string; httpProxy: string; noProxy: string[] };
    assert.equal(proxy.proxyType, 'manual');
    assert.match(proxy.httpProxy, /^127\.0\.0\.1:\d+$/);
    assert.deepEqual(proxy.noProxy, []);
    assert.deepEqual(wd.sessions(), ['s1']);

    // The shim proxy puts the shim into pages fetched through it.
    const page = createServer((_q, s) =>
      s.writeHead(200, { 'content-type': 'text/html' }).end('<html><head></head><body>hi</body></html>'),
    );
    await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
    const [ph, pp] = proxy.httpProxy.split(':');
    const through = await new Promise<string>((resolve, reject) => {
      const q = request(
        { host: ph, port: Number(pp), path: `http://127.0.0.1:${(page.address() as AddressInfo).port}/` },
        (res) => {
          let t = '';
          res.on('data', (c: Buffer) => (t += c.toString()));
          res.on('end', () => resolve(t));
        },
      );
      q.on('error', reject);
      q.end();
    });
    page.close();
    assert.match(through, /<head><script>[^]*softkeyShim[^]*<\/script><\/head>/);

    const url = await json(wd.port, 'GET', '/session/s1/url?x=1');
    assert.equal(url.json.value as unknown, 'http://example.test/');
    assert.equal(url.headers['x-upstream'], 'yes', 'the upstream answer, passed on');
    assert.equal(upstream.seen.at(-1)!.url, '/wd/session/s1/url?x=1');

    const id = await json(wd.port, 'POST', '/session/s1/webauthn/authenticator', {
      protocol: 'ctap2_1',
      transport: 'usb',
    });
    assert.match(id.json.value as unknown as string, /^softkey-1$/);
    assert.equal(
      upstream.seen.some((s) => s.url.includes('webauthn')),
      false,
      'extension commands stay here',
    );

    const del = await json(wd.port, 'DELETE', '/session/s1');
    assert.equal(del.status, 200);
    assert.equal(upstream.seen.at(-1)!.method, 'DELETE');
    assert.deepEqual(wd.sessions(), []);
    const gone = await json(wd.port, 'POST', '/session/s1/webauthn/authenticator', {
      protocol: 'ctap2_1',
      transport: 'usb',
    });
    assert.equal(gone.status, 404);
    assert.equal(gone.json.value.error, 'invalid session id');
  });

  it('a proxy capability of its own cannot be honoured: invalid argument', async () => {
    const r = await json(wd.port, 'POST', '/session', {
      capabilities: { alwaysMatch: { browserName: 'MiniBrowser', proxy: { proxyType: 'direct' } } },
    });
    assert.equal(r.status, 400);
    assert.equal(r.json.value.error, 'invalid argument');
    assert.match(r.json.value.message!, /proxy/);
  });

  it("Chromium: the shim is registered through chromedriver's CDP endpoint before any page loads", async () => {
    upstream.seen.length = 0;
    const chrome = { browserName: 'chrome', 'goog:chromeOptions': { args: ['--headless=new'] } };
    const r = await json(wd.port, 'POST', '/session', { capabilities: { alwaysMatch: chrome } });
    assert.equal(r.status, 200);
    const sent = JSON.parse(upstream.seen[0]!.body) as { capabilities: { alwaysMatch: Record<string, unknown> } };
    assert.equal('proxy' in sent.capabilities.alwaysMatch, false);
    const cdpCalls = () => upstream.seen.filter((s) => s.url === '/wd/session/s1/goog/cdp/execute');
    assert.equal(cdpCalls().length, 1);
    const command = JSON.parse(cdpCalls()[0]!.body) as { cmd: string; params: { source: string } };
    assert.equal(command.cmd, 'Page.addScriptToEvaluateOnNewDocument');
    assert.match(command.params.source, /softkeyShim/);
    // Switch To Window: the new current window (w1) gets it too, once.
    await json(wd.port, 'POST', '/session/s1/window', { handle: 'w1' });
    assert.equal(cdpCalls().length, 2);
    assert.ok(
      upstream.seen.indexOf(cdpCalls()[1]!) >
        upstream.seen.findIndex((s) => s.method === 'POST' && s.url === '/wd/session/s1/window'),
    );
    await json(wd.port, 'DELETE', '/session/s1');
  });
});

describe('softkey webdriver: the listener edge', () => {
  let upstream: Awaited<ReturnType<typeof fakeUpstream>>;
  let wd: WebDriverIntermediary;
  before(async () => {
    upstream = await fakeUpstream();
    const openKey = () => Promise.reject(new Error('unused'));
    wd = await startWebDriverIntermediary({
      upstream: upstream.url,
      maxBodyBytes: 1000,
      token: () => 'x'.repeat(32),
      openKey,
    });
  });
  after(async () => {
    await wd.close();
    await upstream.close();
  });

  it('binds loopback; a foreign Host is 421, a web page Origin 403, a large body 413; nothing reaches the upstream', async () => {
    assert.equal(wd.host, '127.0.0.1');
    upstream.seen.length = 0;
    const host = await raw(wd.port, 'GET', '/status', { host: 'evil.example' });
    assert.equal(host.status, 421);
    assert.match(host.text, /DNS rebinding/);
    const origin = await raw(
      wd.port,
      'POST',
      '/session',
      { host: `127.0.0.1:${wd.port}`, origin: 'http://evil.example' },
      '{}',
    );
    assert.equal(origin.status, 403);
    const big = await raw(
      wd.port,
      'POST',
      '/session/s1/url',
      { host: `localhost:${wd.port}` },
      JSON.stringify({ url: 'x'.repeat(2000) }),
    );
    assert.equal(big.status, 413);
    assert.match(big.text, /1000 bytes/);
    assert.deepEqual(upstream.seen, []);
    const ok = await raw(wd.port, 'GET', '/status', { host: `localhost:${wd.port}` });
    assert.equal(ok.status, 200);
    assert.equal(upstream.seen.length, 1);
  });

  it('an upstream that does not answer: New Session fails with session not created, naming it', async () => {
    const gone = await startWebDriver({ upstream: 'http://127.0.0.1:9/' });
    try {
      const r = await json(gone.port, 'POST', '/session', {
        capabilities: { alwaysMatch: { browserName: 'MiniBrowser' } },
      });
      assert.equal(r.status, 500);
      assert.equal(r.json.value.error, 'session not created');
      assert.match(r.json.value.message!, /127\.0\.0\.1:9 is unreachable/);
      assert.deepEqual(gone.sessions(), []);
    } finally {
      await gone.close();
    }
  });

  it('unknown sessions and extension paths get WebDriver errors', async () => {
    const r = await json(wd.port, 'GET', '/session/nope/webauthn/authenticator/x/credentials');
    assert.equal(r.status, 404);
    assert.equal(r.json.value.error, 'invalid session id');
  });
});

describe('softkey webdriver (the command)', () => {
  it('prints its URL and stops when asked', async () => {
    const upstream = await fakeUpstream();
    const out: string[] = [];
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const io = { out: (s: string) => (out.push(s), out.length === 2 && stop()), err: () => undefined };
    const run = webdriverCommand(['--upstream', upstream.url, '--port', '0'], io, stopped);
    assert.equal(await run, 0);
    assert.match(out[0]!, /^softkey webdriver: http:\/\/127\.0\.0\.1:\d+ → http:\/\/127\.0\.0\.1:\d+\/wd$/);
    assert.equal(out.at(-1), 'softkey webdriver stopped');
    await upstream.close();
    await assert.rejects(
      webdriverCommand([], { out: () => undefined, err: () => undefined }),
      /--upstream URL is required/,
    );
    await assert.rejects(
      webdriverCommand(['--upstream', 'ftp://x'], { out: () => undefined, err: () => undefined }),
      /http:\/\//,
    );
  });
});
