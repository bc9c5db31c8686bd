/**
 * CTAP 2.1 §6.10 authenticatorLargeBlobs (0x0C): request/response keys, request decoder and response
 * encoder.
 * https://fidoalliance.org/specs/fido-v2.1-ps-20210615/fido-client-to-authenticator-protocol-v2.1-ps-20210615.html#authenticatorLargeBlobs
 */
import { encode } from '../../encoding/cbor.js';
import { asFields } from '../decode.js';
import { decodeRequestMap } from '../wire.js';

/** §6.10 request keys. */
export const LargeBlobsKey = {
  get: 0x01,
  set: 0x02,
  offset: 0x03,
  length: 0x04,
  pinUvAuthParam: 0x05,
  pinUvAuthProtocol: 0x06,
} as const;

/** §6.10 response keys. */
export const LargeBlobsResponseKey = {
  config: 0x01,
} as const;

export interface LargeBlobsRequest {
  /** The number of bytes requested (a read). */
  get?: number;
  /** A fragment to write (a write). */
  set?: Uint8Array;
  offset: number;
  /** The total length of the serialized array being written (first fragment only). */
  length?: number;
  pinUvAuthParam?: Uint8Array;
  pinUvAuthProtocol?: number;
}

export interface LargeBlobsResponse {
  /** A fragment of the serialized large-blob array (reads only). */
  config?: Uint8Array;
}

export function decodeLargeBlobs(params: Uint8Array): LargeBlobsRequest {
  const K = LargeBlobsKey;
  const f = asFields(decodeRequestMap(params), 'largeBlobs');
  const req: LargeBlobsRequest = { offset: f.uint(K.offset) };
  const get = f.uint(K.get, true);
  if (get !== undefined) req.get = get;
  const set = f.bytes(K.set, true);
  if (set) req.set = set;
  const length = f.uint(K.length, true);
  if (length !== undefined) req.length = length;
  const pinUvAuthParam = f.bytes(K.pinUvAuthParam, true);
  if (pinUvAuthParam) req.pinUvAuthParam = pinUvAuthParam;
  const protocol = f.uint(K.pinUvAuthProtocol, true);
  if (protocol !== undefined) req.pinUvAuthProtocol = protocol;
  return req;
}

/** A read answers { config }; a write answers the status byte only. */
export function encodeLargeBlobsResponse(r: LargeBlobsResponse): Uint8Array | undefined {
  return r.config === undefined ? undefined : encode(new Map([[LargeBlobsResponseKey.config, r.config]]));
}
