/**
 * User presence policies for a running device (`--presence MODE`): the UserPresence port's
 * adapters, for the split secure core, and the terminal prompt the presence broker (presence.ts)
 * asks through. auto approves at once (tests), deny refuses, timeout never answers (the prompt
 * times out), prompt asks on the terminal.
 */
import { createInterface } from 'node:readline';
import type { PresenceRequest, PresenceResult, UserPresence } from '../authenticator/env.js';
import type { TransactionReview } from '../wallet/review.js';
import { DEFAULT_USER_ACTION_TIMEOUT_MS, PRESENCE_MODES, PresenceBroker, type PresenceMode } from './presence.js';

/** auto | deny | timeout | prompt | panel (prompts wait for the device panel or the control API). */
export { PRESENCE_MODES, type PresenceMode };

/** Resolves 'timeout' after `ms`, or when the request is cancelled. */
function waitForTimeout(ms: number, signal: AbortSignal): Promise<PresenceResult> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve('timeout'), ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve('timeout')), { once: true });
  });
}

/** Asks "Touch softkey for <rpId> (<operation>)? [y/N]" on a terminal. */
export class TerminalPresence implements UserPresence {
  constructor(
    private readonly input: NodeJS.ReadableStream = process.stdin,
    private readonly output: NodeJS.WritableStream = process.stderr,
    private readonly timeoutMs = DEFAULT_USER_ACTION_TIMEOUT_MS,
  ) {}

  request(req: PresenceRequest, signal: AbortSignal): Promise<PresenceResult> {
    return new Promise((resolve) => {
      const rl = createInterface({ input: this.input, output: this.output, terminal: false });
      const subject = req.rpId ?? 'this device';
      const finish = (result: PresenceResult) => {
        clearTimeout(timer);
        rl.close();
        resolve(result);
      };
      const timer = setTimeout(() => finish('timeout'), this.timeoutMs);
      signal.addEventListener('abort', () => finish('timeout'), { once: true });
      this.output.write(`${req.message}\nTouch softkey for ${subject} (${req.operation})? [y/long/N] `);
      // "long": the button held (CTAP 2.3 longTouchForReset).
      rl.once('line', (line) =>
        finish(/^\s*y(es)?\s*$/i.test(line) ? 'approved' : /^\s*long\s*$/i.test(line) ? 'longTouch' : 'denied'),
      );
    });
  }
}

export function presenceFor(mode: PresenceMode, opts: { timeoutMs?: number } = {}): UserPresence {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_USER_ACTION_TIMEOUT_MS;
  switch (mode) {
    case 'auto':
      return { request: async (req) => (req.longTouch ? 'longTouch' : 'approved') };
    case 'deny':
      return { request: async () => 'denied' };
    case 'timeout':
      return { request: (_req, signal) => waitForTimeout(timeoutMs, signal) };
    case 'prompt':
      return new TerminalPresence(process.stdin, process.stderr, timeoutMs);
    case 'panel':
      return new PresenceBroker({ mode: 'panel', timeoutMs });
  }
}

/**
 * The same policy for the Filecoin app's review screen: the prompt lists every review item
 * (To, From, Value, …) under the title of what is approved.
 */
export function reviewFor(mode: PresenceMode, opts: { timeoutMs?: number } = {}): TransactionReview {
  const presence = presenceFor(mode, opts);
  return {
    review: (req, signal) =>
      presence
        .request(
          {
            operation: 'signTransaction',
            message: [req.title, ...req.items.map((i) => `  ${i.label}: ${i.value}`)].join('\n'),
          },
          signal ?? new AbortController().signal,
        )
        .then((r) => (r === 'longTouch' ? 'approved' : r)), // a long touch is a touch
  };
}
