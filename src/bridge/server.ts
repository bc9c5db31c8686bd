/**
 * The bridge server: a loopback HTTP + WebSocket server (package `ws`) through which pages that
 * load the shim reach softkey. Messages are those of protocol.ts.
 *
 * A connection is accepted only when BOTH hold:
 *  - its Origin header (set by the browser, not by page script) is on the allow-list, and
 *  - its URL carries this run's token: ws://HOST:PORT/?token=TOKEN
 * Otherwise the upgrade is answered 403 and nothing reaches the device. Before that, every request
 * must name this server in its Host header (421 otherwise: DNS-rebinding defence) and carry no
 * body (413); a message over MAX_MESSAGE_BYTES closes the connection with 1009 and a reason. Each request then runs
 * through the WebAuthn client with that Origin as the caller's origin, so the client's own origin /
 * rpId rules (WebAuthn L3 §5.1.3 step 7-8) apply to the page as they would in a browser.
 *
 * A cross-origin frame's create()/get() is served only with a grant its embedder's own connection
 * gave for it (WebAuthn L3 §5.9, permissionsPolicy.ts); clientData then carries the top origin. The
 * shim asks for that grant, but script in the frame could skip the shim and talk to the bridge
 * itself; so when the bridge is told which origins have a top-level document open (`topLevel`, from
 * the browser driver or the shim proxy), a connection of any other origin is a frame's: without a
 * grant its create()/get() gets the same NotAllowedError, and it can neither signal nor vouch for a
 * frame of its own (a grant offer needs a top-level document or a grant of the offerer's own, `via`).
 *
 * GET /shim.js?token=TOKEN serves the shim, already pointing at this server, for pages that want
 * to include it with a <script> tag.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { sameSecret } from '../encoding/secret.js';
import { explainOversizeClose, messageBytes } from '../encoding/webGuard.js';
import { refusedAtEdge, refuseUpgrade, type HttpEdge } from '../transport/httpGuard.js';
import { pageShimScript } from './pageShim.js';
import { FrameGrants, featureFor, notGrantedMessage } from './permissionsPolicy.js';
import {
  DEFAULT_ALLOWED_ORIGINS,
  DEFAULT_BRIDGE_HOST,
  DEFAULT_BRIDGE_PORT,
  MAX_MESSAGE_BYTES,
  normalizeOrigin,
  type BridgeReply,
} from './protocol.js';

export { normalizeOrigin };
import { BridgeSession, type BridgeClient } from './session.js';

export interface BridgeServerOptions {
  /** Runs each request (a WebAuthnClient over the device). */
  client: BridgeClient;
  /** The per-run secret pages must present; at least 16 characters (the composition root makes it random). */
  token: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /**
   * Exact origins (scheme://host[:port]) allowed to connect, or 'any' (the token alone admits a
   * page; softkey/puppeteer's attach, which cannot know the origins a test will visit, uses it).
   * Either way the Origin header is the caller's origin: the client's rpId rules still apply.
   */
  allowedOrigins?: readonly string[] | 'any';
  /** Called for refused connections and protocol trouble (for logs); never throws. */
  onEvent?: (event: string) => void;
  /**
   * Whether a top-level document of `origin` is open in the browser, by the driver's own record (not
   * anything a page says). Given, connections of other origins are taken for frames (see above).
   * Without it every connection counts as a top-level document's: the token and the origins gate it.
   */
  topLevel?: (origin: string) => boolean | Promise<boolean>;
}

export interface BridgeServer {
  readonly host: string;
  readonly port: number;
  /** ws://HOST:PORT/?token=… */
  readonly url: string;
  /** http://HOST:PORT/shim.js?token=… */
  readonly scriptUrl: string;
  readonly allowedOrigins: readonly string[];
  /** Adds an origin to the allow-list (e.g. a server whose port was only known after it started). */
  allow(origin: string): void;
  /** The shim configured for this server, to inline into pages. */
  shimScript(): string;
  close(): Promise<void>;
}

/** The NotAllowedError message of a frame's signal (the shim says the same before asking). */
const CROSS_ORIGIN_SIGNAL = 'softkey does not serve cross-origin frames';

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export async function startBridgeServer(options: BridgeServerOptions): Promise<BridgeServer> {
  if (options.token.length < 16) throw new Error('bridge token must be at least 16 characters');
  // The statics the shim reports: a platform profile's key is a user-verifying platform authenticator.
  const uvpa = (await options.client.isUserVerifyingPlatformAuthenticatorAvailable?.().catch(() => false)) === true;
  const anyOrigin = options.allowedOrigins === 'any';
  const allowed = (options.allowedOrigins === 'any' ? [] : (options.allowedOrigins ?? DEFAULT_ALLOWED_ORIGINS)).map(
    (o) => {
      const n = normalizeOrigin(o);
      if (!n) throw new Error(`not an origin: ${o}`);
      return n;
    },
  );
  const log = (e: string) => {
    try {
      options.onEvent?.(e);
    } catch {
      // logging must not break the bridge
    }
  };
  const host = options.host ?? DEFAULT_BRIDGE_HOST;
  const tokenOf = (req: IncomingMessage) => new URL(req.url ?? '/', 'http://bridge').searchParams.get('token') ?? '';

  let self: BridgeServer | undefined;
  const edge: HttpEdge = { port: () => (http.address() as AddressInfo).port, hosts: [host], maxBodyBytes: 0 };
  const http: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const refused = refusedAtEdge(req, edge, { res });
    if (refused) return log(`refused bridge request: ${refused}`);
    const path = new URL(req.url ?? '/', 'http://bridge').pathname;
    if (req.method === 'GET' && path === '/shim.js' && sameSecret(tokenOf(req), options.token) && self) {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' });
      res.end(self.shimScript());
      return;
    }
    res.writeHead(path === '/shim.js' ? 403 : 404, { 'content-type': 'text/plain' });
    res.end(path === '/shim.js' ? 'token required\n' : 'softkey bridge\n');
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });

  http.on('upgrade', (req, socket, head) => {
    const refusedHere = refusedAtEdge(req, edge, { socket });
    if (refusedHere) return log(`refused bridge connection: ${refusedHere}`);
    const origin = normalizeOrigin(String(req.headers.origin ?? ''));
    const refuse = (why: string) => {
      log(`refused bridge connection from ${req.headers.origin ?? '(no origin)'}: ${why}`);
      refuseUpgrade(socket, 403, `${why}\n`);
    };
    if (!origin || !(anyOrigin || allowed.includes(origin))) return refuse('origin not allowed');
    if (!sameSecret(tokenOf(req), options.token)) return refuse('missing or wrong token');
    wss.handleUpgrade(req, socket, head, (ws) => serve(ws, origin));
  });

  // Cross-origin frames (L3 §5.9): grants one connection (the embedder) gives another (the frame).
  const grants = new FrameGrants();
  /** One connection: one document of one origin, top-level or a frame for its whole life. */
  interface Connection {
    origin: string;
    /** Known to be a top-level document's (asked once it matters; only a yes is kept). */
    top: boolean;
  }
  const isTopLevel = async (c: Connection): Promise<boolean> => {
    if (c.top || !options.topLevel) return true;
    try {
      c.top = (await options.topLevel(c.origin)) === true;
    } catch (e) {
      log(`cannot tell whether ${c.origin} is a top-level document: ${(e as Error).message}`);
    }
    return c.top;
  };
  async function answer(session: BridgeSession, message: unknown, c: Connection): Promise<BridgeReply | undefined> {
    const origin = c.origin;
    const m = (typeof message === 'object' && message !== null ? message : {}) as Record<string, unknown>;
    const id = typeof m.id === 'string' ? m.id : '';
    const refuse = (text: string): BridgeReply => ({
      id,
      ok: false,
      error: { name: 'NotAllowedError', message: text },
    });
    if (m.type === 'grant') {
      if (m.origin !== origin)
        return { id, ok: false, error: { name: 'SecurityError', message: 'the page origin does not match' } };
      const frameOrigin = typeof m.frameOrigin === 'string' ? normalizeOrigin(m.frameOrigin) : undefined;
      const feature =
        m.feature === 'publickey-credentials-create' || m.feature === 'publickey-credentials-get'
          ? m.feature
          : undefined;
      if (!frameOrigin || !feature || typeof m.nonce !== 'string' || (m.via !== undefined && typeof m.via !== 'string'))
        return refuse('malformed grant');
      // Only a top-level document, or a frame showing its own grant, vouches for a frame.
      if (m.via === undefined && !(await isTopLevel(c))) return refuse(notGrantedMessage(feature, origin));
      const why = grants.offer(origin, {
        nonce: m.nonce,
        frameOrigin,
        feature,
        allow: typeof m.allow === 'string' ? m.allow : null,
        ...(typeof m.via === 'string' && { via: m.via }),
      });
      return why === undefined ? { id, ok: true, value: null } : refuse(why);
    }
    const ceremony = m.type === 'create' || m.type === 'get';
    if (!ceremony || m.grant === undefined) {
      if (ceremony && !(await isTopLevel(c)))
        return refuse(notGrantedMessage(featureFor(m.type as 'create' | 'get'), origin));
      if (m.type === 'signal' && !(await isTopLevel(c))) return refuse(CROSS_ORIGIN_SIGNAL);
      return session.handle(message, origin);
    }
    const feature = featureFor(m.type as 'create' | 'get');
    const top = typeof m.grant === 'string' ? grants.take(m.grant, origin, feature) : undefined;
    if (top === undefined) return refuse(notGrantedMessage(feature, origin));
    return session.handle(message, origin, top);
  }

  function serve(ws: WebSocket, origin: string): void {
    explainOversizeClose(ws, MAX_MESSAGE_BYTES);
    const session = new BridgeSession(options.client);
    const connection: Connection = { origin, top: false };
    ws.on('message', (data, isBinary) => {
      let message: unknown;
      try {
        message = isBinary ? undefined : JSON.parse(messageBytes(data).toString());
      } catch {
        message = undefined;
      }
      void answer(session, message, connection).then((reply) => {
        if (reply && ws.readyState === ws.OPEN) ws.send(JSON.stringify(reply));
      });
    });
    ws.on('close', () => session.close());
    ws.on('error', (e) => log(`bridge connection error: ${e.message}`));
  }

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? DEFAULT_BRIDGE_PORT, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const base = `${hostForUrl(host)}:${port}`;
  const token = encodeURIComponent(options.token);
  self = {
    host,
    port,
    url: `ws://${base}/?token=${token}`,
    scriptUrl: `http://${base}/shim.js?token=${token}`,
    allowedOrigins: allowed,
    allow(origin: string) {
      const n = normalizeOrigin(origin);
      if (!n) throw new Error(`not an origin: ${origin}`);
      if (!allowed.includes(n)) allowed.push(n);
    },
    shimScript: () =>
      pageShimScript({ kind: 'ws', url: `ws://${base}/?token=${token}` }, { userVerifyingPlatformAuthenticator: uvpa }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };
  return self;
}
