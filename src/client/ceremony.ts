/**
 * One create()/get() in flight: its timer (WebAuthn L3 §5.1.3 step 10 / §5.1.4 step 9, "lifetimeTimer"),
 * the caller's AbortSignal (§5.6 "Abort Operations with AbortSignal"), and every device round trip
 * raced against both. When either fires, the transport is asked to cancel (its signal aborts) and the
 * ceremony fails with AbortError (caller abort) or NotAllowedError (timer expired).
 */
import { getEventListeners } from 'node:events';
import { WebAuthnError } from './errors.js';
import type { CtapTransport } from './transport.js';

export interface TimeoutRange {
  min: number;
  max: number;
  default: number;
}

/**
 * How the client corrects options.timeout (WebAuthn L3 §5.1.3 and §5.1.4, the lifetimeTimer step: "If
 * options.timeout is present, check if its value lies within a reasonable range as defined by the
 * client and if not, correct it to the closest value lying within that range"; absent → `default`).
 *
 * Chromium's range (content/browser/webauth/authenticator_common_impl.cc, AdjustTimeout): 10 s to
 * 10 min, 10 min when absent, the same with or without UV; and when the DevTools virtual
 * authenticator (the testing API) is enabled for the frame, the RP's timeout is used as given.
 */
export const DEFAULT_TIMEOUTS: TimeoutRange = { min: 10_000, max: 600_000, default: 600_000 };

/** Chromium with its testing API enabled: the RP's timeout as given (key.client's default: softkey is a test key). */
export const TESTING_TIMEOUTS: TimeoutRange = { min: 0, max: Number.MAX_SAFE_INTEGER, default: 600_000 };

export function effectiveTimeout(requested: number | undefined, range: TimeoutRange): number {
  if (requested === undefined || !Number.isFinite(requested)) return range.default;
  return Math.min(range.max, Math.max(range.min, Math.floor(requested)));
}

type Reason = { kind: 'abort'; reason: unknown } | { kind: 'timeout'; ms: number };

/**
 * Controllers of ceremonies that ended without aborting and with no abort listener left on their
 * signal, kept for the next ceremonies: making an AbortSignal costs more than the rest of a
 * ceremony's bookkeeping (the load.ceremonies profile). One ceremony holds a controller at a time.
 */
const spareControllers: AbortController[] = [];
const SPARE_CONTROLLERS = 32;

/**
 * Every ceremony's lifetimeTimer runs on one Node timer, armed for the earliest deadline: a
 * ceremony that ends before the timer fires (nearly all of them) only leaves the list, where a
 * timer of its own cost a setTimeout and a clearTimeout per ceremony (the load.ceremonies profile).
 * The timer holds the process open only while a ceremony with a deadline runs, as each ceremony's
 * own timer did; when it fires it stops the ceremonies whose time is up and is armed for the next.
 * `timed` is an array with each ceremony's slot in it, not a Set: a Set that gains and loses a member
 * per ceremony rehashes on most changes, which costs more than the timer it replaces.
 */
const timed: Ceremony[] = [];
let lifetimeTimer: ReturnType<typeof setTimeout> | undefined;
/** When lifetimeTimer fires (performance.now() time); Infinity when none is armed. */
let lifetimeTimerAt = Infinity;
const MAX_TIMER_MS = 0x7fff_ffff;

function armLifetimeTimer(at: number): void {
  if (lifetimeTimer !== undefined) clearTimeout(lifetimeTimer);
  lifetimeTimerAt = at;
  // A Node timer holds at most 2^31 - 1 ms (~24.8 days); a later deadline is re-armed when that fires.
  const ms = Math.min(MAX_TIMER_MS, Math.max(1, Math.ceil(at - performance.now())));
  lifetimeTimer = setTimeout(lifetimeTimerFired, ms);
}

function lifetimeTimerFired(): void {
  lifetimeTimer = undefined;
  lifetimeTimerAt = Infinity;
  const now = performance.now();
  let next = Infinity;
  for (const c of [...timed]) {
    if (c.deadline <= now) c.expire();
    else next = Math.min(next, c.deadline);
  }
  // A ceremony started while these stopped has armed the timer for itself already, if it came first.
  if (next < lifetimeTimerAt) armLifetimeTimer(next);
}

export class Ceremony {
  private readonly controller = spareControllers.pop() ?? new AbortController();
  /** When the lifetimeTimer expires (performance.now() time); Infinity without one. */
  readonly deadline: number;
  private readonly onUserAbort: (() => void) | undefined;
  private why: Reason | undefined;
  /** This ceremony's index in `timed`; -1 when it is not there. */
  private slot = -1;
  /** Rejections of the guards waiting now (guard()); an array, as `timed` is (usually one guard). */
  private readonly waiting: Array<(e: unknown) => void> = [];

  constructor(
    private transport: CtapTransport,
    private readonly userSignal: AbortSignal | undefined,
    private readonly timeoutMs: number | undefined,
  ) {
    if (userSignal) {
      this.onUserAbort = () => this.stop({ kind: 'abort', reason: userSignal.reason });
      if (userSignal.aborted) this.onUserAbort();
      else userSignal.addEventListener('abort', this.onUserAbort, { once: true });
    }
    this.deadline = timeoutMs !== undefined && !this.why ? performance.now() + timeoutMs : Infinity;
    if (this.deadline !== Infinity) {
      this.slot = timed.push(this) - 1;
      if (this.deadline < lifetimeTimerAt) armLifetimeTimer(this.deadline);
      else if (timed.length === 1) lifetimeTimer?.ref();
    }
  }

  /** @internal The lifetimeTimer expired (lifetimeTimerFired). */
  expire(): void {
    this.leaveTimed();
    this.stop({ kind: 'timeout', ms: this.timeoutMs! });
  }

  private leaveTimed(): void {
    // The shared timer stays armed for a later ceremony, without holding the process open meanwhile.
    if (this.slot < 0) return;
    const last = timed.pop()!;
    if (last !== this) timed[(last.slot = this.slot)] = last;
    this.slot = -1;
    if (timed.length === 0) lifetimeTimer?.unref();
  }

  /** Aborted when the caller aborts or the timer expires; handed to the transport. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  private stop(why: Reason): void {
    if (this.why) return;
    this.why = why;
    this.controller.abort(this.error());
    const waiting = this.waiting.splice(0);
    for (const reject of waiting) reject(this.stopped());
  }

  /** The error this ceremony ends with once stopped (undefined while it runs). */
  error(): WebAuthnError | undefined {
    const why = this.why;
    if (!why) return undefined;
    if (why.kind === 'timeout')
      return new WebAuthnError('NotAllowedError', `the operation timed out after ${why.ms} ms`);
    // L3 says "reject with the signal's abort reason"; we report it as an AbortError carrying the reason.
    return new WebAuthnError('AbortError', 'the operation was aborted', { cause: why.reason });
  }

  /** The error a stopped ceremony rejects with. */
  private stopped(): WebAuthnError {
    return this.error() ?? new WebAuthnError('AbortError', 'the operation was aborted');
  }

  /**
   * Waits for `p`, or rejects as soon as the ceremony stops. The waiting guards are kept in a list
   * that stop() rejects, rather than as listeners on the signal (an AbortSignal listener added and
   * removed per device round trip costs more than the rest of the guard).
   */
  guard<T>(p: Promise<T>): Promise<T> {
    if (this.why) {
      p.catch(() => undefined);
      return Promise.reject(this.stopped());
    }
    return new Promise<T>((resolve, reject) => {
      this.waiting.push(reject);
      p.then(
        (v) => {
          this.unwait(reject);
          resolve(v);
        },
        (e: unknown) => {
          this.unwait(reject);
          reject(e);
        },
      );
    });
  }

  private unwait(onStop: (e: unknown) => void): void {
    const i = this.waiting.lastIndexOf(onStop);
    if (i < 0) return; // stop() took it already
    if (i === this.waiting.length - 1) this.waiting.pop();
    else this.waiting.splice(i, 1);
  }

  /** Talks to another authenticator from now on (the one the client picked, WebAuthn L3 §5.1.3 step 20). */
  use(transport: CtapTransport): void {
    this.transport = transport;
  }

  /** Waits until the ceremony stops: no authenticator of the kind asked for (Chromium waits for the timeout). */
  waitForever(): Promise<never> {
    return this.guard(new Promise<never>(() => undefined));
  }

  /** One CTAP2 round trip. */
  send(request: Uint8Array): Promise<Uint8Array> {
    if (this.controller.signal.aborted) return Promise.reject(this.stopped());
    return this.guard(this.transport.cbor(request, { signal: this.controller.signal }));
  }

  close(): void {
    this.leaveTimed();
    if (this.userSignal && this.onUserAbort) this.userSignal.removeEventListener('abort', this.onUserAbort);
    const signal = this.controller.signal;
    // Reused only as good as new: never aborted, and nobody still listening (a transport that kept a
    // listener would otherwise hear a later ceremony's abort).
    if (
      !signal.aborted &&
      this.waiting.length === 0 &&
      spareControllers.length < SPARE_CONTROLLERS &&
      getEventListeners(signal, 'abort').length === 0
    )
      spareControllers.push(this.controller);
  }
}
