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

export class Ceremony {
  private readonly controller = spareControllers.pop() ?? new AbortController();
  private readonly timer: ReturnType<typeof setTimeout> | undefined;
  private readonly onUserAbort: (() => void) | undefined;
  private why: Reason | undefined;
  /** Rejections of the guards waiting now (guard()). */
  private readonly waiting = new Set<(e: unknown) => void>();

  constructor(
    private transport: CtapTransport,
    private readonly userSignal: AbortSignal | undefined,
    timeoutMs: number | undefined,
  ) {
    if (userSignal) {
      this.onUserAbort = () => this.stop({ kind: 'abort', reason: userSignal.reason });
      if (userSignal.aborted) this.onUserAbort();
      else userSignal.addEventListener('abort', this.onUserAbort, { once: true });
    }
    if (timeoutMs !== undefined && !this.why)
      this.timer = setTimeout(() => this.stop({ kind: 'timeout', ms: timeoutMs }), timeoutMs);
  }

  /** Aborted when the caller aborts or the timer expires; handed to the transport. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  private stop(why: Reason): void {
    if (this.why) return;
    this.why = why;
    this.controller.abort(this.error());
    for (const reject of this.waiting) reject(this.stopped());
    this.waiting.clear();
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
   * Waits for `p`, or rejects as soon as the ceremony stops. The waiting guards are kept in a set
   * that stop() rejects, rather than as listeners on the signal (an AbortSignal listener added and
   * removed per device round trip costs more than the rest of the guard).
   */
  guard<T>(p: Promise<T>): Promise<T> {
    if (this.why) {
      p.catch(() => undefined);
      return Promise.reject(this.stopped());
    }
    return new Promise<T>((resolve, reject) => {
      const onStop = (e: unknown) => reject(e);
      this.waiting.add(onStop);
      p.then(
        (v) => {
          this.waiting.delete(onStop);
          resolve(v);
        },
        (e: unknown) => {
          this.waiting.delete(onStop);
          reject(e);
        },
      );
    });
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
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.userSignal && this.onUserAbort) this.userSignal.removeEventListener('abort', this.onUserAbort);
    const signal = this.controller.signal;
    // Reused only as good as new: never aborted, and nobody still listening (a transport that kept a
    // listener would otherwise hear a later ceremony's abort).
    if (
      !signal.aborted &&
      this.waiting.size === 0 &&
      spareControllers.length < SPARE_CONTROLLERS &&
      getEventListeners(signal, 'abort').length === 0
    )
      spareControllers.push(this.controller);
  }
}
