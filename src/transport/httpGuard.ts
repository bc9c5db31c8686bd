/**
 * The edge checks of the plain node:http listeners in transport/ and bridge/ (CTAPHID over
 * WebSocket, the browser bridge): the Host allow-list (encoding/webGuard.ts) and a request-body
 * limit, answered before anything reads the body. A refused request's remaining body is read and
 * dropped for a moment (at most DISCARD_BYTES or DISCARD_MS) so the client sees the answer rather
 * than a reset, then the connection is closed: a 1 GiB upload costs neither memory nor the time to
 * receive it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { hostAllowed, misdirectedText } from '../encoding/webGuard.js';

const DISCARD_BYTES = 64 << 20; // as @hono/node-server drains an unread body
const DISCARD_MS = 500;

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  413: 'Content Too Large',
  421: 'Misdirected Request',
  426: 'Upgrade Required',
};

/** Answers `status` with a plain-text reason, then drops what is left of the body and closes. */
export function refuseRequest(req: IncomingMessage, res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
  if (req.complete) return;
  let seen = 0;
  const close = () => (clearTimeout(timer), req.socket.destroy());
  const timer = setTimeout(close, DISCARD_MS);
  timer.unref();
  req.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > DISCARD_BYTES) close();
  });
  req.once('end', () => clearTimeout(timer));
  req.resume();
}

/** Answers an HTTP upgrade request on its raw socket and closes it. */
export function refuseUpgrade(socket: Duplex, status: number, text = ''): void {
  const body = text
    ? `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`
    : 'Content-Length: 0\r\n\r\n';
  socket.end(`HTTP/1.1 ${status} ${REASONS[status] ?? ''}\r\nConnection: close\r\n${body}`);
}

/** The size a request announces for its body: Content-Length, or Infinity for a chunked one. */
export function announcedBodyBytes(req: IncomingMessage): number {
  if (req.headers['transfer-encoding'] !== undefined) return Infinity;
  const n = Number(req.headers['content-length'] ?? 0);
  return Number.isFinite(n) && n >= 0 ? n : Infinity;
}

export interface HttpEdge {
  /** The bound port (known after listen). */
  port(): number;
  /** Host names besides the loopback ones (the configured host). */
  hosts: readonly string[];
  /** Largest request body accepted; the listeners here take none (0). */
  maxBodyBytes: number;
}

/**
 * The Host check then the body limit, for a request (res given) or an upgrade (socket given).
 * Returns undefined when the request may go on; otherwise the reason, already answered (421 or 413).
 */
export function refusedAtEdge(
  req: IncomingMessage,
  edge: HttpEdge,
  reply: { res: ServerResponse } | { socket: Duplex },
): string | undefined {
  const host = req.headers.host;
  let status: number | undefined;
  let text = '';
  if (!hostAllowed(host, edge.port(), edge.hosts)) {
    status = 421;
    text = misdirectedText(host, edge.port(), edge.hosts);
  } else if (announcedBodyBytes(req) > edge.maxBodyBytes) {
    status = 413;
    text =
      edge.maxBodyBytes === 0
        ? 'softkey: this server takes no request body\n'
        : `softkey: request bodies are limited to ${edge.maxBodyBytes} bytes\n`;
  }
  if (status === undefined) return undefined;
  if ('res' in reply) refuseRequest(req, reply.res, status, text);
  else refuseUpgrade(reply.socket, status, text);
  return text.replace(/^softkey: /, '').trim();
}
