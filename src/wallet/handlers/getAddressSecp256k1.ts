/**
 * GET_ADDR_SECP256K1, INS 01 (filecoin-app.md §1.5). DATA = 20-byte path; P1 ≠ 0 shows the address
 * and waits for confirmation (reject → 6986). Answer (129 bytes):
 *   PK[65] ‖ 0x15 ‖ ADDR_B[21] ‖ 0x29 ‖ ADDR_S[41] (ASCII f1…/t1…, no NUL)
 */
import { concat, utf8 } from '../../encoding/bytes.js';
import type { CommandApdu } from '../apdu.js';
import { formatPath, readPath } from '../bip32Path.js';
import type { WalletContext } from '../context.js';
import { REVIEW_TITLE, type ReviewItem } from '../review.js';
import { ApduError, SW } from '../statusWords.js';

export async function getAddressSecp256k1(apdu: CommandApdu, ctx: WalletContext): Promise<Uint8Array> {
  const path = readPath(apdu.data);
  const key = ctx.keyring.key(path);
  const addressString = utf8.encode(key.address);
  const answer = concat(
    key.publicKey,
    Uint8Array.of(key.addressBytes.length),
    key.addressBytes,
    Uint8Array.of(addressString.length),
    addressString,
  );
  if (apdu.p1 !== 0) {
    const items: ReviewItem[] = [{ label: 'Address', value: key.address }];
    if (ctx.settings.expertMode) items.push({ label: 'Path', value: formatPath(path.elements) });
    const outcome = await ctx.review.review({ title: REVIEW_TITLE.ADDRESS, items }, ctx.signal);
    if (outcome !== 'approved') throw new ApduError(SW.COMMAND_NOT_ALLOWED);
  }
  return answer;
}
