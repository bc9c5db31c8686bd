/**
 * CTAP 2.1 §6.5.4 "PIN/UV Auth Protocol Abstract Definition", §6.5.6 "PIN/UV Auth Protocol One" and
 * §6.5.7 "PIN/UV Auth Protocol Two", for both sides:
 *   - the authenticator side (initialize, regenerate, resetPinUvAuthToken, getPublicKey,
 *     decapsulate, encrypt, decrypt, authenticate, verify), over a random source it is given;
 *   - the platform side (encapsulate, encrypt, decrypt, authenticate), used by tests and the
 *     WebAuthn client.
 * https://fidoalliance.org/specs/fido-v2.1-ps-20210615/fido-client-to-authenticator-protocol-v2.1-ps-20210615.html#pinProto1
 */
import { randomBytes } from '../crypto/aead.js';
import { hkdfSha256, hmacSha256, sha256 } from '../crypto/hash.js';
import {
  aes256CbcDecrypt,
  aes256CbcEncrypt,
  generateP256KeyPair,
  p256Ecdh,
  type P256KeyPair,
} from '../crypto/pinCrypto.js';
import { concat, equal, utf8 } from '../encoding/bytes.js';
import type { CborKey, CborValue } from '../encoding/cbor.js';
import { CoseAlg, CoseCrv, CoseKty } from '../encoding/cose.js';

export type PinUvAuthProtocolVersion = 1 | 2;

/** The protocols this implementation speaks, in getInfo's order of preference. */
export const PIN_UV_AUTH_PROTOCOLS: readonly PinUvAuthProtocolVersion[] = [2, 1];

export function isPinUvAuthProtocolVersion(v: number | undefined): v is PinUvAuthProtocolVersion {
  return v === 1 || v === 2;
}

export type RandomSource = (n: number) => Uint8Array;

/** A COSE_Key as it travels in keyAgreement (integer labels). */
export type CoseKeyMap = ReadonlyMap<CborKey, CborValue>;

/** The parts both sides share. */
export interface PinUvAuthPrimitives {
  readonly version: PinUvAuthProtocolVersion;
  /** Z (the ECDH x-coordinate) → shared secret: 32 bytes (one) or 64 bytes (two). */
  kdf(z: Uint8Array): Uint8Array;
  encrypt(key: Uint8Array, demPlaintext: Uint8Array): Uint8Array;
  /** undefined is the spec's "error". */
  decrypt(key: Uint8Array, ciphertext: Uint8Array): Uint8Array | undefined;
  authenticate(key: Uint8Array, message: Uint8Array): Uint8Array;
  verify(key: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}

/** The authenticator side (§6.5.4). */
export interface PinUvAuthProtocol extends PinUvAuthPrimitives {
  /** Run at power-on: a fresh key-agreement key and a fresh pinUvAuthToken. */
  initialize(): void;
  /** A fresh key-agreement key (after a wrong PIN, for example). */
  regenerate(): void;
  /** A fresh pinUvAuthToken. */
  resetPinUvAuthToken(): void;
  readonly pinUvAuthToken: Uint8Array;
  /** The key-agreement public key as a COSE_Key (kty EC2, alg ECDH-ES+HKDF-256, crv P-256). */
  getPublicKey(): Map<number, CborValue>;
  /** The shared secret with the platform's key, or undefined when that key is unusable. */
  decapsulate(peerCoseKey: CoseKeyMap): Uint8Array | undefined;
}

/** The platform side (§6.5.4). */
export interface PlatformPinUvAuthProtocol extends PinUvAuthPrimitives {
  /** A fresh platform key pair against the authenticator's key: its COSE_Key and the shared secret. */
  encapsulate(peerCoseKey: CoseKeyMap): { keyAgreement: Map<number, CborValue>; sharedSecret: Uint8Array };
}

const ZERO_IV = new Uint8Array(16);
const HKDF_SALT = new Uint8Array(32);
const HMAC_KEY_INFO = utf8.encode('CTAP2 HMAC key');
const AES_KEY_INFO = utf8.encode('CTAP2 AES key');

/** §6.5.6 PIN/UV Auth Protocol One. */
export function protocolOne(): PinUvAuthPrimitives {
  const authenticate = (key: Uint8Array, message: Uint8Array) => hmacSha256(key, message).slice(0, 16);
  return {
    version: 1,
    kdf: (z) => sha256(z),
    encrypt: (key, demPlaintext) => aes256CbcEncrypt(key, ZERO_IV, demPlaintext),
    decrypt: (key, ciphertext) => aes256CbcDecrypt(key, ZERO_IV, ciphertext),
    authenticate,
    verify: (key, message, signature) => signature.length === 16 && equal(authenticate(key, message), signature),
  };
}

/** §6.5.7 PIN/UV Auth Protocol Two; `random` supplies the 16-byte IVs. */
export function protocolTwo(random: RandomSource = randomBytes): PinUvAuthPrimitives {
  const hmacKey = (key: Uint8Array) => (key.length > 32 ? key.subarray(0, 32) : key);
  const aesKey = (key: Uint8Array) => key.subarray(32);
  const authenticate = (key: Uint8Array, message: Uint8Array) => hmacSha256(hmacKey(key), message);
  return {
    version: 2,
    kdf: (z) => concat(hkdfSha256(z, HKDF_SALT, HMAC_KEY_INFO, 32), hkdfSha256(z, HKDF_SALT, AES_KEY_INFO, 32)),
    encrypt(key, demPlaintext) {
      const iv = random(16);
      return concat(iv, aes256CbcEncrypt(aesKey(key), iv, demPlaintext));
    },
    decrypt(key, ciphertext) {
      if (ciphertext.length < 16) return undefined;
      return aes256CbcDecrypt(aesKey(key), ciphertext.subarray(0, 16), ciphertext.subarray(16));
    },
    authenticate,
    verify: (key, message, signature) => signature.length === 32 && equal(authenticate(key, message), signature),
  };
}

export function pinUvAuthPrimitives(
  version: PinUvAuthProtocolVersion,
  random: RandomSource = randomBytes,
): PinUvAuthPrimitives {
  return version === 1 ? protocolOne() : protocolTwo(random);
}

/** getPublicKey()'s COSE_Key for a P-256 point. */
export function keyAgreementCoseKey(x: Uint8Array, y: Uint8Array): Map<number, CborValue> {
  return new Map<number, CborValue>([
    [1, CoseKty.EC2],
    [3, CoseAlg['ECDH-ES+HKDF-256']],
    [-1, CoseCrv['P-256']],
    [-2, x],
    [-3, y],
  ]);
}

/**
 * Parses a peer's key-agreement COSE_Key "as specified for getPublicKey": kty EC2, crv P-256, 32-byte
 * x and y. (alg is not checked: platforms differ in what they put there.)
 */
export function parseKeyAgreementKey(m: CoseKeyMap): { x: Uint8Array; y: Uint8Array } | undefined {
  const x = m.get(-2);
  const y = m.get(-3);
  if (m.get(1) !== CoseKty.EC2 || m.get(-1) !== CoseCrv['P-256']) return undefined;
  if (!(x instanceof Uint8Array) || !(y instanceof Uint8Array) || x.length !== 32 || y.length !== 32) return undefined;
  return { x, y };
}

/** ecdh(peerCoseKey) of §6.5.6: kdf of the shared point's x-coordinate, or undefined on error. */
function ecdh(primitives: PinUvAuthPrimitives, own: P256KeyPair, peerCoseKey: CoseKeyMap): Uint8Array | undefined {
  const peer = parseKeyAgreementKey(peerCoseKey);
  if (!peer) return undefined;
  const z = p256Ecdh(own.privateKey, peer.x, peer.y);
  return z && primitives.kdf(z);
}

/** The authenticator side of protocol `version`, drawing keys, tokens and IVs from `random`. */
export function authenticatorProtocol(version: PinUvAuthProtocolVersion, random: RandomSource): PinUvAuthProtocol {
  const primitives = pinUvAuthPrimitives(version, random);
  let keyPair = generateP256KeyPair(random);
  let token = random(32);
  const regenerate = () => {
    keyPair = generateP256KeyPair(random);
  };
  const resetPinUvAuthToken = () => {
    token = random(32);
  };
  return {
    ...primitives,
    initialize() {
      regenerate();
      resetPinUvAuthToken();
    },
    regenerate,
    resetPinUvAuthToken,
    get pinUvAuthToken() {
      return token;
    },
    getPublicKey: () => keyAgreementCoseKey(keyPair.x, keyPair.y),
    decapsulate: (peerCoseKey) => ecdh(primitives, keyPair, peerCoseKey),
  };
}

/** The platform side of protocol `version`; `random` (default: the system RNG) makes keys and IVs. */
export function platformProtocol(
  version: PinUvAuthProtocolVersion,
  random: RandomSource = randomBytes,
): PlatformPinUvAuthProtocol {
  const primitives = pinUvAuthPrimitives(version, random);
  return {
    ...primitives,
    encapsulate(peerCoseKey) {
      const own = generateP256KeyPair(random);
      const sharedSecret = ecdh(primitives, own, peerCoseKey);
      if (!sharedSecret) throw new TypeError('the authenticator key-agreement key is not a P-256 COSE_Key');
      return { keyAgreement: keyAgreementCoseKey(own.x, own.y), sharedSecret };
    },
  };
}

/** §6.5.1 / §6.5.5.5: a PIN as the platform sends it: NFC, UTF-8, 4+ code points, ≤ 63 bytes. */
export function pinBytes(pin: string): Uint8Array {
  return utf8.encode(pin.normalize('NFC'));
}

/** paddedNewPin: the PIN's UTF-8 bytes zero-padded to 64 bytes. Throws when longer than 63 bytes. */
export function padPin(pin: string): Uint8Array {
  const bytes = pinBytes(pin);
  if (bytes.length > 63) throw new RangeError('a PIN is at most 63 bytes of UTF-8');
  const out = new Uint8Array(64);
  out.set(bytes);
  return out;
}

/** LEFT(SHA-256(pin), 16): what pinHashEnc carries and what the authenticator stores. */
export function pinHash(pin: string | Uint8Array): Uint8Array {
  return sha256(typeof pin === 'string' ? pinBytes(pin) : pin).slice(0, 16);
}
