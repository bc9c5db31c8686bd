/**
 * The Speculos APDU TCP protocol (speculos/mcu/apdu.py; filecoin-app.md §6.1), so that
 * `@ledgerhq/hw-transport-node-speculos` connects unchanged:
 *   request  = uint32 BE N ‖ N bytes of command APDU
 *   response = uint32 BE (len(payload) − 2) ‖ payload, payload = answer ‖ SW  (length excludes SW)
 * Each response goes out in ONE socket write (the client decodes every `data` event on its own).
 * Requests of one connection are answered in order; a connection that closes aborts the APDU it
 * was waiting on (its `signal`). Bytes only: what an APDU means is the callback's business.
 */
import { createServer, type Server, type Socket } from 'node:net';

export const SPECULOS_APDU_PORT = 9999;
export const DEFAULT_HOST = '127.0.0.1';
/** Larger frames are not APDUs; the connection is closed. */
export const MAX_FRAME_LENGTH = 65536;

export type ApduHandler = (apdu: Uint8Array, context: { signal: AbortSignal }) => Promise<Uint8Array>;

export interface ApduTcpServerOptions {
  host?: string;
  /** 0 picks an ephemeral port. */
  port?: number;
  onApdu: ApduHandler;
  onError?: (error: unknown) => void;
}

export interface ApduTcpServer {
  address: { host: string; port: number };
  close(): Promise<void>;
}

/** Encodes one response frame: the length prefix counts the payload without its 2-byte status word. */
export function encodeResponseFrame(payload: Uint8Array): Uint8Array {
  if (payload.length < 2) throw new RangeError('a response carries at least a status word');
  const out = new Uint8Array(4 + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length - 2, false);
  out.set(payload, 4);
  return out;
}

/** Encodes one request frame (the client side: used by tests and the bench). */
export function encodeRequestFrame(apdu: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + apdu.length);
  new DataView(out.buffer).setUint32(0, apdu.length, false);
  out.set(apdu, 4);
  return out;
}

/** Splits a byte stream into request frames; keeps incomplete input for the next push. */
export class RequestFrameReader {
  private pending = new Uint8Array(0);
  push(chunk: Uint8Array): Uint8Array[] {
    const buf = new Uint8Array(this.pending.length + chunk.length);
    buf.set(this.pending, 0);
    buf.set(chunk, this.pending.length);
    const frames: Uint8Array[] = [];
    let offset = 0;
    while (buf.length - offset >= 4) {
      const n = new DataView(buf.buffer, buf.byteOffset + offset, 4).getUint32(0, false);
      if (n > MAX_FRAME_LENGTH) throw new RangeError(`frame of ${n} bytes exceeds ${MAX_FRAME_LENGTH}`);
      if (buf.length - offset - 4 < n) break;
      frames.push(buf.slice(offset + 4, offset + 4 + n));
      offset += 4 + n;
    }
    this.pending = buf.slice(offset);
    return frames;
  }
}

function serve(socket: Socket, onApdu: ApduHandler, onError: (e: unknown) => void): void {
  const reader = new RequestFrameReader();
  const abort = new AbortController();
  let queue: Promise<void> = Promise.resolve();
  socket.setNoDelay(true);
  socket.on('data', (chunk: Buffer) => {
    let frames: Uint8Array[];
    try {
      frames = reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    } catch (e) {
      onError(e);
      socket.destroy();
      return;
    }
    for (const frame of frames) {
      queue = queue.then(async () => {
        if (abort.signal.aborted) return;
        try {
          const payload = await onApdu(frame, { signal: abort.signal });
          if (!abort.signal.aborted && !socket.destroyed) socket.write(encodeResponseFrame(payload));
        } catch (e) {
          onError(e);
          socket.destroy();
        }
      });
    }
  });
  const stop = () => abort.abort();
  socket.on('close', stop);
  socket.on('error', (e) => {
    stop();
    if ((e as NodeJS.ErrnoException).code !== 'ECONNRESET' && (e as NodeJS.ErrnoException).code !== 'EPIPE') onError(e);
  });
}

/** Listens for Speculos-framed APDUs (default 127.0.0.1:9999). */
export function startApduTcpServer(options: ApduTcpServerOptions): Promise<ApduTcpServer> {
  const host = options.host ?? DEFAULT_HOST;
  const port = options.port ?? SPECULOS_APDU_PORT;
  const onError = options.onError ?? (() => {});
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serve(socket, options.onApdu, onError);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      server.on('error', onError);
      const addr = server.address();
      const bound = typeof addr === 'object' && addr ? addr.port : port;
      resolve({
        address: { host, port: bound },
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

/**
 * Parses the `--apdu` argument of `softkey start`: `HOST:PORT`, `:PORT`, `PORT`, `[v6]:PORT` or
 * `HOST` (port 9999). Throws RangeError on anything else.
 */
export function parseApduListen(spec: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*))(?::(\d{1,5}))?$/.exec(spec.trim());
  const bare = /^\d{1,5}$/.test(spec.trim());
  const host = bare ? '' : (m?.[1] ?? m?.[2] ?? '');
  const portText = bare ? spec.trim() : m?.[3];
  if (!m && !bare) throw new RangeError(`invalid --apdu address "${spec}" (expected HOST:PORT)`);
  const port = portText === undefined ? SPECULOS_APDU_PORT : Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`invalid port in "${spec}"`);
  return { host: host === '' ? DEFAULT_HOST : host, port };
}
