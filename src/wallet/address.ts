/**
 * Filecoin addresses (filecoin-app.md §3): protocol byte ‖ payload, shown as
 * `net ‖ protocol ‖ …` where `net` is `f` (mainnet) or `t` (testnet).
 *  - f0: decimal of the LEB128 actor id (payload < 21 bytes)
 *  - f1/f2/f3: base32lower_nopad(payload ‖ blake2b-32bit(address bytes)), payload 20/20/48 bytes
 *  - f4: `f4` ‖ decimal actor id ‖ `f` ‖ base32(subaddress ‖ checksum)
 * An f1 address is `0x01 ‖ blake2b-160(uncompressed public key)`.
 */
import { blake2b, blake2b160 } from '../crypto/blake2b.js';
import { toHex } from '../encoding/bytes.js';
import type { Network } from './bip32Path.js';

export const ADDRESS_PROTOCOL = {
  ID: 0,
  SECP256K1: 1,
  ACTOR: 2,
  BLS: 3,
  DELEGATED: 4,
} as const;

export const SECP256K1_PAYLOAD_LENGTH = 20;
export const ACTOR_PAYLOAD_LENGTH = 20;
export const BLS_PAYLOAD_LENGTH = 48;
export const ID_PAYLOAD_MAX = 20;
export const CHECKSUM_LENGTH = 4;

const BASE32_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** RFC 4648 base32, lower case, no padding. */
export function base32Lower(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const b of bytes) {
    buffer = ((buffer << 8) | b) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/** Unsigned LEB128 (at most 64 bits). Returns undefined when truncated or too large. */
export function decodeLeb128(bytes: Uint8Array, offset = 0): { value: bigint; length: number } | undefined {
  let value = 0n;
  let shift = 0n;
  for (let i = offset; i < bytes.length && i - offset < 10; i++) {
    const b = bytes[i]!;
    value |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) {
      if (value > 0xffffffffffffffffn) return undefined;
      return { value, length: i - offset + 1 };
    }
    shift += 7n;
  }
  return undefined;
}

export function encodeLeb128(value: bigint | number): Uint8Array {
  let v = BigInt(value);
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) b |= 0x80;
    out.push(b);
  } while (v !== 0n);
  return new Uint8Array(out);
}

export function addressChecksum(addressBytes: Uint8Array): Uint8Array {
  return blake2b(addressBytes, CHECKSUM_LENGTH);
}

export function networkPrefix(network: Network): 'f' | 't' {
  return network === 'testnet' ? 't' : 'f';
}

/** `0x01 ‖ blake2b-160(PK65)`: the 21 address bytes of a secp256k1 key. */
export function secp256k1AddressBytes(uncompressedPublicKey: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + SECP256K1_PAYLOAD_LENGTH);
  out[0] = ADDRESS_PROTOCOL.SECP256K1;
  out.set(blake2b160(uncompressedPublicKey), 1);
  return out;
}

/** True when the bytes pass the message parser's address check (§4.1). */
export function isValidAddressBytes(a: Uint8Array): boolean {
  if (a.length <= 1) return false;
  const payloadLength = a.length - 1;
  switch (a[0]) {
    case ADDRESS_PROTOCOL.ID:
      return payloadLength < 21;
    case ADDRESS_PROTOCOL.SECP256K1:
      return payloadLength === SECP256K1_PAYLOAD_LENGTH;
    case ADDRESS_PROTOCOL.ACTOR:
      return payloadLength === ACTOR_PAYLOAD_LENGTH;
    case ADDRESS_PROTOCOL.BLS:
      return payloadLength === BLS_PAYLOAD_LENGTH;
    case ADDRESS_PROTOCOL.DELEGATED: {
      const id = decodeLeb128(a, 1);
      return id !== undefined && a.length > id.length + 1;
    }
    default:
      return false;
  }
}

/**
 * The display string of address bytes, or undefined when they cannot be formatted
 * (unknown protocol, wrong payload length, bad LEB128).
 */
export function formatAddress(a: Uint8Array, network: Network = 'mainnet'): string | undefined {
  if (!isValidAddressBytes(a)) return undefined;
  const net = networkPrefix(network);
  const protocol = a[0]!;
  switch (protocol) {
    case ADDRESS_PROTOCOL.ID: {
      const id = decodeLeb128(a, 1);
      return id === undefined ? undefined : `${net}0${id.value.toString(10)}`;
    }
    case ADDRESS_PROTOCOL.SECP256K1:
    case ADDRESS_PROTOCOL.ACTOR:
    case ADDRESS_PROTOCOL.BLS: {
      const payload = a.subarray(1);
      const body = new Uint8Array(payload.length + CHECKSUM_LENGTH);
      body.set(payload, 0);
      body.set(addressChecksum(a), payload.length);
      return `${net}${protocol}${base32Lower(body)}`;
    }
    case ADDRESS_PROTOCOL.DELEGATED: {
      const id = decodeLeb128(a, 1)!;
      const sub = a.subarray(1 + id.length);
      const body = new Uint8Array(sub.length + CHECKSUM_LENGTH);
      body.set(sub, 0);
      body.set(addressChecksum(a), sub.length);
      return `${net}4${id.value.toString(10)}f${base32Lower(body)}`;
    }
    default:
      return undefined;
  }
}

/** The `0x…` form of an f4 address whose subaddress is 20 bytes (an Ethereum address), else undefined. */
export function delegatedEthAddress(a: Uint8Array): string | undefined {
  if (a[0] !== ADDRESS_PROTOCOL.DELEGATED) return undefined;
  const id = decodeLeb128(a, 1);
  if (!id) return undefined;
  const sub = a.subarray(1 + id.length);
  return sub.length === 20 ? `0x${toHex(sub)}` : undefined;
}
