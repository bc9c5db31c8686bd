/**
 * The APDU dispatcher of the Filecoin app (filecoin-app.md §1.1), in the device's order:
 *   1. rx == 0 → 6982
 *   2. `E0 01 00 00` (rx > 4) → device info; `B0 01` / `B0 A7` → SDK app info / quit
 *   3. CLA not 06/E0 → 6E00
 *   4. rx < 5 → 6700 (and rx > 260, which a device cannot receive)
 *   5. a review (or notice) on screen → 6986 for any APDU
 *   6. INS table (CLA not checked, except INS 04 and the E0 ETH instructions)
 * This is the only place where ApduError becomes bytes; anything else thrown is logged and
 * answered with 6F00. The app keeps answering whatever arrives.
 */
import { APDU_HEADER_LENGTH, APDU_MAX_DATA, parseCommandApdu, responseApdu, type CommandApdu } from './apdu.js';
import type { WalletContext, WalletSettings } from './context.js';
import { appInfo, deviceInfo } from './handlers/appInfo.js';
import { getAddressSecp256k1 } from './handlers/getAddressSecp256k1.js';
import { getVersion } from './handlers/getVersion.js';
import { signPersonalMessage } from './handlers/signPersonalMessage.js';
import { signRawBytes } from './handlers/signRawBytes.js';
import { signSecp256k1 } from './handlers/signSecp256k1.js';
import type { Keyring } from './keyring.js';
import type { ReviewNotice, ReviewOutcome, ReviewRequest, TransactionReview } from './review.js';
import { ApduError, SW } from './statusWords.js';
import { utf8 } from '../encoding/bytes.js';

export const CLA = { FILECOIN: 0x06, ETH: 0xe0, SDK: 0xb0 } as const;

export const INS = {
  GET_VERSION: 0x00,
  GET_ADDR_SECP256K1: 0x01,
  SIGN_SECP256K1: 0x02,
  /** ETH sign transaction (CLA E0 only). */
  ETH_SIGN_TRANSACTION: 0x04,
  SIGN_RAW_BYTES: 0x07,
  SIGN_PERSONAL_MESSAGE: 0x08,
} as const;

export const SDK_INS = { APP_INFO: 0x01, QUIT_APP: 0xa7 } as const;

type Handler = (apdu: CommandApdu, ctx: WalletContext) => Uint8Array | Promise<Uint8Array>;

/** The FIL instruction table (CLA 06; also reached with CLA E0 where ETH does not claim the INS). */
const HANDLERS: ReadonlyMap<number, Handler> = new Map<number, Handler>([
  [INS.GET_VERSION, () => getVersion()],
  [INS.GET_ADDR_SECP256K1, getAddressSecp256k1],
  [INS.SIGN_SECP256K1, signSecp256k1],
  [INS.SIGN_RAW_BYTES, signRawBytes],
  [INS.SIGN_PERSONAL_MESSAGE, signPersonalMessage],
]);

/** ETH instructions of CLA E0 (hw-app-eth compatible): not emulated, answered 6D00. */
const ETH_INS: ReadonlySet<number> = new Set([0x02, 0x04, 0x08]);

export interface WalletAppOptions {
  keyring: Keyring;
  review: TransactionReview;
  expertMode?: boolean;
  blindSigning?: boolean;
  /** Where unexpected errors are reported (the answer is 6F00). */
  log?: (message: string, error?: unknown) => void;
}

export class WalletApp {
  readonly settings: WalletSettings;
  private readonly ctx: WalletContext;
  private onScreen = false;
  private readonly log: (message: string, error?: unknown) => void;

  constructor(options: WalletAppOptions) {
    this.settings = { expertMode: options.expertMode ?? false, blindSigning: options.blindSigning ?? false };
    this.log = options.log ?? (() => {});
    // Every screen goes through this wrapper so the dispatcher knows a review is pending.
    const port = options.review;
    // If the host goes away (signal aborted) the screen is taken down as a rejection, whatever the
    // port does with the signal, so the device never stays stuck on an orphaned review.
    const screen: TransactionReview = {
      review: (req: ReviewRequest, signal?: AbortSignal): Promise<ReviewOutcome> =>
        this.showing(() => port.review(req, signal), signal, 'denied'),
    };
    if (port.notice) {
      const notice = port.notice.bind(port);
      screen.notice = (req: ReviewNotice, signal?: AbortSignal) =>
        this.showing(() => notice(req, signal), signal, undefined);
    }
    this.ctx = {
      keyring: options.keyring,
      review: screen,
      settings: this.settings,
      session: { kind: 'idle' },
      signal: undefined,
    };
  }

  /** True while a review or notice waits for the user. */
  get reviewPending(): boolean {
    return this.onScreen;
  }

  private async showing<T>(show: () => Promise<T>, signal: AbortSignal | undefined, onAbort: T): Promise<T> {
    if (signal?.aborted) return onAbort;
    this.onScreen = true;
    let detach = () => {};
    try {
      const aborted = new Promise<T>((resolve) => {
        if (!signal) return;
        const listener = () => resolve(onAbort);
        signal.addEventListener('abort', listener, { once: true });
        detach = () => signal.removeEventListener('abort', listener);
      });
      return await Promise.race([show(), aborted]);
    } finally {
      detach();
      this.onScreen = false;
    }
  }

  /** Handles one command APDU and returns `answer ‖ SW`. Never throws. */
  async exchange(bytes: Uint8Array, signal?: AbortSignal): Promise<Uint8Array> {
    try {
      return responseApdu(await this.dispatch(bytes, signal), SW.OK);
    } catch (e) {
      if (e instanceof ApduError) {
        return responseApdu(e.text ? utf8.encode(e.text) : new Uint8Array(0), e.sw);
      }
      this.log('wallet: unexpected error while handling an APDU', e);
      return responseApdu(new Uint8Array(0), SW.UNKNOWN);
    }
  }

  private async dispatch(bytes: Uint8Array, signal: AbortSignal | undefined): Promise<Uint8Array> {
    const rx = bytes.length;
    if (rx === 0) throw new ApduError(SW.EMPTY_BUFFER);
    const cla = bytes[0]!;
    if (rx > 4 && cla === CLA.ETH && bytes[1] === 0x01 && bytes[2] === 0x00 && bytes[3] === 0x00) return deviceInfo();
    if (cla === CLA.SDK && rx >= 2 && bytes[1] === SDK_INS.APP_INFO) return appInfo();
    if (cla === CLA.SDK && rx >= 2 && bytes[1] === SDK_INS.QUIT_APP) return new Uint8Array(0);
    if (cla !== CLA.FILECOIN && cla !== CLA.ETH) throw new ApduError(SW.CLA_NOT_SUPPORTED);
    if (rx < APDU_HEADER_LENGTH || rx > APDU_HEADER_LENGTH + APDU_MAX_DATA) throw new ApduError(SW.WRONG_LENGTH);
    if (this.onScreen) throw new ApduError(SW.COMMAND_NOT_ALLOWED);

    const apdu = parseCommandApdu(bytes);
    if (apdu.ins === INS.ETH_SIGN_TRANSACTION && cla !== CLA.ETH) throw new ApduError(SW.COMMAND_NOT_ALLOWED);
    if (cla === CLA.ETH && ETH_INS.has(apdu.ins)) throw new ApduError(SW.INS_NOT_SUPPORTED);
    const handler = HANDLERS.get(apdu.ins);
    if (!handler) throw new ApduError(SW.INS_NOT_SUPPORTED);
    this.ctx.signal = signal;
    try {
      return await handler(apdu, this.ctx);
    } finally {
      this.ctx.signal = undefined;
    }
  }
}
