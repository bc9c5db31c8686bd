/**
 * The front's end of the secure-core stream (docs/split.md): one request at a time, answers
 * matched by order. The secure core runs as a child process connected by a socket pair on its
 * fd 3; when it dies, the request in flight fails with CoreUnavailableError and the next request
 * starts a new core (the store is on disk in the core, so nothing is lost). The core's own messages
 * (prompts for the user, `--presence panel`) are shown on a PromptScreen and answered past the queue.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Duplex } from 'node:stream';
import { MessageFramer } from '../../securecore/framing.js';
import {
  decodeMessage,
  encodeMessage,
  Fido2MessageType,
  type PromptRequest,
  type PromptResult,
  type SecureCoreMessage,
} from '../../securecore/messages.js';

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

/**
 * Where the front shows the core's prompts (promptRequest 0x0117, `--presence panel`): resolves
 * with the user's answer, or 'timeout' when `signal` aborts (the core withdrew the prompt with
 * promptCancel 0x0119, or the core is gone).
 */
export interface PromptScreen {
  show(prompt: PromptRequest, signal: AbortSignal): Promise<PromptResult>;
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
  /** Where the core's prompts appear; none: a prompt is answered 'timeout' at once (nobody can see it). */
  screen: PromptScreen | undefined;
  /** The prompts on the screen now, by the core's id. */
  private readonly shown = new Map<number, AbortController>();

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

  /**
   * The messages the core starts (docs/split.md "Prompts"): a prompt goes to the screen and its
   * answer back past the queue; a withdrawn prompt leaves the screen. False for an answer to a request.
   */
  private fromCore(bytes: Uint8Array): boolean {
    const type = bytes[4]! | (bytes[5]! << 8);
    if (type !== Fido2MessageType.promptRequest && type !== Fido2MessageType.promptCancel) return false;
    const m = decodeMessage(bytes); // a prompt that does not decode puts the stream out of step
    if (m.type === 'promptCancel') {
      this.shown.get(m.id)?.abort();
      this.shown.delete(m.id);
    } else if (m.type === 'promptRequest') {
      const shown = new AbortController();
      this.shown.set(m.id, shown);
      const answer = this.screen ? this.screen.show(m, shown.signal) : Promise.resolve<PromptResult>('timeout');
      void answer
        .catch((): PromptResult => 'timeout')
        .then((result) => {
          // Not after a withdrawal (the core stopped waiting) or a new core (it never asked).
          if (this.shown.get(m.id) !== shown) return;
          this.shown.delete(m.id);
          this.notify({ type: 'promptResponse', id: m.id, result });
        });
    }
    return true;
  }

  private start(): CoreConnection {
    this.starts++;
    this.framer = new MessageFramer();
    const connection = this.connect();
    const lost = (why: string) => {
      if (this.connection !== connection) return;
      this.connection = undefined;
      for (const w of this.waiting.splice(0)) w.reject(new CoreUnavailableError(why));
      for (const shown of this.shown.values()) shown.abort(); // a new core asks again
      this.shown.clear();
    };
    connection.stream.on('data', (chunk: Buffer) => {
      try {
        for (const message of this.framer.push(new Uint8Array(chunk))) {
          if (this.fromCore(message)) continue;
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
