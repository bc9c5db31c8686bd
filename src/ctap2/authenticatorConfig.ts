/**
 * CTAP 2.1 §6.11 authenticatorConfig (0x0D), both directions: request field lists (with setMinPINLength's
 * subCommandParams, §6.11.4), key tables, subCommand values and the request codecs. The response is the
 * status byte only. The pinUvAuthParam message is the platform's, in hostCodec.ts.
 * https://fidoalliance.org/specs/fido-v2.1-ps-20210615/fido-client-to-authenticator-protocol-v2.1-ps-20210615.html#authenticatorConfig
 */
import { decode, encode, type CborKey, type CborMap, type Encodable } from '../encoding/cbor.js';
import { Command } from './commands.js';
import { anyMap, arrayOf, bool, bytes, commandBytes, decodeRequestMap, keyTable, struct, text, uint } from './wire.js';

/** §6.11 subCommand values. */
export const ConfigSubCommand = {
  enableEnterpriseAttestation: 0x01,
  toggleAlwaysUv: 0x02,
  setMinPINLength: 0x03,
  /** CTAP 2.3 §6.11.5. */
  enableLongTouchForReset: 0x04,
  vendorPrototype: 0xff,
} as const;

/** §6.11.4 setMinPINLength subCommandParams. */
export interface SetMinPINLengthParams {
  newMinPINLength?: number;
  minPinLengthRPIDs?: string[];
  forceChangePin?: boolean;
  /** CTAP 2.3: turn the PIN complexity policy on. */
  pinComplexityPolicy?: boolean;
}

export interface ConfigRequest {
  subCommand: number;
  /** The canonical CBOR of subCommandParams as received, authenticated by pinUvAuthParam (set by the decoder). */
  subCommandParamsEncoded?: Uint8Array;
  /** setMinPINLength's parameters (decoded for that subCommand only). */
  setMinPINLength?: SetMinPINLengthParams;
  pinUvAuthProtocol?: number;
  pinUvAuthParam?: Uint8Array;
}

export const setMinPINLengthParams = struct<SetMinPINLengthParams>({
  newMinPINLength: { key: 0x01, codec: uint, optional: true },
  minPinLengthRPIDs: { key: 0x02, codec: arrayOf(text), optional: true },
  forceChangePin: { key: 0x03, codec: bool, optional: true },
  pinComplexityPolicy: { key: 0x04, codec: bool, optional: true },
});

/** The request map as it travels: subCommandParams is a map whose members depend on subCommand. */
interface ConfigRequestMap {
  subCommand: number;
  subCommandParams?: CborMap;
  pinUvAuthProtocol?: number;
  pinUvAuthParam?: Uint8Array;
}

const configRequest = struct<ConfigRequestMap>({
  subCommand: { key: 0x01, codec: uint },
  subCommandParams: { key: 0x02, codec: anyMap, optional: true },
  pinUvAuthProtocol: { key: 0x03, codec: uint, optional: true },
  pinUvAuthParam: { key: 0x04, codec: bytes, optional: true },
});

/** §6.11 request keys. */
export const ConfigKey = keyTable(configRequest.members);
/** §6.11.4 setMinPINLength subCommandParams keys. */
export const SetMinPINLengthParamKey = keyTable(setMinPINLengthParams.members);

/**
 * The subCommandParams map a request sends: setMinPINLength's parameters (none when empty), else the
 * bytes a decoded request carried.
 */
export function configSubCommandParams(req: ConfigRequest): ReadonlyMap<CborKey, Encodable> | undefined {
  if (req.subCommand === ConfigSubCommand.setMinPINLength && req.setMinPINLength) {
    const m = setMinPINLengthParams.toMap(req.setMinPINLength);
    return m.size > 0 ? m : undefined;
  }
  return req.subCommandParamsEncoded && (decode(req.subCommandParamsEncoded) as CborMap);
}

/** Platform: command byte ‖ request map. */
export function encodeAuthenticatorConfigRequest(req: ConfigRequest): Uint8Array {
  const m = new Map<CborKey, Encodable>([[ConfigKey.subCommand, req.subCommand]]);
  const params = configSubCommandParams(req);
  if (params) m.set(ConfigKey.subCommandParams, params);
  if (req.pinUvAuthProtocol !== undefined) m.set(ConfigKey.pinUvAuthProtocol, req.pinUvAuthProtocol);
  if (req.pinUvAuthParam !== undefined) m.set(ConfigKey.pinUvAuthParam, req.pinUvAuthParam);
  return commandBytes(Command.authenticatorConfig, m);
}

/** Authenticator: the parameters after the command byte → the request, or the §6.11 status. */
export function decodeAuthenticatorConfigRequest(params: Uint8Array): ConfigRequest {
  const wire = configRequest.fromMap(decodeRequestMap(params), 'authenticatorConfig');
  const req: ConfigRequest = { subCommand: wire.subCommand };
  if (wire.subCommandParams) {
    // Strict canonical decoding: re-encoding gives back the bytes received.
    req.subCommandParamsEncoded = encode(wire.subCommandParams);
    if (req.subCommand === ConfigSubCommand.setMinPINLength)
      req.setMinPINLength = setMinPINLengthParams.fromMap(
        wire.subCommandParams,
        'authenticatorConfig.subCommandParams',
      );
  }
  if (wire.pinUvAuthProtocol !== undefined) req.pinUvAuthProtocol = wire.pinUvAuthProtocol;
  if (wire.pinUvAuthParam !== undefined) req.pinUvAuthParam = wire.pinUvAuthParam;
  return req;
}
