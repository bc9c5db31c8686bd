/**
 * SIGN_SECP256K1, INS 02 (filecoin-app.md §1.6, §2, §4): chunked Filecoin CBOR message. On LAST the
 * message is parsed and every review item rendered (failure → text ‖ 6984); a non-ERC20 InvokeEVM
 * outside expert mode → "ExpertModeRequired" after its screen; then the review, then R S V DER.
 */
import type { CommandApdu } from '../apdu.js';
import { bufferChunk } from '../chunking.js';
import { refuseAfterNotice, reviewAndSign } from '../confirm.js';
import { EMPTY_ANSWER, type WalletContext } from '../context.js';
import { isErc20Transfer, METHOD_INVOKE_EVM, parseFilecoinMessage } from '../filecoinMessage.js';
import { REVIEW_TITLE } from '../review.js';
import { messageReviewItems } from '../reviewItems.js';
import { cidDigest } from '../signing.js';
import { PARSER_ERROR } from '../statusWords.js';

export async function signSecp256k1(apdu: CommandApdu, ctx: WalletContext): Promise<Uint8Array> {
  const last = bufferChunk(apdu, ctx);
  if (!last) return EMPTY_ANSWER;
  const message = parseFilecoinMessage(last.message);
  const items = messageReviewItems(message, last.path.network, ctx.settings.expertMode);
  if (message.method === METHOD_INVOKE_EVM && !isErc20Transfer(message) && !ctx.settings.expertMode) {
    return refuseAfterNotice(
      ctx,
      PARSER_ERROR.EXPERT_MODE_REQUIRED,
      'Enable expert mode to sign this InvokeEVM message',
    );
  }
  const key = ctx.keyring.key(last.path);
  return reviewAndSign(ctx, { title: REVIEW_TITLE.TRANSACTION, items }, cidDigest(last.message), key.privateKey);
}
