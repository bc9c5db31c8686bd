/**
 * WebAuthn L3 §10.1.5 "Large blob storage extension (largeBlob)": the platform reads and writes its
 * entries of the authenticator's large-blob array through CTAP 2.1 §6.10 authenticatorLargeBlobs,
 * each entry encrypted under the credential's largeBlobKey (§12.3).
 *
 *   serialized array = CBOR array of entries ‖ LEFT(SHA-256(CBOR array), 16)          (§6.10.1)
 *   entry            = { 1: ciphertext, 2: nonce (12 bytes), 3: origSize }
 *   ciphertext       = AES-256-GCM(largeBlobKey, nonce, DEFLATE-raw(blob), "blob" ‖ uint64LE(origSize))
 *   reads:  get = maxFragmentLength at offsets 0, n, 2n… until a short fragment            (§6.10.2)
 *   writes: set fragments; the first carries length; each pinUvAuthParam =
 *           authenticate(token, 32×0xff ‖ h'0c00' ‖ uint32LE(offset) ‖ SHA-256(fragment))
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { aesGcmOpen, aesGcmSeal, randomBytes } from '../crypto/aead.js';
import { sha256 } from '../crypto/hash.js';
import { concat, equal, utf8 } from '../encoding/bytes.js';
import { decode, encode, type CborValue, type Encodable } from '../encoding/cbor.js';
import type { GetInfoResponse } from '../ctap2/getInfo.js';
import { Command } from '../ctap2/commands.js';
import { responseBody } from '../ctap2/wire.js';
import { pinUvAuthPrimitives } from '../ctap2/pinUvAuthProtocol.js';
import { LargeBlobsKey as K, LargeBlobsResponseKey } from '../ctap2/largeBlobs.js';
import { CtapError, Status } from '../ctap2/status.js';
import type { CtapSend } from './clientPin.js';
import type { PinUvAuthToken } from './userVerifier.js';

const HASH_LENGTH = 16;
const NONCE_LENGTH = 12;
/** CTAP 2.1 §6.4: "If maxMsgSize is absent, 1024". */
const DEFAULT_MAX_MSG_SIZE = 1024;

function command(params: Map<number, Encodable>): Uint8Array {
  return concat(new Uint8Array([Command.authenticatorLargeBlobs]), encode(params));
}

const maxFragmentLength = (info: GetInfoResponse) => (info.maxMsgSize ?? DEFAULT_MAX_MSG_SIZE) - 64;

function u32le(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

function u64le(n: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
}

/** The whole serialized array, read in fragments; its entries, or [] when the checksum is wrong (§6.10.3). */
export async function readLargeBlobArray(send: CtapSend, info: GetInfoResponse): Promise<CborValue[]> {
  const n = maxFragmentLength(info);
  const parts: Uint8Array[] = [];
  for (let offset = 0; ;) {
    const body = responseBody(
      await send(
        command(
          new Map<number, Encodable>([
            [K.get, n],
            [K.offset, offset],
          ]),
        ),
      ),
    );
    const fragment = body?.get(LargeBlobsResponseKey.config);
    if (!(fragment instanceof Uint8Array))
      throw new CtapError(Status.CTAP2_ERR_MISSING_PARAMETER, 'largeBlobs get answered no config');
    parts.push(fragment);
    offset += fragment.length;
    if (fragment.length < n) break;
  }
  const serialized = concat(...parts);
  if (serialized.length < 1 + HASH_LENGTH) return [];
  const array = serialized.subarray(0, serialized.length - HASH_LENGTH);
  if (!equal(sha256(array).subarray(0, HASH_LENGTH), serialized.subarray(serialized.length - HASH_LENGTH))) return [];
  try {
    const value = decode(array);
    return Array.isArray(value) ? value : [];
  } catch {
    return [];
  }
}

/** The blob of the entry `key` opens, if any (§10.1.5 "read": the first entry that decrypts). */
export function openLargeBlobEntry(entry: CborValue, key: Uint8Array): Uint8Array | undefined {
  if (!(entry instanceof Map)) return undefined;
  const ciphertext = entry.get(1);
  const nonce = entry.get(2);
  const origSize = entry.get(3);
  if (
    !(ciphertext instanceof Uint8Array) ||
    !(nonce instanceof Uint8Array) ||
    nonce.length !== NONCE_LENGTH ||
    typeof origSize !== 'number'
  )
    return undefined;
  const compressed = aesGcmOpen(key, nonce, ciphertext, concat(utf8.encode('blob'), u64le(origSize)));
  if (!compressed) return undefined;
  try {
    const blob = new Uint8Array(inflateRawSync(compressed));
    return blob.length === origSize ? blob : undefined;
  } catch {
    return undefined;
  }
}

export function sealLargeBlobEntry(blob: Uint8Array, key: Uint8Array): Map<number, Encodable> {
  const nonce = randomBytes(NONCE_LENGTH);
  const ciphertext = aesGcmSeal(
    key,
    nonce,
    new Uint8Array(deflateRawSync(blob)),
    concat(utf8.encode('blob'), u64le(blob.length)),
  );
  return new Map<number, Encodable>([
    [1, ciphertext],
    [2, nonce],
    [3, blob.length],
  ]);
}

export async function readLargeBlob(
  send: CtapSend,
  info: GetInfoResponse,
  key: Uint8Array,
): Promise<Uint8Array | undefined> {
  for (const entry of await readLargeBlobArray(send, info)) {
    const blob = openLargeBlobEntry(entry, key);
    if (blob) return blob;
  }
  return undefined;
}

/**
 * Replaces this credential's entry (every entry `key` opens) with one holding `blob`, and writes the
 * array back in fragments, authorized by a pinUvAuthToken with the lbw permission (none on an
 * authenticator that is not protected by user verification, §6.10.2).
 */
export async function writeLargeBlob(
  send: CtapSend,
  info: GetInfoResponse,
  key: Uint8Array,
  blob: Uint8Array,
  token: PinUvAuthToken | undefined,
): Promise<void> {
  const kept = (await readLargeBlobArray(send, info)).filter((e) => openLargeBlobEntry(e, key) === undefined);
  const array = encode([...(kept as Encodable[]), sealLargeBlobEntry(blob, key)]);
  const serialized = concat(array, sha256(array).subarray(0, HASH_LENGTH));
  if (info.maxSerializedLargeBlobArray !== undefined && serialized.length > info.maxSerializedLargeBlobArray) {
    throw new CtapError(Status.CTAP2_ERR_LARGE_BLOB_STORAGE_FULL, 'the large-blob array would not fit');
  }
  const protocol = token && pinUvAuthPrimitives(token.protocol === 1 ? 1 : 2);
  const n = maxFragmentLength(info);
  for (let offset = 0; offset < serialized.length; offset += n) {
    const fragment = serialized.subarray(offset, offset + n);
    const params = new Map<number, Encodable>([
      [K.set, fragment],
      [K.offset, offset],
    ]);
    if (offset === 0) params.set(K.length, serialized.length);
    if (token && protocol) {
      const message = concat(
        new Uint8Array(32).fill(0xff),
        new Uint8Array([0x0c, 0x00]),
        u32le(offset),
        sha256(fragment),
      );
      params.set(K.pinUvAuthParam, protocol.authenticate(token.token, message));
      params.set(K.pinUvAuthProtocol, token.protocol);
    }
    responseBody(await send(command(params)));
  }
}
