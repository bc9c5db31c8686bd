/**
 * `softkey webdriver`: an intermediary node (W3C WebDriver §2 "intermediary node") in front of any
 * WebDriver server (chromedriver, WebKitWebDriver, …). Every command is forwarded unchanged to the
 * upstream, except:
 *
 *  - New Session (WebDriver §8.1): the WebAuthn extension capabilities (`webauthn:*`, WebAuthn L3
 *    §11.1–§11.2) are answered here and not passed on; for an engine without a way to run a script
 *    at document start (anything but Chromium) the session's `proxy` capability (§7.1.4, manual)
 *    points at softkey's shim proxy (shimProxy.ts), which puts the page shim into every http
 *    document before its own scripts; for Chromium the shim is registered over chromedriver's CDP
 *    endpoint (`POST /session/{id}/goog/cdp/execute`, Page.addScriptToEvaluateOnNewDocument) right
 *    after the session starts. Either way the shim talks to a bridge (server.ts) of this session.
 *  - the WebAuthn WebDriver extension commands (`/session/{id}/webauthn/…`, L3 §11.4–§11.11): served
 *    here by webdriverExtension.ts, a softkey key behind every virtual authenticator;
 *  - Delete Session (§8.2): forwarded, then the session's keys, bridge and proxy are closed.
 *
 * The listener binds loopback, answers only requests whose Host names it (421 otherwise: DNS
 * rebinding) and reads bodies up to a limit (413 beyond it). WebDriver has no Origin rule of its
 * own; a request carrying a web page's Origin is refused (403), so a page cannot drive the browser.
 */
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostAllowed, misdirectedText } from '../encoding/webGuard.js';
import { startBridgeServer, type BridgeServer } from './server.js';
import { startShimProxy, type ShimProxy } from './shimProxy.js';
import { VirtualAuthenticators, WebDriverError, type OpenVirtualKey } from './webdriverExtension.js';

export interface WebDriverIntermediaryOptions {
  /** The WebDriver server commands go on to, e.g. http://127.0.0.1:9515 (a base path is kept). */
  upstream: string;
  /** Opens a fresh key for each virtual authenticator (the composition root: openSoftKey in memory). */
  openKey: OpenVirtualKey;
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Largest request body read (default 64 MiB: WebDriver bodies carry scripts and uploaded files). */
  maxBodyBytes?: number;
  /** A fresh bridge token for each session (the composition root: 24 random bytes, base64url). */
  token: () => string;
  /** Refused requests and session events, for logs; never throws. */
  onEvent?: (event: string) => void;
}

export interface WebDriverIntermediary {
  readonly host: string;
  readonly port: number;
  /** http://HOST:PORT, the URL a WebDriver client is given. */
  readonly url: string;
  /** The sessions it carries, by session ID. */
  sessions(): string[];
  close(): Promise<void>;
}

/** How softkey's shim enters the pages of a session. */
type ShimRoute = 'cdp' | 'proxy';

interface CarriedSession {
  route: ShimRoute;
  /** cdp route: the window handles whose target has the shim registered. */
  shimmed: Set<string>;
  authenticators: VirtualAuthenticators;
  bridge: BridgeServer;
  proxy?: ShimProxy;
}

const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
];
export const DEFAULT_MAX_BODY_BYTES = 64 << 20;

/** The W3C WebDriver error response (§6.6): { value: { error, message, stacktrace } }. */
function sendError(res: ServerResponse, e: WebDriverError): void {
  sendJson(res, e.status, { value: { error: e.error, message: e.message, stacktrace: '' } });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-cache',
  });
  res.end(text);
}

/** Reads a body up to `max` bytes; undefined when it is larger (the connection is then closed after the answer). */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        req.pause();
        resolve(undefined);
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** True when capabilities ask for Chromium (WebDriver §7.2 browserName, or chromedriver's own options). */
function wantsChromium(caps: Record<string, unknown>): boolean {
  const name = typeof caps.browserName === 'string' ? caps.browserName.toLowerCase() : '';
  const names = ['chrome', 'chromium', 'chrome-headless-shell', 'msedge', 'microsoftedge'];
  return 'goog:chromeOptions' in caps || 'ms:edgeOptions' in caps || names.includes(name);
}

/** The WebAuthn extension capabilities this intermediary answers (L3 §11.1, §11.2). */
const WEBAUTHN_CAPABILITIES = {
  'webauthn:virtualAuthenticators': true,
  'webauthn:extension:uvm': false,
  'webauthn:extension:prf': true,
  'webauthn:extension:largeBlob': true,
  'webauthn:extension:credBlob': true,
};

/**
 * The New Session parameters as forwarded: `webauthn:*` capabilities removed (answered here), and for
 * the proxy route the shim proxy as every candidate's `proxy`. Returns the route.
 */
function rewriteNewSession(body: Record<string, unknown>, proxyAddress: () => string): ShimRoute {
  const caps = (body.capabilities ?? {}) as {
    alwaysMatch?: Record<string, unknown>;
    firstMatch?: Array<Record<string, unknown>>;
  };
  if (typeof caps !== 'object' || caps === null)
    throw new WebDriverError('invalid argument', 'capabilities must be a JSON object');
  const always = caps.alwaysMatch ?? {};
  const first = Array.isArray(caps.firstMatch) && caps.firstMatch.length > 0 ? caps.firstMatch : [{}];
  for (const c of [always, ...first]) {
    for (const k of Object.keys(c)) {
      if (!k.startsWith('webauthn:')) continue;
      if (k === 'webauthn:extension:uvm' && c[k] === true) {
        throw new WebDriverError('unsupported operation', 'softkey has no uvm extension');
      }
      delete c[k];
    }
  }
  const chromium = first.every((c) => wantsChromium({ ...always, ...c }));
  if (chromium) {
    caps.alwaysMatch = always;
    body.capabilities = caps;
    return 'cdp';
  }
  if ([always, ...first].some((c) => c.proxy !== undefined)) {
    throw new WebDriverError(
      'invalid argument',
      'softkey webdriver sets the session proxy itself (its shim proxy puts softkey into the pages): leave out the proxy capability',
    );
  }
  always.proxy = { proxyType: 'manual', httpProxy: proxyAddress(), noProxy: [] };
  caps.alwaysMatch = always;
  body.capabilities = caps;
  return 'proxy';
}

export async function startWebDriverIntermediary(
  options: WebDriverIntermediaryOptions,
): Promise<WebDriverIntermediary> {
  const upstream = new URL(options.upstream);
  if (upstream.protocol !== 'http:') throw new Error(`--upstream must be an http:// URL, got ${options.upstream}`);
  const base = upstream.pathname.replace(/\/+$/, '');
  const host = options.host ?? '127.0.0.1';
  const max = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const sessions = new Map<string, CarriedSession>();
  const token = options.token;
  const log = (e: string) => {
    try {
      options.onEvent?.(e);
    } catch {
      // logging must not break the intermediary
    }
  };

  /** Sends one request upstream and resolves to its status, headers and body. */
  function forward(method: string, path: string, headers: IncomingMessage['headers'], body: Buffer | undefined) {
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP_BY_HOP.includes(k)) out[k] = v;
    if (body) out['content-length'] = String(body.length);
    return new Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }>((resolve, reject) => {
      const r = httpRequest(
        { host: upstream.hostname, port: upstream.port || 80, method, path: `${base}${path}`, headers: out },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }),
          );
          res.on('error', reject);
        },
      );
      r.on('error', (e) =>
        reject(new Error(`the upstream WebDriver server ${upstream.origin} is unreachable (${e.message})`)),
      );
      r.end(body && body.length > 0 ? body : undefined);
    });
  }

  async function upstreamJson(method: string, path: string, body: unknown): Promise<unknown> {
    const bytes = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const r = await forward(method, path, { 'content-type': 'application/json' }, bytes);
    const json = JSON.parse(r.body.toString()) as { value?: { error?: string; message?: string } };
    if (r.status >= 400 || typeof json.value?.error === 'string')
      throw new Error(`${json.value?.error}: ${json.value?.message}`);
    return json.value;
  }

  /**
   * Registers the shim in the current window's target (chromedriver runs CDP commands there): it runs
   * in every document that target loads from now on, before the document's scripts.
   */
  async function registerShim(id: string, bridge: BridgeServer, shimmed: Set<string>): Promise<void> {
    const session = `/session/${encodeURIComponent(id)}`;
    const handle = String(await upstreamJson('GET', `${session}/window`, undefined));
    if (shimmed.has(handle)) return;
    await upstreamJson('POST', `${session}/goog/cdp/execute`, {
      cmd: 'Page.addScriptToEvaluateOnNewDocument',
      params: { source: bridge.shimScript() },
    });
    shimmed.add(handle);
  }

  async function closeSession(id: string): Promise<void> {
    const s = sessions.get(id);
    if (!s) return;
    sessions.delete(id);
    await s.authenticators.close();
    await s.bridge.close();
    await s.proxy?.close();
    log(`session ${id} closed`);
  }

  async function newSession(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw.toString() || '{}') as Record<string, unknown>;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error('not an object');
    } catch {
      return sendError(res, new WebDriverError('invalid argument', 'New Session parameters must be a JSON object'));
    }
    const authenticators = new VirtualAuthenticators(options.openKey);
    const bridge = await startBridgeServer({
      client: authenticators.router,
      token: token(),
      port: 0,
      allowedOrigins: 'any',
      onEvent: log,
      // Through the shim proxy, frames are told from top-level pages by Fetch Metadata (shimProxy.ts).
      topLevel: (origin) => proxy?.topLevel(origin) ?? true,
    });
    let proxy: ShimProxy | undefined;
    const cleanup = async () => {
      await authenticators.close();
      await bridge.close();
      await proxy?.close();
    };
    try {
      let route: ShimRoute;
      try {
        proxy = await startShimProxy({ script: () => bridge.shimScript(), origins: 'any' });
        route = rewriteNewSession(body, () => proxy!.address);
      } catch (e) {
        await cleanup();
        if (e instanceof WebDriverError) return sendError(res, e);
        throw e;
      }
      if (route === 'cdp') {
        await proxy.close();
        proxy = undefined;
      }
      // The answer is read here (its session ID): asked for without content coding.
      const headers = { ...req.headers, 'accept-encoding': 'identity' };
      const up = await forward('POST', '/session', headers, Buffer.from(JSON.stringify(body))).catch((e: Error) => {
        throw new WebDriverError('session not created', `softkey webdriver: ${e.message}`);
      });
      let json: { value?: { sessionId?: string; capabilities?: Record<string, unknown> } };
      try {
        json = JSON.parse(up.body.toString()) as typeof json;
      } catch {
        json = {};
      }
      const id = json.value?.sessionId;
      if (up.status !== 200 || typeof id !== 'string') {
        await cleanup();
        res.writeHead(up.status, { 'content-type': String(up.headers['content-type'] ?? 'application/json') });
        res.end(up.body);
        return;
      }
      const shimmed = new Set<string>();
      if (route === 'cdp') {
        try {
          await registerShim(id, bridge, shimmed);
        } catch (e) {
          await forward('DELETE', `/session/${encodeURIComponent(id)}`, {}, undefined).catch(() => undefined);
          await cleanup();
          const why = `softkey could not install its page shim through the upstream's CDP endpoint: ${(e as Error).message}`;
          return sendError(res, new WebDriverError('unknown error', why));
        }
      }
      sessions.set(id, { route, shimmed, authenticators, bridge, ...(proxy && { proxy }) });
      log(`session ${id} carried (shim through ${route === 'cdp' ? 'CDP' : 'the shim proxy'})`);
      json.value!.capabilities = { ...json.value!.capabilities, ...WEBAUTHN_CAPABILITIES };
      sendJson(res, 200, json);
    } catch (e) {
      await cleanup();
      throw e;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const port = (server.address() as AddressInfo).port;
    if (!hostAllowed(req.headers.host, port, [host])) {
      log(`refused: Host ${req.headers.host}`);
      res.writeHead(421, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
      res.end(misdirectedText(req.headers.host, port, [host]));
      return;
    }
    if (req.headers.origin !== undefined) {
      log(`refused: request with Origin ${req.headers.origin}`);
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
      res.end('softkey webdriver: requests from web pages (with an Origin header) are refused\n');
      return;
    }
    const announced = Number(req.headers['content-length'] ?? 0);
    const body = announced > max ? undefined : await readBody(req, max);
    if (body === undefined) {
      res.writeHead(413, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
      res.end(`softkey webdriver: request bodies are limited to ${max} bytes\n`);
      req.socket.destroySoon();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://intermediary');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    if (method === 'POST' && path === '/session') return newSession(req, res, body);
    const m = /^\/session\/([^/]+)(\/webauthn(\/.*)?)?$/.exec(path);
    if (m && m[2] !== undefined) {
      const s = sessions.get(decodeURIComponent(m[1]!));
      if (!s)
        return sendError(res, new WebDriverError('invalid session id', `softkey webdriver carries no session ${m[1]}`));
      let parameters: unknown = {};
      if (method === 'POST') {
        try {
          parameters = JSON.parse(body.toString() || '{}');
        } catch {
          return sendError(res, new WebDriverError('invalid argument', 'the body is not JSON'));
        }
      }
      try {
        const value = await s.authenticators.command(method, m[3] ?? '', parameters);
        return sendJson(res, 200, { value: value ?? null });
      } catch (e) {
        if (e instanceof WebDriverError) return sendError(res, e);
        throw e;
      }
    }
    const up = await forward(method, `${url.pathname}${url.search}`, req.headers, body);
    const sessionId = decodeURIComponent(/^\/session\/([^/]+)/.exec(path)?.[1] ?? '');
    const carried = sessions.get(sessionId);
    // Switch To Window (WebDriver §11.3): the newly current window's target gets the shim too, before
    // the client hears back and navigates there.
    if (carried?.route === 'cdp' && up.status === 200 && method === 'POST' && /^\/session\/[^/]+\/window$/.test(path)) {
      await registerShim(sessionId, carried.bridge, carried.shimmed).catch((e: unknown) => {
        log(`shim not registered in that window: ${(e as Error).message}`);
      });
    }
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(up.headers)) if (v !== undefined && !HOP_BY_HOP.includes(k)) headers[k] = v;
    headers['content-length'] = String(up.body.length);
    res.writeHead(up.status, headers);
    res.end(up.body);
    if (method === 'DELETE' && m && m[2] === undefined) await closeSession(sessionId);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      log(`error: ${(e as Error).message}`);
      const error =
        e instanceof WebDriverError
          ? e
          : new WebDriverError('unknown error', `softkey webdriver: ${(e as Error).message}`);
      if (!res.headersSent) sendError(res, error);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    host,
    port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    sessions: () => [...sessions.keys()],
    async close() {
      await Promise.all([...sessions.keys()].map(closeSession));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
