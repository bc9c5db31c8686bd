/**
 * U2F test-of-user-presence (FIDO U2F Raw Message Formats v1.2 §4.1 / §5.1; CTAP 2.1 §11.2.9.1.1
 * CTAPHID_MSG). U2F is polled: a token answers SW_CONDITIONS_NOT_SATISFIED at once while nobody has
 * touched it, and the host repeats the request until it succeeds. So:
 *   - the first request with nothing pending asks the UserPresence port; an answer that needs no
 *     waiting (presence mode auto or deny) decides this very request;
 *   - otherwise the prompt stays up and this and later requests get 6985 until the user answers;
 *     an approval is then latched for the same operation and application and consumed by the next
 *     such request, if it comes within U2F_PRESENCE_LATCH_MS.
 * The latch is volatile: it belongs to the runtime state, which a power cycle replaces.
 */
import { toHex } from '../encoding/bytes.js';
import type { Core, RuntimeState } from './core.js';
import type { PresenceRequest, PresenceResult } from './env.js';

/** How long an approval given to a pending prompt waits for the host's next poll. */
export const U2F_PRESENCE_LATCH_MS = 10_000;
/**
 * Microtask turns an answer may take and still count as "given at once" (no timers here: an
 * auto-approving port settles within two turns).
 */
const IMMEDIATE_TURNS = 16;

interface Latch {
  key: string;
  state: 'pending' | 'approved';
  at: number;
}

const latches = new WeakMap<RuntimeState, Latch>();

/** Resolves to the promise's value if it settles within a few microtask turns, else undefined. */
async function settledAtOnce<T>(p: Promise<T>): Promise<T | undefined> {
  let settled = false;
  let value: T | undefined;
  void p.then((v) => {
    settled = true;
    value = v;
  });
  for (let i = 0; i < IMMEDIATE_TURNS && !settled; i++) await Promise.resolve();
  return value;
}

/** True when the user is present for this request; false means answer SW_CONDITIONS_NOT_SATISFIED. */
export async function testOfUserPresence(core: Core, application: Uint8Array, req: PresenceRequest): Promise<boolean> {
  const runtime = core.runtime;
  const key = `${req.operation}:${toHex(application)}`;
  const now = core.env.clock.now();
  const latch = latches.get(runtime);
  if (latch?.state === 'pending') return false;
  if (latch?.state === 'approved') {
    latches.delete(runtime);
    if (latch.key === key && now - latch.at <= U2F_PRESENCE_LATCH_MS) return true;
  }
  const pending: Latch = { key, state: 'pending', at: now };
  latches.set(runtime, pending);
  // A port that throws (at once or later) counts as a refusal; the latch never stays pending for it.
  const answer: Promise<PresenceResult> = (async () =>
    core.env.presence.request(req, new AbortController().signal))().catch(() => 'denied' as const);
  const atOnce = await settledAtOnce(answer);
  if (atOnce !== undefined) {
    if (latches.get(runtime) === pending) latches.delete(runtime);
    return atOnce === 'approved';
  }
  void answer.then((result) => {
    if (latches.get(runtime) !== pending) return;
    if (result === 'approved') {
      pending.state = 'approved';
      pending.at = core.env.clock.now();
    } else {
      latches.delete(runtime);
    }
  });
  return false;
}
