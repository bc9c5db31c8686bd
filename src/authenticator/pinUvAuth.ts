/**
 * pinUvAuthParam handling shared by makeCredential (§6.1.2 steps 1–2) and getAssertion (§6.2.2
 * steps 1–2). This device has no PIN yet (clientPin is not offered in getInfo), so a
 * zero-length probe answers CTAP2_ERR_PIN_NOT_SET after touch and any other pinUvAuthParam
 * cannot be verified.
 */
import type { RequestContext } from '../ctap2/api.js';
import { CtapError, Status } from '../ctap2/status.js';
import type { Core } from './core.js';
import type { PresenceRequest } from './env.js';
import { collectUserPresence } from './userPresence.js';

/** Returns true when a valid pinUvAuthParam proved user verification. */
export async function checkPinUvAuthParam(
  core: Core,
  req: { pinUvAuthParam?: Uint8Array; pinUvAuthProtocol?: number },
  ctx: RequestContext,
  prompt: PresenceRequest,
): Promise<boolean> {
  if (req.pinUvAuthParam === undefined) return false;
  if (req.pinUvAuthParam.length === 0) {
    // Step 1: "the platform is checking whether the authenticator is protected" — touch, then answer.
    await collectUserPresence(core.env.presence, prompt, ctx);
    throw new CtapError(Status.CTAP2_ERR_PIN_NOT_SET);
  }
  if (req.pinUvAuthProtocol === undefined) throw new CtapError(Status.CTAP2_ERR_MISSING_PARAMETER, 'pinUvAuthProtocol');
  throw new CtapError(Status.CTAP2_ERR_PIN_NOT_SET);
}
