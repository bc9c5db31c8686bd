/**
 * SIGN_RAW_BYTES, INS 07 (filecoin-app.md §1.6, §2). Same INIT/ADD/LAST rules as INS 02, but the
 * data streams into a blake2b-256 hash instead of a buffer. The first data chunk is
 * `LEB128(total) ‖ "Filecoin Sign Bytes:\n" ‖ …`: total must be 1..16384, more than 22 bytes must
 * follow the varint, and they must start with the prefix. On LAST: hashed length ≠ total →
 * "No more data"; blind signing off → "Blindsign Mode Required" once the screen is dismissed.
 * Review: BytesHash (hex of the signed digest). Digest = blake2b-256(CID(hash)).
 */
import { createBlake2b256 } from '../../crypto/blake2b.js';
import { toHex, utf8 } from '../../encoding/bytes.js';
import { decodeLeb128 } from '../address.js';
import type { CommandApdu } from '../apdu.js';
import { initSession, MAX_MESSAGE_LENGTH, PAYLOAD_TYPE, payloadType } from '../chunking.js';
import { refuseAfterNotice, reviewAndSign } from '../confirm.js';
import { EMPTY_ANSWER, type WalletContext } from '../context.js';
import { REVIEW_TITLE } from '../review.js';
import { cidDigestOfHash, RAW_BYTES_PREFIX } from '../signing.js';
import { ApduError, dataInvalid, PARSER_ERROR, SW } from '../statusWords.js';

const PREFIX = utf8.encode(RAW_BYTES_PREFIX);
/** The C check is `rx > sizeof(prefix)`, which counts the NUL: 22. */
const MIN_FIRST_CHUNK_AFTER_VARINT = PREFIX.length + 1;

export async function signRawBytes(apdu: CommandApdu, ctx: WalletContext): Promise<Uint8Array> {
  const p1 = payloadType(apdu);
  if (p1 === PAYLOAD_TYPE.INIT) {
    initSession(apdu, ctx, 'stream');
    return EMPTY_ANSWER;
  }
  const s = ctx.session;
  if (s.kind !== 'stream' || s.ins !== apdu.ins) throw new ApduError(SW.TX_NOT_INITIALIZED);
  try {
    const data = apdu.data;
    if (data.length === 0) throw dataInvalid(PARSER_ERROR.UNEXPECTED_BUFFER_END);
    if (!s.hash) {
      const varint = decodeLeb128(data, 0);
      if (!varint || varint.value === 0n || varint.length === data.length)
        throw dataInvalid(PARSER_ERROR.UNEXPECTED_BUFFER_END);
      const rest = data.subarray(varint.length);
      if (rest.length <= MIN_FIRST_CHUNK_AFTER_VARINT) throw dataInvalid(PARSER_ERROR.UNEXPECTED_BUFFER_END);
      if (!PREFIX.every((b, i) => rest[i] === b)) throw dataInvalid(PARSER_ERROR.INVALID_PREFIX);
      if (varint.value > BigInt(MAX_MESSAGE_LENGTH)) throw dataInvalid(PARSER_ERROR.VALUE_OUT_OF_RANGE);
      s.hash = createBlake2b256();
      s.total = Number(varint.value);
      s.hash.update(rest);
      s.current = rest.length;
    } else {
      s.hash.update(data);
      s.current += data.length;
    }
  } catch (e) {
    ctx.session = { kind: 'idle' };
    throw e;
  }
  if (p1 === PAYLOAD_TYPE.ADD) return EMPTY_ANSWER;

  ctx.session = { kind: 'idle' };
  if (!s.hash || s.current !== s.total) throw dataInvalid(PARSER_ERROR.NO_DATA);
  if (!ctx.settings.blindSigning) {
    return refuseAfterNotice(ctx, PARSER_ERROR.BLINDSIGN_MODE_REQUIRED, 'Enable blind signing to sign raw bytes');
  }
  const digest = cidDigestOfHash(s.hash.digest());
  const key = ctx.keyring.key(s.path);
  return reviewAndSign(
    ctx,
    { title: REVIEW_TITLE.RAW_BYTES, items: [{ label: 'BytesHash', value: toHex(digest) }] },
    digest,
    key.privateKey,
  );
}
