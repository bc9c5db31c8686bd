/**
 * CTAP 2.1 §6.11 authenticatorConfig (0x0D): enableEnterpriseAttestation (§6.11.1), toggleAlwaysUv
 * (§6.11.2) and setMinPINLength (§6.11.4); vendorPrototype is not supported. With the ctap23
 * capability also CTAP 2.3's enableLongTouchForReset (subCommand 0x04) and setMinPINLength's
 * pinComplexityPolicy parameter (extensions/pinComplexityPolicy.ts). Also the
 * settings' effects elsewhere: the alwaysUv steps of makeCredential (§6.1.2 step 6) and getAssertion
 * (§6.2.2 step 5), the enterpriseAttestation parameter (§6.1.2 step 9, §7.1), and the getInfo
 * options of the management commands.
 *
 * ep and alwaysUv persist in the store's small state (authenticatorReset wipes it: both off again);
 * minPINLength, minPinLengthRPIDs and forcePINChange live in the PIN state (pinUvAuthToken.ts).
 * https://fidoalliance.org/specs/fido-v2.1-ps-20210615/fido-client-to-authenticator-protocol-v2.1-ps-20210615.html#authenticatorConfig
 */
import type { RequestContext } from '../ctap2/api.js';
import { PinUvAuthTokenPermission } from '../ctap2/clientPin.js';
import {
  ConfigSubCommand as Sub,
  type ConfigRequest,
  type SetMinPINLengthParams,
} from '../ctap2/authenticatorConfig.js';
import { CtapError, Status } from '../ctap2/status.js';
import { concat } from '../encoding/bytes.js';
import type { Core } from './core.js';
import { authorizeWithPinUvAuthToken } from './managementAuthorization.js';
import { isProtectedByUv } from './pinUvAuth.js';
import { readPinState, writePinState } from './pinUvAuthToken.js';

/** How many RP IDs setMinPINLength may authorize for the minPinLength extension (getInfo 0x10). */
export const MAX_RPIDS_FOR_SET_MIN_PIN_LENGTH = 8;
/** A PIN is at most 63 bytes (§6.5.1), so a longer minimum could never be met. */
const MAX_MIN_PIN_LENGTH = 63;

const STATE_KEY = 'authenticatorConfig';

/** The persisted settings (versioned: habit 9). */
interface ConfigSettingsRecord {
  v: 1;
  ep: boolean;
  alwaysUv: boolean;
  /** CTAP 2.3; absent in records written before it: false. */
  longTouchForReset?: boolean;
  pinComplexityPolicy?: boolean;
}

export interface ConfigSettings {
  /** Enterprise attestation enabled (getInfo option ep). */
  ep: boolean;
  /** Always Require User Verification (getInfo option alwaysUv). */
  alwaysUv: boolean;
  /** CTAP 2.3 getInfo longTouchForReset (0x18): authenticatorReset needs a long touch. */
  longTouchForReset: boolean;
  /** CTAP 2.3 getInfo pinComplexityPolicy (0x1B): new PINs meet the complexity rules. */
  pinComplexityPolicy: boolean;
}

/** The settings, cached for this power cycle (getAssertion consults alwaysUv on every call). */
export function configSettings(core: Core): ConfigSettings {
  let s = core.runtime.configSettings;
  if (!s) {
    const r = core.env.store.getState<ConfigSettingsRecord>(STATE_KEY);
    if (r && r.v !== 1) throw new Error(`unknown authenticatorConfig state version ${String(r.v)}`);
    s = {
      ep: r?.ep ?? false,
      alwaysUv: r?.alwaysUv ?? false,
      longTouchForReset: r?.longTouchForReset ?? false,
      pinComplexityPolicy: r?.pinComplexityPolicy ?? false,
    };
    core.runtime.configSettings = s;
  }
  return s;
}

/** Commits the settings before the response leaves. */
function writeConfigSettings(core: Core, s: ConfigSettings): void {
  const record: ConfigSettingsRecord = { v: 1, ep: s.ep, alwaysUv: s.alwaysUv };
  if (s.longTouchForReset) record.longTouchForReset = true;
  if (s.pinComplexityPolicy) record.pinComplexityPolicy = true;
  core.env.store.setState(STATE_KEY, record);
  core.runtime.configSettings = { ...s };
}

/** authenticatorReset: forgets the cached settings and every management command's volatile state. */
export function resetManagementState(core: Core): void {
  core.runtime.configSettings = undefined;
  core.runtime.credentialManagement = undefined;
  core.runtime.largeBlobWrite = undefined;
}

/** Whether this configuration is a CTAP 2.1 authenticator (a CTAP 2.0 profile offers none of this). */
export function supportsCtap21Management(core: Core): boolean {
  return core.config.versions.includes('FIDO_2_1');
}

/**
 * getInfo (§6.4) options of credentialManagement, largeBlobs and authenticatorConfig, and
 * makeCredUvNotRqd, which alwaysUv turns false (§7.2.2); a CTAP 2.0 configuration gets none.
 */
export function managementOptions(core: Core): Record<string, boolean> {
  const { ep, alwaysUv } = configSettings(core);
  if (!supportsCtap21Management(core)) return {};
  return {
    credMgmt: true,
    credentialMgmtPreview: true,
    largeBlobs: true,
    authnrCfg: true,
    setMinPINLength: true,
    ep,
    alwaysUv,
    makeCredUvNotRqd: core.config.makeCredUvNotRqd && !alwaysUv,
  };
}

/**
 * The subCommands answered (CTAP 2.3 getInfo authenticatorConfigCommands, 0x1F); vendorPrototype is
 * not (getInfo lists no vendorPrototypeConfigCommands).
 */
export function supportedConfigSubCommands(core: Core): number[] {
  const subs: number[] = [Sub.enableEnterpriseAttestation, Sub.toggleAlwaysUv, Sub.setMinPINLength];
  if (core.config.ctap23) subs.push(Sub.enableLongTouchForReset);
  return subs;
}

export async function authenticatorConfig(core: Core, req: ConfigRequest, _ctx: RequestContext): Promise<void> {
  core.runtime.pending = undefined;
  // Step 1: supported subcommands.
  if (!supportedConfigSubCommands(core).includes(req.subCommand)) {
    throw new CtapError(Status.CTAP2_ERR_INVALID_SUBCOMMAND, `authenticatorConfig subCommand ${req.subCommand}`);
  }
  // Step 2: a protected authenticator (or one with alwaysUv on) needs a pinUvAuthToken with acfg,
  // over 32×0xff ‖ 0x0d ‖ uint8(subCommand) ‖ subCommandParams.
  if (isProtectedByUv(core) || configSettings(core).alwaysUv) {
    const message = concat(
      new Uint8Array(32).fill(0xff),
      new Uint8Array([0x0d, req.subCommand]),
      req.subCommandParamsEncoded ?? new Uint8Array(0),
    );
    authorizeWithPinUvAuthToken(core, req, message, PinUvAuthTokenPermission.acfg);
  }
  switch (req.subCommand) {
    case Sub.enableEnterpriseAttestation:
      return enableEnterpriseAttestation(core);
    case Sub.toggleAlwaysUv:
      return toggleAlwaysUv(core);
    case Sub.enableLongTouchForReset:
      return enableLongTouchForReset(core);
    default:
      return setMinPINLength(core, req.setMinPINLength ?? {});
  }
}

/** §6.11.1 enableEnterpriseAttestation: ep becomes true (and stays so until authenticatorReset). */
function enableEnterpriseAttestation(core: Core): void {
  writeConfigSettings(core, { ...configSettings(core), ep: true });
}

/** §6.11.2 toggleAlwaysUv. */
function toggleAlwaysUv(core: Core): void {
  const s = configSettings(core);
  writeConfigSettings(core, { ...s, alwaysUv: !s.alwaysUv });
}

/**
 * CTAP 2.3 §6.11.5 enableLongTouchForReset: from now on (until authenticatorReset) a reset needs a
 * long touch (reset.ts), and getInfo longTouchForReset (0x18) is true.
 */
function enableLongTouchForReset(core: Core): void {
  writeConfigSettings(core, { ...configSettings(core), longTouchForReset: true });
}

/**
 * §6.11.4 setMinPINLength: the minimum only grows; a longer minimum than the PIN forces a change.
 * CTAP 2.3: pinComplexityPolicy true turns the complexity policy on (false or absent: no change;
 * only authenticatorReset turns it off), which forces a PIN change when a PIN is set.
 */
function setMinPINLength(core: Core, p: SetMinPINLengthParams): void {
  const state = readPinState(core.env.store);
  const newMinPINLength = p.newMinPINLength ?? state.minPINLength;
  if (newMinPINLength < state.minPINLength)
    throw new CtapError(Status.CTAP2_ERR_PIN_POLICY_VIOLATION, 'minPINLength can only increase');
  if (newMinPINLength > MAX_MIN_PIN_LENGTH)
    throw new CtapError(Status.CTAP2_ERR_PIN_POLICY_VIOLATION, `a PIN is at most ${MAX_MIN_PIN_LENGTH} bytes`);
  if (p.minPinLengthRPIDs && p.minPinLengthRPIDs.length > MAX_RPIDS_FOR_SET_MIN_PIN_LENGTH) {
    throw new CtapError(
      Status.CTAP1_ERR_INVALID_PARAMETER,
      `at most ${MAX_RPIDS_FOR_SET_MIN_PIN_LENGTH} minPinLengthRPIDs`,
    );
  }
  if (p.forceChangePin === true && !state.pinHash)
    throw new CtapError(Status.CTAP2_ERR_PIN_NOT_SET, 'forceChangePin without a PIN');
  const tooShort = state.pinCodePointLength !== undefined && newMinPINLength > state.pinCodePointLength;
  const settings = configSettings(core);
  const complexityOn = core.config.ctap23 && p.pinComplexityPolicy === true && !settings.pinComplexityPolicy;
  if (p.forceChangePin === true || tooShort || (complexityOn && state.pinHash)) state.forcePINChange = true;
  state.minPINLength = newMinPINLength;
  if (p.minPinLengthRPIDs) state.minPinLengthRPIDs = [...p.minPinLengthRPIDs];
  writePinState(core.env.store, state);
  if (complexityOn) writeConfigSettings(core, { ...settings, pinComplexityPolicy: true });
}

// ---------------------------------------------------------------------------------------------
// The settings in makeCredential and getAssertion

/**
 * §6.1.2 step 6 (alwaysUv): no credential without user verification, by pinUvAuthParam or the "uv"
 * option. This authenticator supports clientPin for mc, so the answer is CTAP2_ERR_PUAT_REQUIRED
 * (on an unprotected authenticator too: the platform is to set a PIN).
 */
export function alwaysUvForMakeCredential(core: Core, viaToken: boolean, uvOption: boolean): void {
  if (!configSettings(core).alwaysUv) return;
  if (!isProtectedByUv(core)) throw new CtapError(Status.CTAP2_ERR_PUAT_REQUIRED, 'alwaysUv: set a PIN');
  if (!viaToken && !uvOption)
    throw new CtapError(Status.CTAP2_ERR_PUAT_REQUIRED, 'alwaysUv: user verification required');
}

/**
 * §6.2.2 step 5 (alwaysUv with "up" true): an assertion needs user verification. Returns true when
 * built-in UV is to be performed in place of an absent "uv" option (step 5.4).
 */
export function alwaysUvForGetAssertion(core: Core, up: boolean, viaToken: boolean, uvOption: boolean): boolean {
  if (!up || !configSettings(core).alwaysUv) return false;
  if (!isProtectedByUv(core)) throw new CtapError(Status.CTAP2_ERR_PUAT_REQUIRED, 'alwaysUv: set a PIN');
  if (viaToken || uvOption) return false;
  if (core.env.uv?.available) return true;
  throw new CtapError(Status.CTAP2_ERR_PUAT_REQUIRED, 'alwaysUv: user verification required');
}

/** §7.1 enterpriseAttestation values. */
export const EnterpriseAttestation = { vendorFacilitated: 1, platformManaged: 2 } as const;

/**
 * §6.1.2 step 9: whether to return an enterprise attestation. Without the feature enabled the
 * parameter is CTAP1_ERR_INVALID_PARAMETER; values other than 1 and 2 are CTAP2_ERR_INVALID_OPTION.
 * softkey's vendor-facilitated RP ID list is every RP (a developer's key), so both values yield one.
 */
export function enterpriseAttestationRequested(core: Core, enterpriseAttestation: number | undefined): boolean {
  if (enterpriseAttestation === undefined) return false;
  if (!supportsCtap21Management(core) || !configSettings(core).ep) {
    throw new CtapError(Status.CTAP1_ERR_INVALID_PARAMETER, 'enterprise attestation is not enabled');
  }
  if (
    enterpriseAttestation !== EnterpriseAttestation.vendorFacilitated &&
    enterpriseAttestation !== EnterpriseAttestation.platformManaged
  ) {
    throw new CtapError(Status.CTAP2_ERR_INVALID_OPTION, `enterpriseAttestation ${enterpriseAttestation}`);
  }
  return true;
}
