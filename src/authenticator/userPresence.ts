/**
 * Collecting user presence (CTAP 2.1 §6.1.2 step 13, §6.2.2 step 9, §6.6, §6.9): asks the
 * UserPresence port, shows UPNEEDED in keepalives meanwhile, and maps the outcome to the spec's
 * errors. CTAPHID_CANCEL ends a pending prompt with CTAP2_ERR_KEEPALIVE_CANCEL.
 */
import type { RequestContext } from '../ctap2/api.js';
import { CtapError, Status } from '../ctap2/status.js';
import type { PresenceRequest, PresenceResult, UserPresence } from './env.js';

/** Races the prompt against CTAPHID_CANCEL, removing its abort listener afterwards. */
export async function untilCancelled<T>(work: Promise<T>, signal: AbortSignal): Promise<T | 'cancelled'> {
  // A port that answers at once (an approving policy) wins any race against a cancel arriving
  // after this call, so it is taken without registering an abort listener: one turn is enough
  // to see an already-settled promise.
  let settled: { value: T } | { error: unknown } | undefined;
  work.then(
    (value) => (settled = { value }),
    (error: unknown) => (settled = { error }),
  );
  await Promise.resolve();
  if (settled) {
    if ('value' in settled) return settled.value;
    throw settled.error;
  }
  if (signal.aborted) return 'cancelled';
  let onAbort: (() => void) | undefined;
  const cancelled = new Promise<'cancelled'>((resolve) => {
    onAbort = () => resolve('cancelled');
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, cancelled]);
  } finally {
    signal.removeEventListener('abort', onAbort!);
  }
}

/**
 * A touch (or a long touch, which is also one) approves. When `req.longTouch` asks for a long touch
 * (CTAP 2.3 reset with longTouchForReset), a short touch does not count: a key would go on waiting
 * for the long one, so the answer is CTAP2_ERR_USER_ACTION_TIMEOUT.
 *
 * Undefined (nothing to await) when the port answered at once (UserPresence.answerAtOnce), so that
 * an approving policy costs a command no microtask turn (issue 19); an error then throws at once.
 */
export function collectUserPresence(
  presence: UserPresence,
  req: PresenceRequest,
  ctx: RequestContext,
): Promise<void> | undefined {
  if (ctx.signal.aborted) throw new CtapError(Status.CTAP2_ERR_KEEPALIVE_CANCEL);
  ctx.setStatus('upneeded');
  let atOnce: PresenceResult | undefined;
  try {
    atOnce = presence.answerAtOnce?.(req);
  } catch (e) {
    ctx.setStatus('processing');
    throw e;
  }
  if (atOnce !== undefined) {
    ctx.setStatus('processing');
    presenceOutcome(atOnce, req);
    return undefined;
  }
  return waitForPresence(presence, req, ctx);
}

async function waitForPresence(presence: UserPresence, req: PresenceRequest, ctx: RequestContext): Promise<void> {
  try {
    presenceOutcome(await untilCancelled(presence.request(req, ctx.signal), ctx.signal), req);
  } finally {
    ctx.setStatus('processing');
  }
}

/** Returns for a touch that counts; throws the spec's error for any other outcome. */
function presenceOutcome(result: PresenceResult | 'cancelled', req: PresenceRequest): void {
  if (result === 'longTouch' || (result === 'approved' && !req.longTouch)) return;
  if (result === 'approved') throw new CtapError(Status.CTAP2_ERR_USER_ACTION_TIMEOUT, 'a long touch is needed');
  if (result === 'cancelled') throw new CtapError(Status.CTAP2_ERR_KEEPALIVE_CANCEL);
  if (result === 'denied') throw new CtapError(Status.CTAP2_ERR_OPERATION_DENIED);
  throw new CtapError(Status.CTAP2_ERR_USER_ACTION_TIMEOUT);
}
