/**
 * CTAP 2.1 §6.11 authenticatorConfig (0x0D): request keys, subCommand values, setMinPINLength
 * parameters and the request decoder. The response is the status byte only.
 * https://fidoalliance.org/specs/fido-v2.1-ps-20210615/fido-client-to-authenticator-protocol-v2.1-ps-20210615.html#authenticatorConfig
 */
import { encode } from '../../encoding/cbor.js';
import { asFields, type Fields } from '../decode.js';
import { decodeRequestMap } from '../wire.js';
import { CtapError, Status } from '../status.js';

/** §6.11 request keys. */
export const ConfigKey = {
  subCommand: 0x01,
  subCommandParams: 0x02,
  pinUvAuthProtocol: 0x03,
  pinUvAuthParam: 0x04,
} as const;

/** §6.11 subCommand values. */
export const ConfigSubCommand = {
  enableEnterpriseAttestation: 0x01,
  toggleAlwaysUv: 0x02,
  setMinPINLength: 0x03,
  /** CTAP 2.3 §6.11.5. */
  enableLongTouchForReset: 0x04,
  vendorPrototype: 0xff,
} as const;

/** §6.11.4 setMinPINLength subCommandParams keys. */
export const SetMinPINLengthParamKey = {
  newMinPINLength: 0x01,
  minPinLengthRPIDs: 0x02,
  forceChangePin: 0x03,
  /** CTAP 2.3: turn the PIN complexity policy on. */
  pinComplexityPolicy: 0x04,
} as const;

export interface SetMinPINLengthParams {
  newMinPINLength?: number;
  minPinLengthRPIDs?: string[];
  forceChangePin?: boolean;
  pinComplexityPolicy?: boolean;
}

export interface ConfigRequest {
  subCommand: number;
  /** The canonical CBOR of subCommandParams, authenticated by pinUvAuthParam. */
  subCommandParamsEncoded?: Uint8Array;
  /** setMinPINLength's parameters (parsed for that subCommand only). */
  setMinPINLength?: SetMinPINLengthParams;
  pinUvAuthProtocol?: number;
  pinUvAuthParam?: Uint8Array;
}

function decodeSetMinPINLength(f: Fields): SetMinPINLengthParams {
  const K = SetMinPINLengthParamKey;
  const out: SetMinPINLengthParams = {};
  const length = f.uint(K.newMinPINLength, true);
  if (length !== undefined) out.newMinPINLength = length;
  const rpIds = f.array(K.minPinLengthRPIDs, true);
  if (rpIds) {
    if (!rpIds.every((r) => typeof r === 'string'))
      throw new CtapError(Status.CTAP2_ERR_CBOR_UNEXPECTED_TYPE, 'minPinLengthRPIDs must be text strings');
    out.minPinLengthRPIDs = rpIds;
  }
  const force = f.bool(K.forceChangePin);
  if (force !== undefined) out.forceChangePin = force;
  const complexity = f.bool(K.pinComplexityPolicy);
  if (complexity !== undefined) out.pinComplexityPolicy = complexity;
  return out;
}

export function decodeConfig(params: Uint8Array): ConfigRequest {
  const K = ConfigKey;
  const f = asFields(decodeRequestMap(params), 'authenticatorConfig');
  const req: ConfigRequest = { subCommand: f.uint(K.subCommand) };
  const sub = f.submap(K.subCommandParams, true);
  if (sub) {
    // Strict canonical decoding: re-encoding gives back the bytes received.
    req.subCommandParamsEncoded = encode(sub.map);
    if (req.subCommand === ConfigSubCommand.setMinPINLength) req.setMinPINLength = decodeSetMinPINLength(sub);
  }
  const protocol = f.uint(K.pinUvAuthProtocol, true);
  if (protocol !== undefined) req.pinUvAuthProtocol = protocol;
  const pinUvAuthParam = f.bytes(K.pinUvAuthParam, true);
  if (pinUvAuthParam) req.pinUvAuthParam = pinUvAuthParam;
  return req;
}
