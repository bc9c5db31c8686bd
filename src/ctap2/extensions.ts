/**
 * CTAP 2.1 §12 "Defined Extensions": decoding of the authenticator extension inputs of
 * makeCredential and getAssertion. Each extension brings its own input decoders (its descriptor in
 * authenticator/extensions/, listed in extensions/list.ts); this file walks the request's
 * extensions map with them. Extensions this authenticator does not implement are ignored (§12:
 * "ignoring any that it does not support"); a known one of the wrong CBOR type is
 * CTAP2_ERR_CBOR_UNEXPECTED_TYPE. It also holds the wire form of the hmac-secret input (§12.5),
 * which hmac-secret-mc (CTAP 2.2 §12.8) shares.
 * https://fidoalliance.org/specs/fido-v2.1-ps-20210615/fido-client-to-authenticator-protocol-v2.1-ps-20210615.html#sctn-defined-extensions
 */
import type { CborKey, CborMap, CborValue, Encodable } from '../encoding/cbor.js';
import { asFields, type Fields } from './decode.js';

/** The hmac-secret getAssertion input (§12.5), also the hmac-secret-mc input (CTAP 2.2 §12.8). */
export interface HmacSecretInput {
  /** 0x01: the platform's key-agreement COSE_Key. */
  keyAgreement: CborMap;
  /** 0x02: encrypt(sharedSecret, salt1 ‖ salt2?). */
  saltEnc: Uint8Array;
  /** 0x03: authenticate(sharedSecret, saltEnc). */
  saltAuth: Uint8Array;
  /** 0x04: the PIN/UV auth protocol; absent means protocol one. */
  pinUvAuthProtocol?: number;
}

export const HmacSecretInputKey = {
  keyAgreement: 0x01,
  saltEnc: 0x02,
  saltAuth: 0x03,
  pinUvAuthProtocol: 0x04,
} as const;

/**
 * An extension's input decoders, each called only when the request's extensions map has the
 * extension's identifier; it reads its own member from `inputs` (and may look at the others).
 */
export interface ExtensionInputDecoder {
  readonly id: string;
  decodeMakeCredentialInput?: (inputs: Fields) => unknown;
  decodeGetAssertionInput?: (inputs: Fields) => unknown;
}

/** Decoded extension inputs by extension identifier (authenticator/extensions/descriptor.ts inputOf reads them typed). */
export type ExtensionInputs = ReadonlyMap<string, unknown>;

/**
 * The inputs of one command, decoded by `decoders` in their order; undefined members are dropped. `map` is
 * the request's extensions member as the request decoder left it (a CBOR map, ctap2/makeCredential.ts).
 */
export function decodeExtensionInputs(
  map: ReadonlyMap<CborKey, Encodable>,
  decoders: readonly ExtensionInputDecoder[],
  command: 'makeCredential' | 'getAssertion',
): ExtensionInputs {
  const f = asFields(map as CborMap, 'extensions');
  const out = new Map<string, unknown>();
  for (const d of decoders) {
    const decode = command === 'makeCredential' ? d.decodeMakeCredentialInput : d.decodeGetAssertionInput;
    if (!decode || !map.has(d.id)) continue;
    const value = decode(f);
    if (value !== undefined) out.set(d.id, value);
  }
  return out;
}

/** The §12.5 input map {1: keyAgreement, 2: saltEnc, 3: saltAuth, 4: pinUvAuthProtocol?}. */
export function decodeHmacSecretInput(value: CborValue, name: string): HmacSecretInput {
  const f = asFields(value, `extensions.${name}`);
  const K = HmacSecretInputKey;
  const input: HmacSecretInput = {
    keyAgreement: f.submap(K.keyAgreement).map,
    saltEnc: f.bytes(K.saltEnc),
    saltAuth: f.bytes(K.saltAuth),
  };
  const protocol = f.uint(K.pinUvAuthProtocol, true);
  if (protocol !== undefined) input.pinUvAuthProtocol = protocol;
  return input;
}
