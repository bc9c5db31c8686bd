/**
 * CTAP 2.1 §6.5.5 authenticatorClientPIN (0x06): getPINRetries, getKeyAgreement, setPIN, changePIN,
 * getPinToken, getPinUvAuthTokenUsingUvWithPermissions, getUVRetries and
 * getPinUvAuthTokenUsingPinWithPermissions. Each function follows its section's numbered steps.
 * https://fidoalliance.org/specs/fido-v2.1-ps-20210615/fido-client-to-authenticator-protocol-v2.1-ps-20210615.html#authenticatorClientPIN
 */
import type { RequestContext } from '../ctap2/api.js';
import type { ClientPinResponse, ClientPinRequest } from '../ctap2/clientPin.js';
import { ClientPinSubCommand as Sub, PinUvAuthTokenPermission as P } from '../ctap2/clientPin.js';
import type { CoseKeyMap, PinUvAuthProtocol } from '../ctap2/pinUvAuthProtocol.js';
import { CtapError, Status } from '../ctap2/status.js';
import { sha256 } from '../crypto/hash.js';
import { concat, equal, utf8 } from '../encoding/bytes.js';
import type { Core } from './core.js';
import type { PresenceOperation } from './env.js';
import { checkPinComplexity, pinComplexityEnforced } from './extensions/pinComplexityPolicy.js';
import { getInfo } from './getInfo.js';
import { persistentPinUvAuthToken, resetPersistentPinUvAuthToken } from './persistentPinUvAuthToken.js';
import { performBuiltInUv } from './pinUvAuth.js';
import {
  ALL_PERMISSIONS,
  DEFAULT_MIN_PIN_LENGTH,
  MAX_CONSECUTIVE_PIN_FAILURES,
  MAX_PIN_RETRIES,
  pinUvAuthRuntime,
  readPinState,
  updatePinState,
  writePinState,
  type PinState,
} from './pinUvAuthToken.js';
import { pinEntered } from './uvCountSinceLastPinEntry.js';

export async function clientPin(core: Core, req: ClientPinRequest, ctx: RequestContext): Promise<ClientPinResponse> {
  core.runtime.pending = undefined;
  // Profile switches (config.ts): the subcommands it answers, a PIN set only on the device, and a
  // protocol assumed when none (or 0) is given.
  const { config } = core;
  if (config.clientPinSubCommands && !config.clientPinSubCommands.includes(req.subCommand)) {
    throw new CtapError(
      Status.CTAP2_ERR_INVALID_SUBCOMMAND,
      `clientPIN subCommand ${req.subCommand} is not in this profile`,
    );
  }
  if (!config.pinSettableOverWire && (req.subCommand === Sub.setPIN || req.subCommand === Sub.changePIN)) {
    throw new CtapError(Status.CTAP2_ERR_UNSUPPORTED_OPTION, 'the PIN is set on the device');
  }
  if (config.defaultPinUvAuthProtocol !== undefined && !req.pinUvAuthProtocol)
    req = { ...req, pinUvAuthProtocol: config.defaultPinUvAuthProtocol };
  switch (req.subCommand) {
    case Sub.getPINRetries:
      return getPINRetries(core);
    case Sub.getKeyAgreement:
      return getKeyAgreement(core, req);
    case Sub.setPIN:
      return setPIN(core, req);
    case Sub.changePIN:
      return changePIN(core, req);
    case Sub.getPinToken:
      return getPinToken(core, req);
    case Sub.getPinUvAuthTokenUsingUvWithPermissions:
      return getPinUvAuthTokenUsingUvWithPermissions(core, req, ctx);
    case Sub.getUVRetries:
      return getUVRetries(core);
    case Sub.getPinUvAuthTokenUsingPinWithPermissions:
      return getPinUvAuthTokenUsingPinWithPermissions(core, req);
    default:
      throw new CtapError(Status.CTAP2_ERR_INVALID_SUBCOMMAND, `clientPIN subCommand ${req.subCommand}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Shared steps

function need<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new CtapError(Status.CTAP2_ERR_MISSING_PARAMETER, name);
  return value;
}

/** "If pinUvAuthProtocol is not supported, return CTAP1_ERR_INVALID_PARAMETER." */
function selectProtocol(core: Core, version: number): PinUvAuthProtocol {
  const protocol = pinUvAuthRuntime(core).protocol(version);
  if (!protocol) throw new CtapError(Status.CTAP1_ERR_INVALID_PARAMETER, `pinUvAuthProtocol ${version}`);
  return protocol;
}

/** "The authenticator calls decapsulate ... If an error results, it returns CTAP1_ERR_INVALID_PARAMETER." */
function decapsulate(protocol: PinUvAuthProtocol, keyAgreement: CoseKeyMap): Uint8Array {
  const sharedSecret = protocol.decapsulate(keyAgreement);
  if (!sharedSecret)
    throw new CtapError(Status.CTAP1_ERR_INVALID_PARAMETER, 'keyAgreement is not a usable P-256 COSE_Key');
  return sharedSecret;
}

/** A PIN must be set; pinRetries 0 → PIN_BLOCKED; 3 wrong PINs this power cycle → PIN_AUTH_BLOCKED. */
function pinUsable(core: Core): PinState {
  const state = readPinState(core.env.store);
  if (!state.pinHash) throw new CtapError(Status.CTAP2_ERR_PIN_NOT_SET);
  if (state.pinRetries <= 0) throw new CtapError(Status.CTAP2_ERR_PIN_BLOCKED);
  if ((core.runtime.pinUvAuth?.consecutivePinFailures ?? 0) >= MAX_CONSECUTIVE_PIN_FAILURES) {
    throw new CtapError(Status.CTAP2_ERR_PIN_AUTH_BLOCKED, 'power cycle the authenticator');
  }
  return state;
}

/**
 * §6.5.5.6 steps 6–8 (and the same steps of §6.5.5.7.1/2): pinRetries is decremented and persisted
 * before pinHashEnc is compared with CurrentStoredPIN; a mismatch regenerates the key-agreement key.
 */
function checkPinHash(core: Core, protocol: PinUvAuthProtocol, sharedSecret: Uint8Array, pinHashEnc: Uint8Array): void {
  const runtime = pinUvAuthRuntime(core);
  const state = updatePinState(core.env.store, (s) => void (s.pinRetries = Math.max(0, s.pinRetries - 1)));
  const pinHash = protocol.decrypt(sharedSecret, pinHashEnc);
  if (!pinHash || !state.pinHash || !equal(pinHash, state.pinHash)) {
    protocol.regenerate();
    runtime.consecutivePinFailures++;
    if (state.pinRetries <= 0) throw new CtapError(Status.CTAP2_ERR_PIN_BLOCKED);
    if (runtime.consecutivePinFailures >= MAX_CONSECUTIVE_PIN_FAILURES)
      throw new CtapError(Status.CTAP2_ERR_PIN_AUTH_BLOCKED);
    throw new CtapError(Status.CTAP2_ERR_PIN_INVALID);
  }
  runtime.consecutivePinFailures = 0;
  state.pinRetries = MAX_PIN_RETRIES;
  writePinState(core.env.store, state);
  pinEntered(core); // CTAP 2.3 §6.4 uvCountSinceLastPinEntry
}

export interface NewPin {
  /** LEFT(SHA-256(newPin), 16). */
  hash: Uint8Array;
  codePoints: number;
}

/**
 * §6.5.5.5 steps 6–11 / §6.5.5.6 steps 9–15: decrypt paddedNewPin (64 bytes), drop the trailing
 * zeros, and apply the PIN policy: at least minPINLength code points, at most 63 bytes, valid UTF-8 in
 * Normalization Form C (§6.5.1).
 */
function decryptNewPin(
  core: Core,
  protocol: PinUvAuthProtocol,
  sharedSecret: Uint8Array,
  newPinEnc: Uint8Array,
  minPINLength: number,
): NewPin {
  const padded = protocol.decrypt(sharedSecret, newPinEnc);
  if (!padded) throw new CtapError(Status.CTAP2_ERR_PIN_AUTH_INVALID, 'newPinEnc does not decrypt');
  if (padded.length !== 64) throw new CtapError(Status.CTAP1_ERR_INVALID_PARAMETER, 'paddedNewPin must be 64 bytes');
  let end = padded.length;
  while (end > 0 && padded[end - 1] === 0) end--;
  return checkPinPolicy(padded.subarray(0, end), minPINLength, pinComplexityEnforced(core));
}

/**
 * §6.5.1 PIN policy on a PIN's bytes (also used for a PIN entered on the device, setDevicePin.ts),
 * and CTAP 2.3's PIN complexity policy when it is on.
 */
export function checkPinPolicy(pin: Uint8Array, minPINLength: number, complexity = false): NewPin {
  const violation = (why: string) => new CtapError(Status.CTAP2_ERR_PIN_POLICY_VIOLATION, why);
  if (pin.length > 63) throw violation('a PIN is at most 63 bytes');
  let text: string;
  try {
    text = utf8.decode(pin);
  } catch {
    throw violation('a PIN is UTF-8');
  }
  const codePoints = [...text].length;
  if (codePoints < Math.max(minPINLength, DEFAULT_MIN_PIN_LENGTH))
    throw violation(`a PIN has at least ${minPINLength} code points`);
  if (text.normalize('NFC') !== text) throw violation('a PIN is in Unicode Normalization Form C');
  if (complexity) checkPinComplexity(text);
  return { hash: sha256(pin).slice(0, 16), codePoints };
}

/**
 * §6.5.5.7.2 step 3–4: zero permissions are invalid; a permission whose feature getInfo does not
 * offer is unauthorized; undefined permission bits are ignored (a request of only undefined bits is
 * treated as zero). Returns the permissions to assign.
 */
function grantablePermissions(core: Core, permissions: number, viaPin: boolean): number {
  // pcmr is a defined bit only for a CTAP 2.3 configuration.
  const granted = permissions & ALL_PERMISSIONS & (core.config.ctap23 ? ALL_PERMISSIONS : ~P.pcmr);
  if (granted === 0) throw new CtapError(Status.CTAP1_ERR_INVALID_PARAMETER, 'permissions');
  // CTAP 2.3 §6.5.5.7: pcmr is asked for alone (the persistent token carries no other permission).
  if (granted & P.pcmr && granted !== P.pcmr)
    throw new CtapError(Status.CTAP2_ERR_UNAUTHORIZED_PERMISSION, 'pcmr with other permissions');
  const options = getInfo(core).options ?? {};
  const refused =
    (granted & P.cm && options.credMgmt !== true) ||
    (granted & P.be && options.bioEnroll === undefined) ||
    (granted & P.lbw && options.largeBlobs !== true) ||
    (granted & P.acfg && options.authnrCfg !== true) ||
    (granted & P.pcmr && options.perCredMgmtRO !== true) ||
    (viaPin && granted & (P.mc | P.ga) && options.noMcGaPermissionsWithClientPin === true);
  if (refused) throw new CtapError(Status.CTAP2_ERR_UNAUTHORIZED_PERMISSION);
  return granted;
}

/**
 * The end of every token-issuing subcommand: resetPinUvAuthToken() for all protocols,
 * beginUsingPinUvAuthToken(userIsPresent), the permissions and RP ID, and the token encrypted to
 * the shared secret. CTAP 2.3: pcmr gets the persistent token instead (persistentPinUvAuthToken.ts),
 * and the volatile token stays as it was; the RP ID does not apply to it.
 */
function issueToken(
  core: Core,
  protocol: PinUvAuthProtocol,
  sharedSecret: Uint8Array,
  userIsPresent: boolean,
  permissions: number,
  rpId?: string,
): ClientPinResponse {
  if (permissions === P.pcmr) return { pinUvAuthToken: protocol.encrypt(sharedSecret, persistentPinUvAuthToken(core)) };
  const runtime = pinUvAuthRuntime(core);
  runtime.resetAllTokens();
  runtime.token.beginUsingPinUvAuthToken(userIsPresent, permissions, rpId);
  return { pinUvAuthToken: protocol.encrypt(sharedSecret, protocol.pinUvAuthToken) };
}

// ---------------------------------------------------------------------------------------------
// Subcommands

/** §6.5.5.2 getPINRetries (0x01): pinRetries and powerCycleState. */
function getPINRetries(core: Core): ClientPinResponse {
  const { pinRetries } = readPinState(core.env.store);
  const powerCycleState = (core.runtime.pinUvAuth?.consecutivePinFailures ?? 0) >= MAX_CONSECUTIVE_PIN_FAILURES;
  return { pinRetries, powerCycleState };
}

/** §6.5.5.4 getKeyAgreement (0x02). */
function getKeyAgreement(core: Core, req: ClientPinRequest): ClientPinResponse {
  const protocol = selectProtocol(core, need(req.pinUvAuthProtocol, 'pinUvAuthProtocol'));
  return { keyAgreement: protocol.getPublicKey() };
}

/** §6.5.5.5 setPIN (0x03). */
function setPIN(core: Core, req: ClientPinRequest): ClientPinResponse {
  // Step 1.
  const version = need(req.pinUvAuthProtocol, 'pinUvAuthProtocol');
  const keyAgreement = need(req.keyAgreement, 'keyAgreement');
  const pinUvAuthParam = need(req.pinUvAuthParam, 'pinUvAuthParam');
  const newPinEnc = need(req.newPinEnc, 'newPinEnc');
  // Step 2.
  const protocol = selectProtocol(core, version);
  // Step 3: changing a PIN is changePIN's job (it needs the current one).
  const state = readPinState(core.env.store);
  if (state.pinHash) throw new CtapError(Status.CTAP2_ERR_PIN_AUTH_INVALID, 'a PIN is already set');
  // Steps 4–5.
  const sharedSecret = decapsulate(protocol, keyAgreement);
  if (!protocol.verify(sharedSecret, newPinEnc, pinUvAuthParam)) throw new CtapError(Status.CTAP2_ERR_PIN_AUTH_INVALID);
  // Steps 6–11.
  const newPin = decryptNewPin(core, protocol, sharedSecret, newPinEnc, state.minPINLength);
  // Step 12.
  state.pinHash = newPin.hash;
  state.pinCodePointLength = newPin.codePoints;
  state.pinRetries = MAX_PIN_RETRIES;
  writePinState(core.env.store, state);
  return {};
}

/** §6.5.5.6 changePIN (0x04). */
function changePIN(core: Core, req: ClientPinRequest): ClientPinResponse {
  // Step 1.
  const version = need(req.pinUvAuthProtocol, 'pinUvAuthProtocol');
  const keyAgreement = need(req.keyAgreement, 'keyAgreement');
  const pinHashEnc = need(req.pinHashEnc, 'pinHashEnc');
  const newPinEnc = need(req.newPinEnc, 'newPinEnc');
  const pinUvAuthParam = need(req.pinUvAuthParam, 'pinUvAuthParam');
  // Step 2.
  const protocol = selectProtocol(core, version);
  // Step 3 (and a PIN to change).
  pinUsable(core);
  // Steps 4–5.
  const sharedSecret = decapsulate(protocol, keyAgreement);
  if (!protocol.verify(sharedSecret, concat(newPinEnc, pinHashEnc), pinUvAuthParam))
    throw new CtapError(Status.CTAP2_ERR_PIN_AUTH_INVALID);
  // Steps 6–8.
  checkPinHash(core, protocol, sharedSecret, pinHashEnc);
  // Steps 9–12, 14–15.
  const state = readPinState(core.env.store);
  const newPin = decryptNewPin(core, protocol, sharedSecret, newPinEnc, state.minPINLength);
  // Step 13: a forced change must change the PIN.
  if (state.forcePINChange && state.pinHash && equal(newPin.hash, state.pinHash)) {
    throw new CtapError(Status.CTAP2_ERR_PIN_POLICY_VIOLATION, 'forcePINChange: the new PIN must differ');
  }
  // Steps 16–18.
  state.forcePINChange = false;
  state.pinHash = newPin.hash;
  state.pinCodePointLength = newPin.codePoints;
  state.pinRetries = MAX_PIN_RETRIES;
  writePinState(core.env.store, state);
  // Step 19: every existing pinUvAuthToken is invalidated; CTAP 2.3: so is the persistent one.
  pinUvAuthRuntime(core).resetAllTokens();
  if (core.config.ctap23) resetPersistentPinUvAuthToken(core);
  return {};
}

/** §6.5.5.7.1 getPinToken (0x05, superseded): a token with the default permissions mc and ga. */
function getPinToken(core: Core, req: ClientPinRequest): ClientPinResponse {
  // Step 1.
  const version = need(req.pinUvAuthProtocol, 'pinUvAuthProtocol');
  const keyAgreement = need(req.keyAgreement, 'keyAgreement');
  const pinHashEnc = need(req.pinHashEnc, 'pinHashEnc');
  // Steps 2–4.
  const protocol = selectProtocol(core, version);
  if (req.permissions !== undefined)
    throw new CtapError(Status.CTAP1_ERR_INVALID_PARAMETER, 'getPinToken takes no permissions');
  if (req.rpId !== undefined) throw new CtapError(Status.CTAP1_ERR_INVALID_PARAMETER, 'getPinToken takes no rpId');
  // Step 5.
  pinUsable(core);
  // Steps 6–10.
  const sharedSecret = decapsulate(protocol, keyAgreement);
  checkPinHash(core, protocol, sharedSecret, pinHashEnc);
  // Step 11: while forcePINChange is set, the superseded getPinToken answers CTAP2_ERR_PIN_INVALID
  // (a CTAP 2.0 platform knows no PIN_POLICY_VIOLATION here; OpenSK and trussed answer the same).
  // getPinUvAuthTokenUsingPinWithPermissions (§6.5.5.7.2) answers PIN_POLICY_VIOLATION instead.
  if (readPinState(core.env.store).forcePINChange)
    throw new CtapError(Status.CTAP2_ERR_PIN_INVALID, 'forcePINChange: change the PIN first');
  // Steps 12–15 (the RP ID is bound at first use).
  return issueToken(core, protocol, sharedSecret, false, P.mc | P.ga);
}

/** §6.5.5.7.2 getPinUvAuthTokenUsingPinWithPermissions (0x09). */
function getPinUvAuthTokenUsingPinWithPermissions(core: Core, req: ClientPinRequest): ClientPinResponse {
  // Step 1.
  const version = need(req.pinUvAuthProtocol, 'pinUvAuthProtocol');
  const keyAgreement = need(req.keyAgreement, 'keyAgreement');
  const pinHashEnc = need(req.pinHashEnc, 'pinHashEnc');
  const permissions = need(req.permissions, 'permissions');
  // Steps 2–4.
  const protocol = selectProtocol(core, version);
  const granted = grantablePermissions(core, permissions, true);
  // Step 5.
  pinUsable(core);
  // Steps 6–10.
  const sharedSecret = decapsulate(protocol, keyAgreement);
  checkPinHash(core, protocol, sharedSecret, pinHashEnc);
  // Step 11.
  if (readPinState(core.env.store).forcePINChange)
    throw new CtapError(Status.CTAP2_ERR_PIN_POLICY_VIOLATION, 'forcePINChange: change the PIN first');
  // Steps 12–16.
  return issueToken(core, protocol, sharedSecret, false, granted, req.rpId);
}

/** §6.5.5.7.3 getPinUvAuthTokenUsingUvWithPermissions (0x06): built-in UV, which is also user presence. */
async function getPinUvAuthTokenUsingUvWithPermissions(
  core: Core,
  req: ClientPinRequest,
  ctx: RequestContext,
): Promise<ClientPinResponse> {
  const { env } = core;
  if (!env.uv) throw new CtapError(Status.CTAP2_ERR_INVALID_SUBCOMMAND, 'no built-in user verification');
  // Step 1.
  const version = need(req.pinUvAuthProtocol, 'pinUvAuthProtocol');
  const keyAgreement = need(req.keyAgreement, 'keyAgreement');
  const permissions = need(req.permissions, 'permissions');
  // Steps 2–4.
  const protocol = selectProtocol(core, version);
  const granted = grantablePermissions(core, permissions, false);
  // Built-in UV must be enabled (getInfo uv: true), and not blocked.
  if (!env.uv.available) throw new CtapError(Status.CTAP2_ERR_NOT_ALLOWED, 'built-in user verification is not enabled');
  if (readPinState(env.store).uvRetries <= 0) throw new CtapError(Status.CTAP2_ERR_UV_BLOCKED);
  const sharedSecret = decapsulate(protocol, keyAgreement);
  // performBuiltInUv.
  const result = await performBuiltInUv(core, uvPrompt(granted, req.rpId), ctx);
  if (result === 'timeout') throw new CtapError(Status.CTAP2_ERR_USER_ACTION_TIMEOUT);
  if (result === 'blocked') throw new CtapError(Status.CTAP2_ERR_UV_BLOCKED);
  if (result === 'failed') throw new CtapError(Status.CTAP2_ERR_UV_INVALID);
  return issueToken(core, protocol, sharedSecret, true, granted, req.rpId);
}

function uvPrompt(permissions: number, rpId: string | undefined) {
  const operation: PresenceOperation =
    permissions & P.mc
      ? 'makeCredential'
      : permissions & P.ga
        ? 'getAssertion'
        : permissions & P.cm
          ? 'credentialManagement'
          : permissions & P.lbw
            ? 'largeBlobs'
            : 'config';
  return {
    operation,
    ...(rpId !== undefined && { rpId }),
    message: rpId !== undefined ? `Verify your identity for ${rpId}` : 'Verify your identity',
  };
}

/** §6.5.5.3 getUVRetries (0x07). */
function getUVRetries(core: Core): ClientPinResponse {
  if (!core.env.uv) throw new CtapError(Status.CTAP2_ERR_INVALID_SUBCOMMAND, 'no built-in user verification');
  return { uvRetries: readPinState(core.env.store).uvRetries };
}
