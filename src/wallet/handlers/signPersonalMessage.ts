/**
 * SIGN_PERSONAL_MESSAGE (FVM, EIP-191 style), INS 08 with CLA 06 (filecoin-app.md §1.6, §2).
 * Buffered like INS 02; the message is `uint32 BE length ‖ msg`. Length mismatch →
 * "Unexpected buffer end"; msg > 4096 bytes → "Value out of range"; a byte outside 0x20..0x7E needs
 * blind signing. Digest: blake2b-256("\x19Filecoin Signed Message:\n" ‖ len ‖ msg), no CID.
 */
import { readU32be, toHex } from '../../encoding/bytes.js';
import type { CommandApdu } from '../apdu.js';
import { bufferChunk } from '../chunking.js';
import { refuseAfterNotice, reviewAndSign } from '../confirm.js';
import { EMPTY_ANSWER, type WalletContext } from '../context.js';
import { REVIEW_TITLE, type ReviewItem } from '../review.js';
import { personalMessageDigest } from '../signing.js';
import { dataInvalid, PARSER_ERROR } from '../statusWords.js';

export const MAX_PERSONAL_MESSAGE_LENGTH = 4096;

export async function signPersonalMessage(apdu: CommandApdu, ctx: WalletContext): Promise<Uint8Array> {
  const last = bufferChunk(apdu, ctx);
  if (!last) return EMPTY_ANSWER;
  const buf = last.message;
  if (buf.length < 4) throw dataInvalid(PARSER_ERROR.UNEXPECTED_BUFFER_END);
  const length = readU32be(buf, 0);
  const msg = buf.subarray(4);
  if (msg.length !== length) throw dataInvalid(PARSER_ERROR.UNEXPECTED_BUFFER_END);
  if (length > MAX_PERSONAL_MESSAGE_LENGTH) throw dataInvalid(PARSER_ERROR.VALUE_OUT_OF_RANGE);
  const printable = msg.every((c) => c >= 0x20 && c <= 0x7e);
  if (!printable && !ctx.settings.blindSigning) {
    return refuseAfterNotice(
      ctx,
      PARSER_ERROR.BLINDSIGN_MODE_REQUIRED,
      'Enable blind signing to sign a message with non-printable bytes',
    );
  }
  let text = '';
  if (printable) for (const c of msg) text += String.fromCharCode(c);
  const items: ReviewItem[] = [
    { label: 'Sign', value: 'FVM Personal Message' },
    printable ? { label: 'Msg', value: text } : { label: 'Msg hex', value: toHex(msg) },
  ];
  const key = ctx.keyring.key(last.path);
  return reviewAndSign(
    ctx,
    { title: REVIEW_TITLE.PERSONAL_MESSAGE, items },
    personalMessageDigest(msg),
    key.privateKey,
  );
}
