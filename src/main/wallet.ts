/**
 * Composition root of the Filecoin wallet app: keyring over the Vault, review port, APDU dispatcher,
 * and the Speculos APDU TCP server (so `@ledgerhq/hw-transport-node-speculos` and
 * `@zondax/ledger-filecoin` talk to it unchanged). Also the seed operations behind
 * `softkey wallet init | import | address`.
 */
import { randomEntropy } from '../crypto/bip.js';
import type { Vault } from '../store/vault.js';
import { startApduTcpServer, DEFAULT_HOST, SPECULOS_APDU_PORT } from '../transport/apduTcp.js';
import { parsePathString } from '../wallet/bip32Path.js';
import { WalletApp } from '../wallet/dispatcher.js';
import { generateMnemonic, hasWalletSeed, importMnemonic, Keyring, type RandomBytes } from '../wallet/keyring.js';
import type { TransactionReview } from '../wallet/review.js';
import { toHex } from '../encoding/bytes.js';

export type { Vault } from '../store/vault.js';
export type { ReviewItem, ReviewNotice, ReviewOutcome, ReviewRequest, TransactionReview } from '../wallet/review.js';
export { WalletApp } from '../wallet/dispatcher.js';
export { MnemonicError } from '../wallet/keyring.js';

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

/**
 * Parses the `--apdu` argument of `softkey start`: `HOST:PORT`, `:PORT`, `PORT`, `[v6]:PORT` or
 * `HOST` (port 9999). Throws RangeError on anything else.
 */
export function parseApduListen(spec: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*))(?::(\d{1,5}))?$/.exec(spec.trim());
  const bare = /^\d{1,5}$/.test(spec.trim());
  const host = bare ? '' : (m?.[1] ?? m?.[2] ?? '');
  const portText = bare ? spec.trim() : m?.[3];
  if (!m && !bare) throw new RangeError(`invalid --apdu address "${spec}" (expected HOST:PORT)`);
  const port = portText === undefined ? SPECULOS_APDU_PORT : Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`invalid port in "${spec}"`);
  return { host: host === '' ? DEFAULT_HOST : host, port };
}

/** A review port that approves everything (development and benchmarks only). */
export function autoApproveReview(): TransactionReview {
  return { review: async () => 'approved' };
}

export class WalletSeedExistsError extends Error {
  override name = 'WalletSeedExistsError';
}

/** Generates and stores a new mnemonic; refuses to replace an existing one unless `force`. */
export function initWalletSeed(vault: Vault, options: { force?: boolean; randomBytes?: RandomBytes } = {}): string {
  if (hasWalletSeed(vault) && !options.force)
    throw new WalletSeedExistsError('a wallet seed already exists (use --force to replace it)');
  return generateMnemonic(vault, options.randomBytes ?? randomEntropy);
}

/** Validates and stores a mnemonic; throws MnemonicError (invalid) or WalletSeedExistsError. */
export function importWalletSeed(vault: Vault, phrase: string, options: { force?: boolean } = {}): string {
  if (hasWalletSeed(vault) && !options.force)
    throw new WalletSeedExistsError('a wallet seed already exists (use --force to replace it)');
  return importMnemonic(vault, phrase);
}

/**
 * Address and public key of a path like `m/44'/461'/0'/0/0`: RangeError when the path is invalid,
 * MnemonicError when no seed is stored.
 */
export function walletAddress(vault: Vault, path: string): { path: string; address: string; publicKey: string } {
  const parsed = parsePathString(path);
  const key = Keyring.fromVault(vault).key(parsed);
  return { path, address: key.address, publicKey: toHex(key.publicKey) };
}

export { DEFAULT_HOST as WALLET_DEFAULT_HOST, SPECULOS_APDU_PORT as WALLET_DEFAULT_PORT };
