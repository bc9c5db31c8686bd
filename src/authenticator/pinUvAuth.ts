/**
 * User verification shared by makeCredential (§6.1.2) and getAssertion (§6.2.2):
 *   - steps 1–2: the zero-length pinUvAuthParam probe and the pinUvAuthProtocol checks;
 *   - §6.1.2 step 11.1 / §6.2.2 step 6.1: verifying a pinUvAuthParam against the pinUvAuthToken, its
 *     permission, its permissions RP ID and its userVerified flag;
 *   - §6.1.2 step 14 / §6.2.2 step 9: user presence, which an in-use token's userPresent flag (or
 *     built-in UV) already provides, then clearing the token's flags and permissions;
 *   - performBuiltInUv with persisted uvRetries (the UserVerification port).
 * Reading the PIN state costs a store read, so it happens only on the paths that need it.
 * https://fidoalliance.org/specs/fido-v2.1-ps-20210615/fido-client-to-authenticator-protocol-v2.1-ps-20210615.html#sctn-makeCred-authnr-alg
 */
import type { RequestContext } from '../ctap2/api.js';
import type { PinUvAuthProtocol } from '../ctap2/pinUvAuthProtocol.js';
import { CtapError, Status } from '../ctap2/status.js';
import type { Core } from './core.js';
import type { PresenceRequest } from './env.js';
import { isPinSet, MAX_UV_RETRIES, pinUvAuthRuntime, readPinState, updatePinState } from './pinUvAuthToken.js';
import { collectUserPresence, untilCancelled } from './userPresence.js';
import { countBuiltInUv } from './uvCountSinceLastPinEntry.js';

export interface PinUvAuthInput {
  pinUvAuthParam?: Uint8Array;
  pinUvAuthProtocol?: number;
}

/**
 * Steps 1–2. Returns the protocol to verify pinUvAuthParam with, or undefined when there is no
 * pinUvAuthParam. A zero-length pinUvAuthParam asks for a touch, then answers PIN_NOT_SET or
 * PIN_INVALID (the platform is finding out whether this authenticator is protected).
 */
export async function pinUvAuthPreamble(
  core: Core,
  req: PinUvAuthInput,
  ctx: RequestContext,
  prompt: PresenceRequest,
): Promise<PinUvAuthProtocol | undefined> {
  if (req.pinUvAuthParam === undefined) return undefined;
  if (req.pinUvAuthParam.length === 0) {
    try {
      await collectUserPresence(core.env.presence, prompt, ctx);
    } catch (e) {
      // "If the user declines permission, or the operation times out": OPERATION_DENIED.
      if (e instanceof CtapError && e.status === Status.CTAP2_ERR_USER_ACTION_TIMEOUT)
        throw new CtapError(Status.CTAP2_ERR_OPERATION_DENIED);
      throw e;
    }
    throw new CtapError(isPinSet(core) ? Status.CTAP2_ERR_PIN_INVALID : Status.CTAP2_ERR_PIN_NOT_SET);
  }
  if (req.pinUvAuthProtocol === undefined) throw new CtapError(Status.CTAP2_ERR_MISSING_PARAMETER, 'pinUvAuthProtocol');
  const protocol = pinUvAuthRuntime(core).protocol(req.pinUvAuthProtocol);
  if (!protocol) throw new CtapError(Status.CTAP1_ERR_INVALID_PARAMETER, `pinUvAuthProtocol ${req.pinUvAuthProtocol}`);
  return protocol;
}

/** "The authenticator is protected by some form of user verification": a PIN, or built-in UV. */
export function isProtectedByUv(core: Core): boolean {
  return core.env.uv?.available === true || isPinSet(core);
}

/**
 * §6.1.2 step 11.1 / §6.2.2 step 6.1: pinUvAuthParam must be authenticate(pinUvAuthToken,
 * clientDataHash) of an in-use token with `permission`, for this RP (binding the token to it when it
 * has no RP yet) and with its userVerified flag set. Success means the response's UV bit is set.
 */
export function verifyPinUvAuthParam(
  core: Core,
  protocol: PinUvAuthProtocol,
  pinUvAuthParam: Uint8Array,
  clientDataHash: Uint8Array,
  permission: number,
  rpId: string,
): void {
  // Without a PIN or built-in UV no token can be in use; say so rather than "invalid".
  if (!isProtectedByUv(core)) throw new CtapError(Status.CTAP2_ERR_PIN_NOT_SET);
  const { token } = pinUvAuthRuntime(core);
  const invalid = (why: string) => new CtapError(Status.CTAP2_ERR_PIN_AUTH_INVALID, why);
  if (!protocol.verify(protocol.pinUvAuthToken, clientDataHash, pinUvAuthParam))
    throw invalid('pinUvAuthParam does not verify');
  if (!token.hasPermission(permission)) throw invalid('pinUvAuthToken lacks the permission (or is not in use)');
  if (token.permissionsRpId !== undefined && token.permissionsRpId !== rpId)
    throw invalid('pinUvAuthToken is bound to another RP ID');
  if (!token.getUserVerifiedFlagValue()) throw invalid('pinUvAuthToken userVerified flag is clear');
  // CTAP 2.0 §5.5.8: a pinToken is not bound to an RP.
  if (!token.untilPowerCycle) token.permissionsRpId ??= rpId;
  token.markUsed();
}

/**
 * §6.1.2 step 14 / §6.2.2 step 9 (the "up" option is true): collects user presence unless it is
 * already established, by built-in UV in this request or by the pinUvAuthToken's userPresent flag.
 */
export function ensureUserPresence(
  core: Core,
  viaToken: boolean,
  presentAlready: boolean,
  prompt: PresenceRequest,
  ctx: RequestContext,
): Promise<void> | undefined {
  const present = presentAlready || (viaToken && core.runtime.pinUvAuth?.token.getUserPresentFlagValue() === true);
  return present ? undefined : collectUserPresence(core.env.presence, prompt, ctx);
}

/**
 * §6.1.2 step 14.4 / §6.2.2 step 9.4: clearUserPresentFlag(), clearUserVerifiedFlag() and
 * clearPinUvAuthTokenPermissionsExceptLbw(): a token's cached UP and UV are used once (CTAP 2.1 only).
 */
export function consumePinUvAuthToken(core: Core): void {
  const token = core.runtime.pinUvAuth?.token;
  // CTAP 2.0 §5.5.8 (the ctap20 profile): the pinToken serves any number of calls until a power
  // cycle or a new token; nothing is used up.
  if (!token || token.untilPowerCycle) return;
  token.clearUserPresentFlag();
  token.clearUserVerifiedFlag();
  token.clearPinUvAuthTokenPermissionsExceptLbw();
}

export type BuiltInUvResult = 'verified' | 'failed' | 'timeout' | 'blocked';

/**
 * performBuiltInUv (one attempt): refuses when uvRetries is 0; a failure decrements uvRetries
 * (persisted before the answer), a success restores them. CTAPHID_CANCEL → KEEPALIVE_CANCEL.
 * The caller has checked that env.uv is available.
 */
export async function performBuiltInUv(
  core: Core,
  prompt: PresenceRequest,
  ctx: RequestContext,
): Promise<BuiltInUvResult> {
  const { env } = core;
  if (!env.uv?.available) throw new CtapError(Status.CTAP2_ERR_NOT_ALLOWED, 'no built-in user verification');
  const before = readPinState(env.store);
  if (before.uvRetries <= 0) return 'blocked';
  if (ctx.signal.aborted) throw new CtapError(Status.CTAP2_ERR_KEEPALIVE_CANCEL);
  ctx.setStatus('upneeded');
  let result: Awaited<ReturnType<typeof env.uv.verify>> | 'cancelled';
  try {
    result = await untilCancelled(env.uv.verify(prompt, ctx.signal), ctx.signal);
  } finally {
    ctx.setStatus('processing');
  }
  if (result === 'cancelled') throw new CtapError(Status.CTAP2_ERR_KEEPALIVE_CANCEL);
  if (result === 'timeout') return 'timeout';
  if (result === 'verified') {
    if (before.uvRetries !== MAX_UV_RETRIES) updatePinState(env.store, (s) => void (s.uvRetries = MAX_UV_RETRIES));
    countBuiltInUv(core); // CTAP 2.3 §6.4 uvCountSinceLastPinEntry
    return 'verified';
  }
  const after = updatePinState(env.store, (s) => void (s.uvRetries = Math.max(0, s.uvRetries - 1)));
  return after.uvRetries === 0 ? 'blocked' : 'failed';
}

/**
 * The "uv" option of makeCredential/getAssertion (§6.1.2 step 11.2, §6.2.2 step 6.2): built-in UV,
 * whose evidence of user interaction also counts as user presence. Errors as the steps say.
 */
export async function builtInUvForOperation(core: Core, prompt: PresenceRequest, ctx: RequestContext): Promise<void> {
  const result = await performBuiltInUv(core, prompt, ctx);
  if (result === 'verified') return;
  if (result === 'timeout') throw new CtapError(Status.CTAP2_ERR_USER_ACTION_TIMEOUT);
  if (result === 'blocked') throw new CtapError(Status.CTAP2_ERR_UV_BLOCKED);
  throw new CtapError(Status.CTAP2_ERR_OPERATION_DENIED, 'built-in user verification failed');
}
