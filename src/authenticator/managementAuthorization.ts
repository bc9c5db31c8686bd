/**
 * The pinUvAuthParam of the management commands: CTAP 2.1 §6.8 authenticatorCredentialManagement
 * (permission cm), §6.10.2 authenticatorLargeBlobs set (lbw) and §6.11 authenticatorConfig (acfg).
 * Unlike makeCredential/getAssertion (pinUvAuth.ts) they authenticate a command-specific message,
 * not a clientDataHash, and do not bind the token to an RP ID.
 * https://fidoalliance.org/specs/fido-v2.1-ps-20210615/fido-client-to-authenticator-protocol-v2.1-ps-20210615.html#authenticatorCredentialManagement
 */
import { CtapError, Status } from '../ctap2/status.js';
import type { Core } from './core.js';
import { pinUvAuthRuntime, type PinUvAuthTokenState } from './pinUvAuthToken.js';

export interface PinUvAuthFields {
  pinUvAuthParam?: Uint8Array;
  pinUvAuthProtocol?: number;
}

/**
 * pinUvAuthParam absent → CTAP2_ERR_PUAT_REQUIRED; pinUvAuthProtocol absent → MISSING_PARAMETER,
 * unsupported → CTAP1_ERR_INVALID_PARAMETER; verify(pinUvAuthToken, message, pinUvAuthParam) fails
 * or the token (in use) lacks `permission` → CTAP2_ERR_PIN_AUTH_INVALID. Returns the token, whose
 * permissions RP ID the caller checks where its subcommand says so.
 */
export function authorizeWithPinUvAuthToken(
  core: Core,
  input: PinUvAuthFields,
  message: Uint8Array,
  permission: number,
): PinUvAuthTokenState {
  if (input.pinUvAuthParam === undefined) throw new CtapError(Status.CTAP2_ERR_PUAT_REQUIRED);
  if (input.pinUvAuthProtocol === undefined)
    throw new CtapError(Status.CTAP2_ERR_MISSING_PARAMETER, 'pinUvAuthProtocol');
  const runtime = pinUvAuthRuntime(core);
  const protocol = runtime.protocol(input.pinUvAuthProtocol);
  if (!protocol)
    throw new CtapError(Status.CTAP1_ERR_INVALID_PARAMETER, `pinUvAuthProtocol ${input.pinUvAuthProtocol}`);
  if (!protocol.verify(protocol.pinUvAuthToken, message, input.pinUvAuthParam)) {
    throw new CtapError(Status.CTAP2_ERR_PIN_AUTH_INVALID, 'pinUvAuthParam does not verify');
  }
  if (!runtime.token.hasPermission(permission)) {
    throw new CtapError(Status.CTAP2_ERR_PIN_AUTH_INVALID, 'pinUvAuthToken lacks the permission (or is not in use)');
  }
  runtime.token.markUsed();
  return runtime.token;
}
