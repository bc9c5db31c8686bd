/**
 * Composition root of the Filecoin wallet app: keyring over the Vault, review port, APDU dispatcher,
 * and the Speculos APDU TCP server (so `@ledgerhq/hw-transport-node-speculos` and
 * `@zondax/ledger-filecoin` talk to it unchanged). The seed operations behind
 * `softkey wallet init | import | address` are src/wallet/seed.ts.
 */
import { randomEntropy } from '../crypto/bip.js';
import type { Vault } from '../store/vault.js';
import { startApduTcpServer, DEFAULT_HOST, SPECULOS_APDU_PORT } from '../transport/apduTcp.js';
import { WalletApp } from '../wallet/dispatcher.js';
import { Keyring, type RandomBytes } from '../wallet/keyring.js';
import type { TransactionReview } from '../wallet/review.js';

export type { Vault } from '../store/vault.js';
export type { ReviewItem, ReviewNotice, ReviewOutcome, ReviewRequest, TransactionReview } from '../wallet/review.js';
export { WalletApp } from '../wallet/dispatcher.js';
export { MnemonicError } from '../wallet/keyring.js';
export { importWalletSeed, initWalletSeed, walletAddress, WalletSeedExistsError } from '../wallet/seed.js';
export { parseApduListen } from '../transport/apduTcp.js';

export interface CreateWalletAppOptions {
  vault: Vault;
  review: TransactionReview;
  expertMode?: boolean;
  blindSigning?: boolean;
  /** Entropy for a mnemonic generated on first use (default: the platform CSPRNG). */
  randomBytes?: RandomBytes;
  log?: (message: string, error?: unknown) => void;
}

/** The wallet app over the Vault's mnemonic (a 24-word one is generated and stored on first use). */
export function createWalletApp(options: CreateWalletAppOptions): WalletApp {
  return new WalletApp({
    keyring: Keyring.fromVault(options.vault, options.randomBytes ?? randomEntropy),
    review: options.review,
    expertMode: options.expertMode ?? false,
    blindSigning: options.blindSigning ?? false,
    log: options.log ?? ((message, error) => console.error(message, error)),
  });
}

export interface WalletServer {
  address: { host: string; port: number };
  close(): Promise<void>;
}

/** Serves the app on the Speculos APDU port (default 127.0.0.1:9999; port 0 = ephemeral). */
export async function startWalletServer(options: {
  app: WalletApp;
  host?: string;
  port?: number;
  onError?: (e: unknown) => void;
}): Promise<WalletServer> {
  return startApduTcpServer({
    host: options.host ?? DEFAULT_HOST,
    port: options.port ?? SPECULOS_APDU_PORT,
    onApdu: (apdu, { signal }) => options.app.exchange(apdu, signal),
    onError: options.onError ?? ((e) => console.error('wallet server:', e)),
  });
}

/** A review port that approves everything (development and benchmarks only). */
export function autoApproveReview(): TransactionReview {
  return { review: async () => 'approved' };
}

export { DEFAULT_HOST as WALLET_DEFAULT_HOST, SPECULOS_APDU_PORT as WALLET_DEFAULT_PORT };
