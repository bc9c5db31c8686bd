/**
 * The device's "button" and "fingerprint sensor" under control: one switchable user-presence
 * policy (CTAP 2.1 §6.1.2 step 13 and friends ask it), the built-in UV simulation (match/no match),
 * and the Filecoin app's review screen. In `panel` mode every request becomes a pending prompt that
 * the device panel or the control API approves or denies by id; the user-action timeout ends it.
 */
import type { PresenceRequest, PresenceResult, UserPresence, UserVerification } from '../authenticator/env.js';
import type { ReviewItem, ReviewOutcome, ReviewRequest, TransactionReview } from '../wallet/review.js';

export const PRESENCE_MODES = ['auto', 'deny', 'timeout', 'prompt', 'panel'] as const;
export type PresenceMode = (typeof PRESENCE_MODES)[number];
export type UvResult = 'match' | 'nomatch';
/** Fault: prompts are never answered; they end at the user-action timeout or only on CTAPHID_CANCEL. */
export type WithholdPresence = 'timeout' | 'cancel';

export interface Prompt {
  id: string;
  /** presence: "touch the key"; uv: built-in user verification; review: the Filecoin app's screen. */
  kind: 'presence' | 'uv' | 'review';
  operation: string;
  /** The text on the device screen; always names the RP or what is approved. */
  message: string;
  rpId?: string;
  rpName?: string;
  userName?: string;
  userDisplayName?: string;
  /** Review items (To, Value, …) of a transaction or the address to confirm. */
  items?: ReviewItem[];
  createdAt: number;
  /** When the user-action timeout ends it (absent when it waits for CTAPHID_CANCEL). */
  expiresAt?: number;
  /** Withheld by a fault: approving it does nothing. */
  withheld?: boolean;
  /** Only a long touch approves it (CTAP 2.3 reset with longTouchForReset). */
  longTouch?: boolean;
}

export interface PresenceBrokerOptions {
  mode?: PresenceMode;
  /** User-action timeout for timeout/prompt/panel; default 30 s. */
  timeoutMs?: number;
  /** The terminal prompt ('prompt' mode), supplied by the composition root. */
  terminal?: UserPresence;
  /** A caller's own presence port: used while the mode is 'custom'. */
  custom?: UserPresence;
  now?: () => number;
  onChange?: (what: 'prompts' | 'presence' | 'uv') => void;
}

export const DEFAULT_USER_ACTION_TIMEOUT_MS = 30_000;

/** 'auto' gives what is asked for: a long touch where only one counts, else a touch. */
const autoAnswer = (prompt: Prompt): PresenceResult => (prompt.longTouch ? 'longTouch' : 'approved');

interface Waiting {
  prompt: Prompt;
  answer(result: PresenceResult): void;
}

export class PresenceBroker implements UserPresence, TransactionReview {
  mode: PresenceMode | 'custom';
  timeoutMs: number;
  uvResult: UvResult = 'match';
  withhold: WithholdPresence | undefined;
  private readonly waiting = new Map<string, Waiting>();
  private nextId = 1;
  private readonly now: () => number;

  constructor(private readonly options: PresenceBrokerOptions = {}) {
    this.mode = options.custom ? 'custom' : (options.mode ?? 'auto');
    this.timeoutMs = options.timeoutMs ?? DEFAULT_USER_ACTION_TIMEOUT_MS;
    this.now = options.now ?? Date.now;
  }

  setMode(mode: PresenceMode | 'custom', timeoutMs?: number): void {
    if (mode === 'custom' && !this.options.custom) throw new RangeError('no custom presence port was given');
    if (mode === 'prompt' && !this.options.terminal) throw new RangeError('no terminal to prompt on');
    this.mode = mode;
    if (timeoutMs !== undefined) this.timeoutMs = timeoutMs;
    // Prompts waiting for the panel are answered by the new policy right away where it decides.
    if (mode === 'auto' || mode === 'deny') {
      for (const w of [...this.waiting.values()])
        if (!w.prompt.withheld) w.answer(mode === 'auto' ? autoAnswer(w.prompt) : 'denied');
    }
    this.options.onChange?.('presence');
  }

  setUvResult(result: UvResult): void {
    this.uvResult = result;
    this.options.onChange?.('uv');
  }

  prompts(): Prompt[] {
    return [...this.waiting.values()].map((w) => w.prompt);
  }

  /**
   * Approves (a touch, or a long touch: CTAP 2.3 longTouchForReset) or denies a pending prompt;
   * false when there is no such prompt or it is withheld.
   */
  answer(id: string, approve: boolean | 'longTouch'): boolean {
    const w = this.waiting.get(id);
    if (!w || w.prompt.withheld) return false;
    w.answer(approve === 'longTouch' ? 'longTouch' : approve ? 'approved' : 'denied');
    return true;
  }

  // --- UserPresence (authenticator port) ---
  request(req: PresenceRequest, signal: AbortSignal): Promise<PresenceResult> {
    const atOnce = this.answerAtOnce(req);
    if (atOnce !== undefined) return Promise.resolve(atOnce);
    return this.decide(this.promptOf('presence', req), signal, (s) => this.delegate(req, s));
  }

  // 'auto' answers at once and shows nothing: no prompt is built (the hot path of every assertion).
  answerAtOnce(req: PresenceRequest): PresenceResult | undefined {
    if (this.mode !== 'auto' || this.withhold) return undefined;
    this.nextId++;
    return req.longTouch ? 'longTouch' : 'approved';
  }

  /** The simulated built-in sensor (UserVerification port); installed only while available. */
  readonly uv: UserVerification = {
    available: true,
    verify: async (req, signal) => {
      if (this.uvResult === 'nomatch') return 'failed';
      const result = await this.decide(
        this.promptOf('uv', { ...req, message: `${req.message} (verify with fingerprint)` }),
        signal,
        (s) => this.delegate(req, s),
      );
      return result === 'approved' || result === 'longTouch' ? 'verified' : result === 'denied' ? 'failed' : 'timeout';
    },
  };

  // --- TransactionReview (the Filecoin app's screen) ---
  review(req: ReviewRequest, signal?: AbortSignal): Promise<ReviewOutcome> {
    const message = [req.title, ...req.items.map((i) => `  ${i.label}: ${i.value}`)].join('\n');
    const presence: PresenceRequest = { operation: 'signTransaction', message };
    const prompt = { ...this.promptOf('review', presence), message: req.title, items: req.items };
    const result = this.decide(prompt, signal ?? new AbortController().signal, (s) => this.delegate(presence, s));
    return result.then((r) => (r === 'longTouch' ? 'approved' : r)); // a long touch is a touch
  }

  private promptOf(kind: Prompt['kind'], req: PresenceRequest): Prompt {
    return {
      id: String(this.nextId++),
      kind,
      operation: req.operation,
      message: req.message,
      ...(req.rpId !== undefined && { rpId: req.rpId }),
      ...(req.rpName !== undefined && { rpName: req.rpName }),
      ...(req.userName !== undefined && { userName: req.userName }),
      ...(req.userDisplayName !== undefined && { userDisplayName: req.userDisplayName }),
      ...(req.longTouch && { longTouch: true }),
      createdAt: this.now(),
    };
  }

  private async delegate(req: PresenceRequest, signal: AbortSignal): Promise<PresenceResult> {
    const port = this.mode === 'custom' ? this.options.custom! : this.options.terminal!;
    return port.request(req, signal);
  }

  private decide(
    prompt: Prompt,
    signal: AbortSignal,
    delegate: (signal: AbortSignal) => Promise<PresenceResult>,
  ): Promise<PresenceResult> {
    if (this.withhold) return this.wait({ ...prompt, withheld: true }, signal, this.withhold === 'timeout');
    switch (this.mode) {
      case 'auto':
        return Promise.resolve(autoAnswer(prompt));
      case 'deny':
        return Promise.resolve('denied');
      case 'timeout':
        return this.wait({ ...prompt, withheld: true }, signal, true);
      case 'panel':
        return this.wait(prompt, signal, true);
      default:
        return delegate(signal);
    }
  }

  /** Shows the prompt until answered, timed out (when `expires`) or cancelled. */
  private wait(prompt: Prompt, signal: AbortSignal, expires: boolean): Promise<PresenceResult> {
    if (signal.aborted) return Promise.resolve('timeout');
    return new Promise((resolve) => {
      if (expires) prompt.expiresAt = prompt.createdAt + this.timeoutMs;
      const timer = expires ? setTimeout(() => finish('timeout'), this.timeoutMs) : undefined;
      // The port answers a cancelled request too, one turn later, so the caller sees the cancel first.
      const onAbort = () => setImmediate(() => finish('timeout'));
      const finish = (result: PresenceResult) => {
        if (!this.waiting.delete(prompt.id)) return;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.options.onChange?.('prompts');
        resolve(result);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.set(prompt.id, { prompt, answer: finish });
      this.options.onChange?.('prompts');
    });
  }
}
