/**
 * The front's end of the secure-core stream (docs/split.md): one request at a time, answers
 * matched by order. The secure core runs as a child process connected by a socket pair on its
 * fd 3; when it dies, the request in flight fails with CoreUnavailableError and the next request
 * starts a new core (the store is on disk in the core, so nothing is lost).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Duplex } from 'node:stream';
import { MessageFramer } from '../../securecore/framing.js';
import { decodeMessage, encodeMessage, type SecureCoreMessage } from '../../securecore/messages.js';

export class CoreUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CoreUnavailableError';
  }
}

export interface CoreConnection {
  stream: Duplex;
  /** The core's process, when it is one. */
  child?: ChildProcess;
  close(): void;
}

/** How the front starts its core: `node [execArgv] ENTRY secure-core ARGS` with the stream on fd 3. */
export interface CoreCommand {
  command: string;
  args: string[];
}

export function spawnCore(cmd: CoreCommand): CoreConnection {
  // stdin/stdout/stderr shared (a `--presence prompt` core asks on the terminal); fd 3 is the stream.
  const child = spawn(cmd.command, cmd.args, { stdio: ['inherit', 'inherit', 'inherit', 'pipe'] });
  const stream = child.stdio[3] as Duplex;
  return {
    stream,
    child,
    close() {
      // Ending the stream lets the core close its database cleanly and exit; SIGTERM if it does not.
      stream.end();
      const t = setTimeout(() => child.kill('SIGTERM'), 3000);
      t.unref();
      child.once('exit', () => clearTimeout(t));
    },
  };
}

interface InFlight {
  resolve(m: SecureCoreMessage): void;
  reject(e: Error): void;
}

export class SecureCoreLink {
  private connection: CoreConnection | undefined;
  private framer = new MessageFramer();
  private waiting: InFlight[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** How many cores were started (the first one included). */
  starts = 0;

  constructor(private readonly connect: () => CoreConnection) {}

  /** The current core's process (tests kill it). */
  get child(): ChildProcess | undefined {
    return this.connection?.child;
  }

  /** Sends one request after the previous ones are answered; resolves with the decoded answer. */
  request(m: SecureCoreMessage): Promise<SecureCoreMessage> {
    const result = this.queue.then(() => this.exchange(m));
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Sends a message that has no answer (cancelRequest) at once, past the queue; no core is started for it. */
  notify(m: SecureCoreMessage): void {
    if (this.connection && !this.closed) this.connection.stream.write(encodeMessage(m));
  }

  close(): void {
    this.closed = true;
    this.connection?.close();
    this.connection = undefined;
  }

  private exchange(m: SecureCoreMessage): Promise<SecureCoreMessage> {
    if (this.closed) return Promise.reject(new CoreUnavailableError('the secure core link is closed'));
    const connection = (this.connection ??= this.start());
    return new Promise<SecureCoreMessage>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      connection.stream.write(encodeMessage(m));
    });
  }

  private start(): CoreConnection {
    this.starts++;
    this.framer = new MessageFramer();
    const connection = this.connect();
    const lost = (why: string) => {
      if (this.connection !== connection) return;
      this.connection = undefined;
      for (const w of this.waiting.splice(0)) w.reject(new CoreUnavailableError(why));
    };
    connection.stream.on('data', (chunk: Buffer) => {
      try {
        for (const message of this.framer.push(new Uint8Array(chunk))) {
          const w = this.waiting.shift();
          if (!w) throw new Error('an answer nobody asked for');
          try {
            w.resolve(decodeMessage(message));
          } catch (e) {
            w.reject(e as Error);
          }
        }
      } catch (e) {
        connection.close();
        lost(`secure core stream out of step: ${(e as Error).message}`);
      }
    });
    connection.stream.on('error', (e) => lost(`secure core stream: ${e.message}`));
    connection.stream.on('close', () => lost('the secure core closed the stream'));
    connection.child?.on('exit', (code, signal) => lost(`the secure core exited (${signal ?? code})`));
    return connection;
  }
}
