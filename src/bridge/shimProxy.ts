/**
 * The shim proxy: a loopback HTTP forward proxy that puts the page shim into HTML documents before
 * any of their own scripts, for engines that offer no way to run a script at document start
 * (WebKitGTK through WebDriver classic: scripts run only after a page has loaded, and no preload
 * script, binding or virtual authenticator exists). The browser is pointed at it with WebDriver's
 * `proxy` capability (W3C WebDriver §7.1.4, proxyType "manual"), so pages keep their own origin.
 *
 * Requests are forwarded unchanged (RFC 9110 §7.6.1: hop-by-hop headers dropped; the response is
 * asked for without content coding so the HTML can be edited). Only `text/html` responses from
 * the listed origins are changed: one inline <script> goes right after <head>, else <html>, else the
 * doctype, else first. CONNECT (https) is tunnelled untouched: TLS pages are not modified.
 * A Content-Security-Policy that forbids inline scripts blocks the shim (the page then has no
 * WebAuthn, as before).
 *
 * It also notes which origins the browser has loaded as top-level documents (Fetch Metadata
 * `Sec-Fetch-Dest: document`, a header page script cannot set), for the bridge to tell a frame's
 * connection from a top-level page's (server.ts `topLevel`).
 */
import {
  createServer,
  request as httpRequest,
  Agent,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { normalizeOrigin } from './server.js';

export interface ShimProxyOptions {
  /** The script to inject (a BridgeServer's shimScript(), which carries its token). */
  script: () => string;
  /** Origins whose HTML gets the shim; 'any' for every http page. */
  origins: readonly string[] | 'any';
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
}

export interface ShimProxy {
  readonly host: string;
  readonly port: number;
  /** HOST:PORT, for a browser's manual httpProxy setting. */
  readonly address: string;
  /**
   * Whether a top-level document of `origin` has come through this proxy (`Sec-Fetch-Dest:
   * document`); true for every origin while the browser sends no Fetch Metadata (it cannot tell).
   */
  topLevel(origin: string): boolean;
  close(): Promise<void>;
}

const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
];

function withoutHopByHop(headers: IncomingMessage['headers']): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const listed = String(headers.connection ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase());
  for (const [k, v] of Object.entries(headers)) {
    if (v !== undefined && !HOP_BY_HOP.includes(k) && !listed.includes(k)) out[k] = v;
  }
  return out;
}

/** The offset just after the first tag matching `re` in the document's head bytes, or -1. */
function after(html: string, re: RegExp): number {
  const m = re.exec(html);
  return m ? m.index + m[0].length : -1;
}

/** `body` with `<script>script</script>` before the document's first script. Byte-exact elsewhere. */
export function injectScript(body: Buffer, script: string): Buffer {
  const head = body.subarray(0, 64 * 1024).toString('latin1');
  let at = after(head, /<head(?:\s[^>]*)?>/i);
  if (at < 0) at = after(head, /<html(?:\s[^>]*)?>/i);
  if (at < 0) at = after(head, /<!doctype[^>]*>/i);
  if (at < 0) at = 0;
  // "</script" inside the script would end the element early (HTML §13.1.2.6 restrictions).
  const tag = Buffer.from(`<script>${script.replace(/<\/(script)/gi, '<\\/$1')}</script>`, 'utf8');
  return Buffer.concat([body.subarray(0, at), tag, body.subarray(at)]);
}

export async function startShimProxy(options: ShimProxyOptions): Promise<ShimProxy> {
  const origins = options.origins === 'any' ? 'any' : options.origins.map((o) => normalizeOrigin(o) ?? o);
  const agent = new Agent({ keepAlive: true });
  const host = options.host ?? '127.0.0.1';
  const sockets = new Set<Socket>();
  const topOrigins = new Set<string>();
  let fetchMetadata = false;

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end('softkey shim proxy: absolute http:// URLs only (use me as an HTTP proxy)\n');
      return;
    }
    if (target.protocol !== 'http:') {
      res
        .writeHead(400, { 'content-type': 'text/plain' })
        .end(`softkey shim proxy: cannot forward ${target.protocol} URLs\n`);
      return;
    }
    const dest = req.headers['sec-fetch-dest'];
    if (dest !== undefined) fetchMetadata = true;
    if (dest === 'document') topOrigins.add(target.origin);
    const inject = origins === 'any' || origins.includes(target.origin);
    const headers = withoutHopByHop(req.headers);
    if (inject) headers['accept-encoding'] = 'identity';
    const upstream = httpRequest(target, { method: req.method, headers, agent }, (up) => {
      const type = String(up.headers['content-type'] ?? '');
      const out = withoutHopByHop(up.headers);
      const plain = (up.headers['content-encoding'] ?? 'identity') === 'identity';
      if (!inject || !/^text\/html\b/i.test(type) || !plain || req.method === 'HEAD') {
        res.writeHead(up.statusCode ?? 502, up.statusMessage, out);
        up.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      up.on('data', (c: Buffer) => chunks.push(c));
      up.on('end', () => {
        const body = injectScript(Buffer.concat(chunks), options.script());
        delete out['content-length'];
        res.writeHead(up.statusCode ?? 200, up.statusMessage, { ...out, 'content-length': String(body.length) });
        res.end(body);
      });
      up.on('error', () => res.destroy());
    });
    upstream.on('error', (e) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`softkey shim proxy: ${target.host} unreachable (${e.message})\n`);
    });
    req.pipe(upstream);
  });

  // https: a blind tunnel (RFC 9110 §9.3.6); nothing is injected into TLS pages.
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const [h, p] = (req.url ?? '').split(':');
    const up = connect(Number(p) || 443, h ?? '', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    const end = () => {
      up.destroy();
      client.destroy();
    };
    for (const s of [up, client]) {
      s.on('error', end);
      s.on('close', end);
    }
  });
  // WebSocket through a plain-http proxy (libsoup sends an absolute-form GET with Upgrade): the
  // request goes on in origin form, then both sockets are spliced; Origin is passed on unchanged.
  server.on('upgrade', (req: IncomingMessage, client: Socket, head: Buffer) => {
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      client.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      return;
    }
    const up = connect(Number(target.port) || 80, target.hostname.replace(/^\[|\]$/g, ''), () => {
      const lines = [`${req.method} ${target.pathname}${target.search} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        if (!/^proxy-/i.test(req.rawHeaders[i]!)) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      }
      up.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    const end = () => {
      up.destroy();
      client.destroy();
    };
    for (const s of [up, client]) {
      s.on('error', end);
      s.on('close', end);
    }
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
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
    address: `${host.includes(':') ? `[${host}]` : host}:${port}`,
    topLevel: (origin) => !fetchMetadata || topOrigins.has(origin),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}
