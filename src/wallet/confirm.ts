/**
 * The two endings of a signing instruction after parsing: the review (approve → sign, anything else
 * → 6986) and the refusal screens that must be dismissed before the error is sent
 * ("Expert Mode Required", "Blindsign Mode Required").
 */
import type { WalletContext } from './context.js';
import type { ReviewRequest } from './review.js';
import { signatureAnswer } from './signing.js';
import { ApduError, dataInvalid, SW, type ParserErrorText } from './statusWords.js';

/** Shows the review; on approval answers R ‖ S ‖ V ‖ DER, else throws 6986. */
export async function reviewAndSign(
  ctx: WalletContext,
  request: ReviewRequest,
  digest: Uint8Array,
  privateKey: Uint8Array,
): Promise<Uint8Array> {
  const outcome = await ctx.review.review(request, ctx.signal);
  if (outcome !== 'approved') throw new ApduError(SW.COMMAND_NOT_ALLOWED);
  try {
    return signatureAnswer(digest, privateKey);
  } catch {
    throw new ApduError(SW.SIGN_VERIFY_ERROR);
  }
}

/** Shows a notice (if the port has one), then throws `text ‖ 6984`. */
export async function refuseAfterNotice(ctx: WalletContext, title: ParserErrorText, message: string): Promise<never> {
  if (ctx.review.notice) await ctx.review.notice({ title, message }, ctx.signal);
  throw dataInvalid(title);
}
