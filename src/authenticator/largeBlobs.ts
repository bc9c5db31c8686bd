/**
 * CTAP 2.1 §6.10 authenticatorLargeBlobs (0x0C): reading (§6.10.2 get) and writing (set, in
 * fragments at increasing offsets) the serialized large-blob array: CBOR array ‖ LEFT(SHA-256(array), 16).
 * A write is kept in volatile state until its last fragment, then checked and committed to the store
 * before the response leaves.
 * https://fidoalliance.org/specs/fido-v2.1-ps-20210615/fido-client-to-authenticator-protocol-v2.1-ps-20210615.html#authenticatorLargeBlobs
 */
import { sha256 } from '../crypto/hash.js';
import type { RequestContext } from '../ctap2/api.js';
import { PinUvAuthTokenPermission } from '../ctap2/clientPin.js';
import type { LargeBlobsRequest, LargeBlobsResponse } from '../ctap2/largeBlobs.js';
import { CtapError, Status } from '../ctap2/status.js';
import { concat, equal } from '../encoding/bytes.js';
import { configSettings } from './authenticatorConfig.js';
import type { Core } from './core.js';
import { authorizeWithPinUvAuthToken } from './managementAuthorization.js';
import { isProtectedByUv } from './pinUvAuth.js';

/** getInfo maxSerializedLargeBlobArray (the spec's minimum is 1024; softkey offers 8 KiB). */
export const MAX_SERIALIZED_LARGE_BLOB_ARRAY = 8192;
const TRUNCATED_HASH_LENGTH = 16;

/** A write in progress: expectedLength, expectedNextOffset and the fragments so far. */
export interface LargeBlobWrite {
  expectedLength: number;
  expectedNextOffset: number;
  fragments: Uint8Array[];
}

/** The array of a fresh authenticator: CBOR [] (0x80) and LEFT(SHA-256(0x80), 16). */
export const INITIAL_SERIALIZED_LARGE_BLOB_ARRAY: Uint8Array = (() => {
  const empty = new Uint8Array([0x80]);
  return concat(empty, sha256(empty).slice(0, TRUNCATED_HASH_LENGTH));
})();

export function serializedLargeBlobArray(core: Core): Uint8Array {
  return core.env.store.getLargeBlobArray() ?? INITIAL_SERIALIZED_LARGE_BLOB_ARRAY;
}

/** maxFragmentLength: maxMsgSize minus 64 bytes of CBOR overhead (§6.10.2). */
function maxFragmentLength(core: Core): number {
  return core.config.maxMsgSize - 64;
}

const invalid = (why: string) => new CtapError(Status.CTAP1_ERR_INVALID_PARAMETER, why);

export async function largeBlobs(
  core: Core,
  req: LargeBlobsRequest,
  _ctx: RequestContext,
): Promise<LargeBlobsResponse> {
  core.runtime.pending = undefined;
  // Exactly one of get and set.
  if ((req.get === undefined) === (req.set === undefined)) throw invalid('exactly one of get and set');
  if (req.get !== undefined) return get(core, req, req.get);
  set(core, req, req.set!);
  return {};
}

/** Reading: up to `get` bytes from offset; no authentication (the entries are encrypted by their RPs). */
function get(core: Core, req: LargeBlobsRequest, length: number): LargeBlobsResponse {
  if (req.length !== undefined) throw invalid('length with get');
  if (req.pinUvAuthParam !== undefined || req.pinUvAuthProtocol !== undefined) throw invalid('pinUvAuthParam with get');
  if (length > maxFragmentLength(core))
    throw new CtapError(Status.CTAP1_ERR_INVALID_LENGTH, `get ${length} > maxFragmentLength`);
  const array = serializedLargeBlobArray(core);
  if (req.offset > array.length) throw invalid('offset beyond the serialized large-blob array');
  return { config: array.slice(req.offset, req.offset + length) };
}

/** Writing one fragment. */
function set(core: Core, req: LargeBlobsRequest, fragment: Uint8Array): void {
  const { runtime } = core;
  if (fragment.length > maxFragmentLength(core))
    throw new CtapError(Status.CTAP1_ERR_INVALID_LENGTH, 'set longer than maxFragmentLength');
  if (req.offset === 0) {
    // The first fragment announces the total length and starts a new write.
    if (req.length === undefined) throw invalid('length is required at offset 0');
    if (req.length > MAX_SERIALIZED_LARGE_BLOB_ARRAY) throw new CtapError(Status.CTAP2_ERR_LARGE_BLOB_STORAGE_FULL);
    if (req.length < 1 + TRUNCATED_HASH_LENGTH) throw invalid('a serialized large-blob array has at least 17 bytes');
    runtime.largeBlobWrite = { expectedLength: req.length, expectedNextOffset: 0, fragments: [] };
  } else if (req.length !== undefined) {
    throw invalid('length only at offset 0');
  }
  const write = runtime.largeBlobWrite;
  if (!write || req.offset !== write.expectedNextOffset)
    throw new CtapError(Status.CTAP1_ERR_INVALID_SEQ, `expected offset ${write?.expectedNextOffset ?? 0}`);

  // A protected authenticator (or alwaysUv) needs a pinUvAuthToken with lbw, over
  // 32×0xff ‖ h'0c00' ‖ uint32LE(offset) ‖ SHA-256(set).
  if (isProtectedByUv(core) || configSettings(core).alwaysUv) {
    const offset = new Uint8Array(4);
    new DataView(offset.buffer).setUint32(0, req.offset, true);
    const message = concat(new Uint8Array(32).fill(0xff), new Uint8Array([0x0c, 0x00]), offset, sha256(fragment));
    authorizeWithPinUvAuthToken(core, req, message, PinUvAuthTokenPermission.lbw);
  }

  if (req.offset + fragment.length > write.expectedLength) throw invalid('more data than length announced');
  write.fragments.push(fragment.slice());
  write.expectedNextOffset += fragment.length;
  if (write.expectedNextOffset < write.expectedLength) return;

  // The last fragment: check the truncated hash, then commit.
  runtime.largeBlobWrite = undefined;
  const array = concat(...write.fragments);
  const body = array.subarray(0, array.length - TRUNCATED_HASH_LENGTH);
  const trailer = array.subarray(array.length - TRUNCATED_HASH_LENGTH);
  if (!equal(sha256(body).subarray(0, TRUNCATED_HASH_LENGTH), trailer)) {
    throw new CtapError(Status.CTAP2_ERR_INTEGRITY_FAILURE, 'the trailer is not LEFT(SHA-256(array), 16)');
  }
  core.env.store.setLargeBlobArray(array);
}
