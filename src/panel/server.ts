/**
 * The device panel's server: one loopback HTTP server (default http://127.0.0.1:5174) serving the
 * panel page, the control API (src/control/httpApi.ts) and a WebSocket (`ws`) of live events.
 * The per-run token guards all three: `?token=` in the page URL and the WebSocket URL,
 * `Authorization: Bearer` for the API. Requests from any other Origin are refused (403), requests
 * whose Host header does not name this server get 421 (DNS-rebinding defence), bodies over
 * MAX_CONTROL_BODY_BYTES get 413 and WebSocket messages over MAX_PANEL_MESSAGE_BYTES close the
 * connection with 1009 and a reason. The page without its token explains what is missing (401).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { getRequestListener } from '@hono/node-server';
import { WebSocketServer, type WebSocket } from 'ws';
import { createControlApi, guard, sameToken, tokenOf, type ControlSurface } from '../control/httpApi.js';
import { explainOversizeClose, hostAllowed, misdirectedText } from '../encoding/webGuard.js';
import { panelPage, tokenMissingPage } from './page.js';
import { DEFAULT_PANEL_HOST, DEFAULT_PANEL_PORT } from './defaults.js';

export { DEFAULT_PANEL_HOST, DEFAULT_PANEL_PORT };
/** The panel's WebSocket only carries events out; what comes in is ignored, and bounded. */
export const MAX_PANEL_MESSAGE_BYTES = 4096;

export interface PanelServerOptions {
  controller: ControlSurface;
  token: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** When the port is taken, take a free one instead of failing (the default port, not one asked for). */
  fallbackToFreePort?: boolean;
}

export interface PanelServer {
  readonly host: string;
  readonly port: number;
  /** http://HOST:PORT */
  readonly origin: string;
  /** The panel page with the token: open this in a browser. */
  readonly url: string;
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => (server.off('listening', onListening), reject(e));
    const onListening = () => (server.off('error', onError), resolve());
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

export async function startPanelServer(options: PanelServerOptions): Promise<PanelServer> {
  const host = options.host ?? DEFAULT_PANEL_HOST;
  if (options.token.length < 16) throw new RangeError('the panel token must be at least 16 characters');
  let origins: string[] = [];
  const boundPort = () => (server.address() as AddressInfo).port;
  const listener = { port: boundPort, hosts: [host] };
  const apiOptions = { controller: options.controller, token: options.token, origins: () => origins, listener };
  const app = createControlApi(apiOptions);
  app.get('/', (c) => {
    const refused = guard(c, apiOptions, true);
    if (refused?.status === 401) {
      const given = tokenOf({ get: (n) => c.req.header(n) }, c.req.url, true);
      return c.html(tokenMissingPage(given !== undefined && given !== ''), 401, SECURITY_HEADERS);
    }
    if (refused) return refused;
    return c.html(panelPage(), 200, SECURITY_HEADERS);
  });
  app.get('/favicon.ico', (c) => c.body(null, 204));
  app.all('*', (c) => c.json({ error: 'not found' }, 404));

  const requests = getRequestListener(app.fetch);
  const server = createServer((req, res) => void requests(req, res));
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_PANEL_MESSAGE_BYTES });
  const sockets = new Set<WebSocket>();
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!hostAllowed(req.headers.host, boundPort(), listener.hosts)) {
      const text = misdirectedText(req.headers.host, boundPort(), listener.hosts);
      socket.end(
        `HTTP/1.1 421 Misdirected Request\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
      );
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const headers = { get: (n: string) => req.headers[n] as string | undefined };
    const allowed =
      url.pathname === '/ws' &&
      (req.headers.origin === undefined || origins.includes(req.headers.origin)) &&
      sameToken(tokenOf(headers, req.url ?? '/', true), options.token);
    if (!allowed) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      explainOversizeClose(ws, MAX_PANEL_MESSAGE_BYTES);
      sockets.add(ws);
      const unsubscribe = options.controller.subscribe((event) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(event));
      });
      ws.on('close', () => (unsubscribe(), sockets.delete(ws)));
      ws.on('error', () => ws.terminate());
      ws.on('message', () => {}); // the panel acts through the HTTP API; messages are ignored
    });
  });

  const port = options.port ?? DEFAULT_PANEL_PORT;
  try {
    await listen(server, host, port);
  } catch (e) {
    if (!(options.fallbackToFreePort && (e as NodeJS.ErrnoException).code === 'EADDRINUSE')) throw e;
    await listen(server, host, 0);
  }
  const address = server.address() as AddressInfo;
  const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const origin = `http://${hostPart}:${address.port}`;
  origins = [origin, ...(['127.0.0.1', '::1'].includes(address.address) ? [`http://localhost:${address.port}`] : [])];
  return {
    host: address.address,
    port: address.port,
    origin,
    url: `${origin}/?token=${encodeURIComponent(options.token)}`,
    async close() {
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
