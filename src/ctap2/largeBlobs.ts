/**
 * CTAP 2.1 §6.10 authenticatorLargeBlobs (0x0C), both directions: field lists, key tables and the four
 * codecs. The pinUvAuthParam message and the serialized array are the platform's, in hostCodec.ts.
 * https://fidoalliance.org/specs/fido-v2.1-ps-20210615/fido-client-to-authenticator-protocol-v2.1-ps-20210615.html#authenticatorLargeBlobs
 */
import { Command } from './commands.js';
import { bytes, commandCodecs, encodeOptionalMap, keyTable, struct, uint } from './wire.js';

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

/** §6.10 request members, in the order the authenticator reads them (offset first). */
export const largeBlobsRequest = struct<LargeBlobsRequest>({
  offset: { key: 0x03, codec: uint },
  get: { key: 0x01, codec: uint, optional: true },
  set: { key: 0x02, codec: bytes, optional: true },
  length: { key: 0x04, codec: uint, optional: true },
  pinUvAuthParam: { key: 0x05, codec: bytes, optional: true },
  pinUvAuthProtocol: { key: 0x06, codec: uint, optional: true },
});

/** §6.10 response members. */
export const largeBlobsResponse = struct<LargeBlobsResponse>({
  config: { key: 0x01, codec: bytes, optional: true },
});

/** §6.10 request keys. */
export const LargeBlobsKey = keyTable(largeBlobsRequest.members);
/** §6.10 response keys. */
export const LargeBlobsResponseKey = keyTable(largeBlobsResponse.members);

const codecs = commandCodecs(
  Command.authenticatorLargeBlobs,
  'largeBlobs',
  largeBlobsRequest,
  largeBlobsResponse,
  encodeOptionalMap,
);
/** Platform: command byte ‖ request map. */
export const encodeLargeBlobsRequest = codecs.encodeRequest;
/** Authenticator: the parameters after the command byte → the request, or the §6.10 status. */
export const decodeLargeBlobsRequest = codecs.decodeRequest;
/** Authenticator: a read answers { config }; a write answers the status byte only (undefined). */
export const encodeLargeBlobsResponse = codecs.encodeResponse;
/** Platform: status ‖ response map → the response (no members for a write). */
export const decodeLargeBlobsResponse = codecs.decodeResponse;
