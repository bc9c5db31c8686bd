/**
 * What every handler receives: the keyring, the review port, the mode switches and the chunked
 * signing session shared by INS 02/07/08 (one session at a time, as on the device).
 */
import type { IncrementalHash } from '../crypto/blake2b.js';
import type { FilecoinPath } from './bip32Path.js';
import type { Keyring } from './keyring.js';
import type { TransactionReview } from './review.js';

export interface WalletSettings {
  /** Expert mode: shows Gas Premium, Nonce and the address path; allows InvokeEVM. */
  expertMode: boolean;
  /** Blind signing: allows SIGN_RAW_BYTES and non-printable personal messages. */
  blindSigning: boolean;
}

export type SigningSession =
  | { kind: 'idle' }
  /** INS 02 / 08: the message is buffered. */
  | { kind: 'buffer'; ins: number; path: FilecoinPath; parts: Uint8Array[]; length: number }
  /** INS 07: the data streams into a hash; `total` is known once the first data chunk arrived. */
  | {
      kind: 'stream';
      ins: number;
      path: FilecoinPath;
      hash: IncrementalHash | undefined;
      total: number;
      current: number;
    };

export interface WalletContext {
  keyring: Keyring;
  review: TransactionReview;
  settings: WalletSettings;
  session: SigningSession;
  /** Aborted when the host goes away while a review is on screen. */
  signal: AbortSignal | undefined;
}

export const EMPTY_ANSWER = new Uint8Array(0);
