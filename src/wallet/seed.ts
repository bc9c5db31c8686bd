/**
 * The wallet seed operations behind `softkey wallet init | import | address`: a new or imported
 * BIP39 mnemonic in the Vault (never replacing one unless forced), and the address of a path.
 */
import { randomEntropy } from '../crypto/bip.js';
import { toHex } from '../encoding/bytes.js';
import type { Vault } from '../store/vault.js';
import { parsePathString } from './bip32Path.js';
import { generateMnemonic, hasWalletSeed, importMnemonic, Keyring, type RandomBytes } from './keyring.js';

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
