/**
 * HID reports over TCP, the framing of pico-fido's emulation build (its python-fido2 backend,
 * `tests/docker/fido2/emulation.py`, connects to 127.0.0.1:35962): every report, in both
 * directions, is a 2-byte big-endian length followed by the report (64 bytes, no report ID).
 *
 * The server takes any number of connections; the device answers on the connection that sent the
 * last report (the "current" one), as one USB device answers whichever program wrote to it. A
 * 65-byte frame starting with a 0 report ID is taken as that report; other sizes close the
 * connection, reported once per connection as one line (onRefused), never as a stack trace per
 * frame; a length prefix over 65 is refused as soon as it arrives, before its bytes are buffered.
 * Bytes in and out only: no protocol logic here.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { hostPort, portEvents, type HidReportPort } from './hidPort.js';

export const DEFAULT_TCP_HID_HOST = '127.0.0.1';
export const DEFAULT_TCP_HID_PORT = 35962;
export const TCP_HID_REPORT_SIZE = 64;

/** One framed report: u16 BE length ‖ report. */
export function encodeFrame(report: Uint8Array): Uint8Array {
  if (report.length > 0xffff) throw new RangeError('a frame carries at most 65535 bytes');
  const out = new Uint8Array(2 + report.length);
  out[0] = report.length >>> 8;
  out[1] = report.length & 0xff;
  out.set(report, 2);
  return out;
}

/** Splits a byte stream into frames; keeps an incomplete frame for the next push. */
export class FrameReader {
  private pending = new Uint8Array(0);
  push(chunk: Uint8Array): Uint8Array[] {
    let buf = chunk;
    if (this.pending.length > 0) {
      buf = new Uint8Array(this.pending.length + chunk.length);
      buf.set(this.pending);
      buf.set(chunk, this.pending.length);
    }
    const frames: Uint8Array[] = [];
    let offset = 0;
    while (buf.length - offset >= 2) {
      const n = (buf[offset]! << 8) | buf[offset + 1]!;
      if (buf.length - offset - 2 < n) break;
      frames.push(buf.slice(offset + 2, offset + 2 + n));
      offset += 2 + n;
    }
    this.pending = buf.slice(offset);
    return frames;
  }

  /** The length announced by the incomplete frame waiting for its bytes, if its prefix has arrived. */
  get announced(): number | undefined {
    return this.pending.length >= 2 ? (this.pending[0]! << 8) | this.pending[1]! : undefined;
  }
}

/** A frame from the host as a report: exactly 64 bytes, or 65 with a leading 0 report ID. */
function reportOf(frame: Uint8Array): Uint8Array | undefined {
  if (frame.length === TCP_HID_REPORT_SIZE) return frame;
  if (frame.length === TCP_HID_REPORT_SIZE + 1 && frame[0] === 0) return frame.slice(1);
  return undefined;
}

export interface TcpHidConnection {
  readonly remote: string;
  send(report: Uint8Array): void;
  close(): void;
}

export interface TcpHidServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 35962; 0 picks a free port. */
  port?: number;
  /** One 64-byte report from a connection (which becomes the current one). */
  onReport: (report: Uint8Array, connection: TcpHidConnection) => void;
  onConnect?: (connection: TcpHidConnection) => void;
  onDisconnect?: (connection: TcpHidConnection) => void;
  /** A connection closed for a malformed frame, once per connection, in one line; default console.warn. */
  onRefused?: (reason: string, connection: TcpHidConnection) => void;
  /** Socket errors and exceptions from the callbacks; default console.error. */
  onError?: (error: unknown) => void;
}

export interface TcpHidServer {
  readonly address: { host: string; port: number };
  /** Sends one 64-byte report to the current connection (dropped when there is none). */
  send(report: Uint8Array): void;
  readonly connectionCount: number;
  close(): Promise<void>;
}

function checkReport(report: Uint8Array): void {
  if (!(report instanceof Uint8Array) || report.length !== TCP_HID_REPORT_SIZE) {
    throw new RangeError(`a TCP HID report must be ${TCP_HID_REPORT_SIZE} bytes`);
  }
}

export async function startTcpHidServer(options: TcpHidServerOptions): Promise<TcpHidServer> {
  const onError = options.onError ?? ((error: unknown) => console.error('[tcp-hid]', error));
  const onRefused = options.onRefused ?? ((reason: string) => console.warn(`[tcp-hid] ${reason}`));
  const connections = new Set<TcpHidConnection & { socket: Socket }>();
  let current: (TcpHidConnection & { socket: Socket }) | undefined;
  const call = (fn: () => void) => {
    try {
      fn();
    } catch (error) {
      onError(error);
    }
  };

  const server: Server = createServer((socket) => {
    socket.setNoDelay(true);
    const connection = {
      socket,
      remote: `${socket.remoteAddress}:${socket.remotePort}`,
      send(report: Uint8Array) {
        checkReport(report);
        if (!socket.destroyed) socket.write(encodeFrame(report));
      },
      close: () => socket.destroy(),
    };
    connections.add(connection);
    const reader = new FrameReader();
    let refused = false;
    const refuse = (length: number) => {
      refused = true;
      socket.destroy();
      call(() =>
        onRefused(
          `frame of ${length} bytes from ${connection.remote} is not a ${TCP_HID_REPORT_SIZE}-byte report; connection closed`,
          connection,
        ),
      );
    };
    socket.on('data', (chunk: Buffer) => {
      if (refused) return;
      for (const frame of reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length))) {
        const report = reportOf(frame);
        if (!report) return refuse(frame.length);
        current = connection;
        call(() => options.onReport(report, connection));
      }
      const announced = reader.announced;
      if (announced !== undefined && announced > TCP_HID_REPORT_SIZE + 1) refuse(announced);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') onError(error);
    });
    socket.on('close', () => {
      connections.delete(connection);
      if (current === connection) current = undefined;
      if (options.onDisconnect) call(() => options.onDisconnect!(connection));
    });
    if (options.onConnect) call(() => options.onConnect!(connection));
  });

  const host = options.host ?? DEFAULT_TCP_HID_HOST;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_TCP_HID_PORT, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', onError);
  const bound = server.address();
  const address =
    typeof bound === 'object' && bound
      ? { host: bound.address, port: bound.port }
      : { host, port: options.port ?? DEFAULT_TCP_HID_PORT };

  let closed: Promise<void> | undefined;
  return {
    address,
    send(report) {
      checkReport(report);
      current?.send(report);
    },
    get connectionCount() {
      return connections.size;
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const c of connections) c.socket.destroy();
      });
      return closed;
    },
  };
}

export interface TcpHidClientOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 35962. */
  port?: number;
  onError?: (error: unknown) => void;
}

/** The host side: a HidReportPipe (send / onReport) over one TCP connection. */
export interface TcpHidClient {
  send(report: Uint8Array): void;
  /** Registers a listener for reports from the device; returns a function that removes it. */
  onReport(callback: (report: Uint8Array) => void): () => void;
  close(): Promise<void>;
}

export function connectTcpHid(options: TcpHidClientOptions = {}): Promise<TcpHidClient> {
  const host = options.host ?? DEFAULT_TCP_HID_HOST;
  const port = options.port ?? DEFAULT_TCP_HID_PORT;
  const onError = options.onError ?? ((error: unknown) => console.error('[tcp-hid]', error));
  const listeners = new Set<(report: Uint8Array) => void>();
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port }, () => {
      socket.off('error', reject);
      socket.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') onError(error);
      });
      resolve({
        send(report) {
          checkReport(report);
          if (!socket.destroyed) socket.write(encodeFrame(report));
        },
        onReport(callback) {
          listeners.add(callback);
          return () => listeners.delete(callback);
        },
        close: () =>
          new Promise<void>((done) => {
            if (socket.destroyed) return done();
            socket.once('close', () => done());
            socket.destroy();
          }),
      });
    });
    socket.setNoDelay(true);
    socket.once('error', reject);
    const reader = new FrameReader();
    socket.on('data', (chunk: Buffer) => {
      for (const frame of reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length))) {
        for (const listener of [...listeners]) {
          try {
            listener(frame);
          } catch (error) {
            onError(error);
          }
        }
      }
    });
  });
}

/** The TCP HID server as a HID report port (hidPort.ts). */
export async function tcpHidPort(
  options: Omit<TcpHidServerOptions, 'onReport'> = {},
): Promise<HidReportPort & { readonly address: { host: string; port: number } }> {
  const { events, receivers } = portEvents();
  const server = await startTcpHidServer({ ...options, onReport: (report) => events.report(report) });
  return {
    address: server.address,
    description: `CTAPHID over TCP (pico-fido emulation framing) on ${hostPort(server.address)}`,
    onReport: receivers.onReport,
    send: (report) => server.send(report),
    close: () => server.close(),
  };
}
