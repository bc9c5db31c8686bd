/**
 * CTAP 2.1 §11.2.9.1.1 CTAPHID_MSG and FIDO U2F Raw Message Formats v1.2 §3: a command APDU in,
 * `response data ‖ SW1 SW2` out. The only place a Ctap1Error becomes a status word; anything
 * unexpected is SW_UNKNOWN (6F00) and is reported, never a crash.
 */
import { decodeCommandApdu, encodeResponseApdu } from './apdu.js';
import { decodeU2fRequest, type U2fAuthenticateRequest, type U2fRegisterRequest } from './messages.js';
import { Ctap1Error, StatusWord } from './statusWords.js';

export interface Ctap1Context {
  readonly signal: AbortSignal;
  setStatus(status: 'processing' | 'upneeded'): void;
}

/** What src/authenticator implements; each method answers the response data or throws Ctap1Error. */
export interface Ctap1Authenticator {
  version(): Uint8Array;
  register(req: U2fRegisterRequest, ctx: Ctap1Context): Promise<Uint8Array>;
  authenticate(req: U2fAuthenticateRequest, ctx: Ctap1Context): Promise<Uint8Array>;
}

export interface Ctap1DispatchOptions {
  /** Called with unexpected (non-Ctap1Error) exceptions. */
  onInternalError?: (error: unknown) => void;
}

export async function dispatchCtap1(
  authenticator: Ctap1Authenticator,
  apdu: Uint8Array,
  ctx: Ctap1Context,
  options: Ctap1DispatchOptions = {},
): Promise<Uint8Array> {
  try {
    const req = decodeU2fRequest(decodeCommandApdu(apdu));
    let data: Uint8Array;
    if (req.kind === 'version') data = authenticator.version();
    else if (req.kind === 'register') data = await authenticator.register(req, ctx);
    else data = await authenticator.authenticate(req, ctx);
    return encodeResponseApdu(data, StatusWord.SW_NO_ERROR);
  } catch (e) {
    if (e instanceof Ctap1Error) return encodeResponseApdu(new Uint8Array(0), e.sw);
    options.onInternalError?.(e);
    return encodeResponseApdu(new Uint8Array(0), StatusWord.SW_UNKNOWN);
  }
}
