/**
 * CTAPHID reports over WebSocket: one binary message is one 64-byte report, in both directions
 * (no report ID). For clients that cannot open UDP or TCP sockets but can open a WebSocket (a
 * browser extension, a sandboxed test runner), and for Node clients (`connectSoftKey({ ws })`).
 *
 * A web page can reach a WebSocket, so the server checks, before the upgrade:
 *  - the per-run token in the URL (`ws://HOST:PORT/ctaphid?token=…`), compared in constant time;
 *  - the Origin header when there is one: only origins on the allow-list (a Node client sends none).
 * Anything else is refused with 403 and never reaches the device. Before those, the Host header
 * must name this listener (421 otherwise: DNS-rebinding defence) and a request may carry no body
 * (413); a message larger than one report closes the connection with 1009 and a reason
 * (httpGuard.ts). Like the TCP HID server, the device answers on the connection that sent the last
 * report. Bytes in and out only.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import type * as Ws from 'ws';
import type { RawData, WebSocket } from 'ws';
import { sameSecret } from '../encoding/secret.js';
import { explainOversizeClose, messageBytes } from '../encoding/webGuard.js';
import { refusedAtEdge, refuseUpgrade, type HttpEdge } from './httpGuard.js';
import { portEvents, type HidReportPort } from './hidPort.js';

/**
 * `ws`, required when a server or client is made: most processes that import this transport (through
 * main/softkey.ts) open neither, and loading it costs 0.15 CPU-s. ws's `require` entry is the
 * CommonJS module its `import` wrapper re-exports, so the classes are the same.
 */
const wsLibrary = (): typeof Ws => createRequire(import.meta.url)('ws') as typeof Ws;

export const WEBSOCKET_HID_REPORT_SIZE = 64;
export const DEFAULT_WEBSOCKET_HID_HOST = '127.0.0.1';
export const DEFAULT_WEBSOCKET_HID_PORT = 8112;
export const WEBSOCKET_HID_PATH = '/ctaphid';

export interface WebSocketHidServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8112; 0 picks a free port. */
  port?: number;
  /** This run's secret; at least 16 characters. */
  token: string;
  /** Origins (scheme://host[:port]) allowed when a request carries an Origin header; default none. */
  allowOrigins?: readonly string[];
  onReport: (report: Uint8Array) => void;
  /** Refused upgrades and malformed messages, with the reason. */
  onRefused?: (reason: string) => void;
  onError?: (error: unknown) => void;
}

export interface WebSocketHidServer {
  readonly address: { host: string; port: number };
  /** ws://HOST:PORT/ctaphid?token=… */
  readonly url: string;
  /** Sends one report to the connection that sent the last report (dropped when there is none). */
  send(report: Uint8Array): void;
  close(): Promise<void>;
}

export async function startWebSocketHidServer(options: WebSocketHidServerOptions): Promise<WebSocketHidServer> {
  if (options.token.length < 16) throw new Error('the WebSocket CTAPHID token must be at least 16 characters');
  const onError = options.onError ?? ((e: unknown) => console.error('[ws-hid]', e));
  const allowed = new Set(options.allowOrigins ?? []);
  const { WebSocket, WebSocketServer } = wsLibrary();
  const wss = new WebSocketServer({ noServer: true, maxPayload: WEBSOCKET_HID_REPORT_SIZE });
  let current: WebSocket | undefined;
  const host = options.host ?? DEFAULT_WEBSOCKET_HID_HOST;
  const edge: HttpEdge = { port: () => (http.address() as { port: number }).port, hosts: [host], maxBodyBytes: 0 };

  const http: Server = createServer((req, res) => {
    if (refusedAtEdge(req, edge, { res })) return;
    res.writeHead(426, { 'content-type': 'text/plain' }).end('softkey CTAPHID over WebSocket\n');
  });
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refused = refusedAtEdge(req, edge, { socket });
    if (refused) return options.onRefused?.(refused);
    const url = new URL(req.url ?? '/', 'http://softkey');
    const origin = req.headers.origin;
    const why =
      url.pathname !== WEBSOCKET_HID_PATH
        ? `unknown path ${url.pathname}`
        : origin !== undefined && !allowed.has(origin)
          ? `origin ${origin} not allowed`
          : !sameSecret(url.searchParams.get('token') ?? undefined, options.token)
            ? 'missing or wrong token'
            : undefined;
    if (why) {
      options.onRefused?.(why);
      refuseUpgrade(socket, url.pathname === WEBSOCKET_HID_PATH ? 403 : 400);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      explainOversizeClose(ws, WEBSOCKET_HID_REPORT_SIZE);
      ws.on('message', (data: RawData, isBinary: boolean) => {
        const bytes = messageBytes(data);
        if (!isBinary || bytes.length !== WEBSOCKET_HID_REPORT_SIZE) {
          options.onRefused?.(`a message of ${bytes.length} bytes is not a ${WEBSOCKET_HID_REPORT_SIZE}-byte report`);
          ws.close(1003, 'one binary message per 64-byte report');
          return;
        }
        current = ws;
        try {
          options.onReport(new Uint8Array(bytes));
        } catch (e) {
          onError(e);
        }
      });
      ws.on('close', () => {
        if (current === ws) current = undefined;
      });
      ws.on('error', (e: Error & { code?: string }) =>
        e.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'
          ? options.onRefused?.(`a message larger than ${WEBSOCKET_HID_REPORT_SIZE} bytes`)
          : onError(e),
      );
    });
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? DEFAULT_WEBSOCKET_HID_PORT, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  http.on('error', onError);
  const bound = http.address();
  const address =
    typeof bound === 'object' && bound ? { host: bound.address, port: bound.port } : { host, port: options.port ?? 0 };
  const hostPart = address.host.includes(':') ? `[${address.host}]` : address.host;
  let closed: Promise<void> | undefined;
  return {
    address,
    url: `ws://${hostPart}:${address.port}${WEBSOCKET_HID_PATH}?token=${encodeURIComponent(options.token)}`,
    send(report) {
      if (report.length !== WEBSOCKET_HID_REPORT_SIZE)
        throw new RangeError(`a report is ${WEBSOCKET_HID_REPORT_SIZE} bytes`);
      if (current?.readyState === WebSocket.OPEN) current.send(report);
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        http.close(() => resolve());
      });
      return closed;
    },
  };
}

/** The host side: a report pipe (send / onReport) over one WebSocket. */
export interface WebSocketHidClient {
  send(report: Uint8Array): void;
  onReport(callback: (report: Uint8Array) => void): () => void;
  close(): Promise<void>;
}

/** Connects to `url` (ws://HOST:PORT/ctaphid?token=…); rejects when the server refuses. */
export function connectWebSocketHid(
  url: string,
  options: { onError?: (e: unknown) => void } = {},
): Promise<WebSocketHidClient> {
  const listeners = new Set<(report: Uint8Array) => void>();
  const { WebSocket } = wsLibrary();
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { maxPayload: WEBSOCKET_HID_REPORT_SIZE });
    ws.binaryType = 'nodebuffer';
    ws.once('unexpected-response', (_req, res) => {
      reject(new Error(`the device refused the WebSocket connection (HTTP ${res.statusCode}): check the URL's token`));
      ws.terminate();
    });
    ws.once('error', reject);
    ws.on('message', (data: Buffer) => {
      if (data.length !== WEBSOCKET_HID_REPORT_SIZE) return;
      const report = new Uint8Array(data);
      for (const l of listeners) l(report);
    });
    ws.once('open', () => {
      ws.off('error', reject);
      ws.on('error', (e) => options.onError?.(e));
      resolve({
        send(report) {
          if (report.length !== WEBSOCKET_HID_REPORT_SIZE)
            throw new RangeError(`a report is ${WEBSOCKET_HID_REPORT_SIZE} bytes`);
          ws.send(report);
        },
        onReport(callback) {
          listeners.add(callback);
          return () => listeners.delete(callback);
        },
        close: () =>
          new Promise<void>((done) => {
            if (ws.readyState === WebSocket.CLOSED) return done();
            ws.once('close', () => done());
            ws.close();
          }),
      });
    });
  });
}

/** The WebSocket CTAPHID server as a HID report port (hidPort.ts). */
export async function webSocketHidPort(
  options: Omit<WebSocketHidServerOptions, 'onReport'>,
): Promise<HidReportPort & { readonly url: string; readonly address: { host: string; port: number } }> {
  const { events, receivers } = portEvents();
  const server = await startWebSocketHidServer({ ...options, onReport: events.report });
  return {
    url: server.url,
    address: server.address,
    description: `CTAPHID over WebSocket on ${server.url} (connectSoftKey({ ws: url }))`,
    onReport: receivers.onReport,
    send: (report) => server.send(report),
    close: () => server.close(),
  };
}
