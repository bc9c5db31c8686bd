/**
 * The wallet seed and its keys. The BIP39 mnemonic lives in the Vault under one fixed secret name
 * (encrypted at rest by the store); the BIP39 seed and derived keys are computed on demand and
 * cached in memory. Randomness arrives through a port.
 */
import { bip32Root, checkMnemonic, mnemonicFromEntropy, mnemonicToSeed, type Bip32Root } from '../crypto/bip.js';
import { secp256k1PublicKey } from '../crypto/secp256k1.js';
import { utf8 } from '../encoding/bytes.js';
import type { Vault } from '../store/vault.js';
import { formatAddress, secp256k1AddressBytes } from './address.js';
import type { FilecoinPath } from './bip32Path.js';

/** The Vault secret holding the UTF-8 mnemonic. Never reuse this name for anything else. */
export const WALLET_MNEMONIC_SECRET = 'wallet.bip39-mnemonic.v1';
/** Entropy of a generated mnemonic: 32 bytes → 24 words. */
export const GENERATED_ENTROPY_BYTES = 32;

export type RandomBytes = (n: number) => Uint8Array;

export class MnemonicError extends Error {
  override name = 'MnemonicError';
}

export interface FilecoinKey {
  privateKey: Uint8Array;
  /** 65-byte uncompressed public key (04 ‖ X ‖ Y). */
  publicKey: Uint8Array;
  /** 21 address bytes: 0x01 ‖ blake2b-160(publicKey). */
  addressBytes: Uint8Array;
  /** `f1…` / `t1…` */
  address: string;
}

export function hasWalletSeed(vault: Vault): boolean {
  return vault.get(WALLET_MNEMONIC_SECRET) !== undefined;
}

/** Validates and stores a mnemonic; throws MnemonicError with a clear reason when invalid. */
export function importMnemonic(vault: Vault, phrase: string): string {
  const checked = checkMnemonic(phrase);
  if (!checked.ok) throw new MnemonicError(`invalid mnemonic: ${checked.error}`);
  vault.set(WALLET_MNEMONIC_SECRET, utf8.encode(checked.mnemonic));
  return checked.mnemonic;
}

/** Generates a fresh 24-word mnemonic from the injected randomness and stores it. */
export function generateMnemonic(vault: Vault, randomBytes: RandomBytes): string {
  const mnemonic = mnemonicFromEntropy(randomBytes(GENERATED_ENTROPY_BYTES));
  vault.set(WALLET_MNEMONIC_SECRET, utf8.encode(mnemonic));
  return mnemonic;
}

/** The stored mnemonic, creating one on first use. */
export function loadOrCreateMnemonic(vault: Vault, randomBytes: RandomBytes): string {
  return utf8.decode(
    vault.secret(WALLET_MNEMONIC_SECRET, () => utf8.encode(mnemonicFromEntropy(randomBytes(GENERATED_ENTROPY_BYTES)))),
  );
}

const CACHE_LIMIT = 64;

/** Derives Filecoin secp256k1 keys from one mnemonic, caching the seed and recent paths. */
export class Keyring {
  private root: Bip32Root | undefined;
  private cache = new Map<string, FilecoinKey>();
  constructor(private readonly mnemonic: () => string) {}

  /**
   * The Keyring of the mnemonic stored in `vault`. With `randomBytes` a mnemonic is generated on
   * first use; without it a missing seed is a MnemonicError when the first key is asked for.
   */
  static fromVault(vault: Vault, randomBytes?: RandomBytes): Keyring {
    if (randomBytes) return new Keyring(() => loadOrCreateMnemonic(vault, randomBytes));
    return new Keyring(() => {
      const stored = vault.get(WALLET_MNEMONIC_SECRET);
      if (!stored)
        throw new MnemonicError('no wallet seed: run `softkey wallet init` or `softkey wallet import` first');
      return utf8.decode(stored);
    });
  }

  key(path: FilecoinPath): FilecoinKey {
    const id = path.elements.join('/');
    const hit = this.cache.get(id);
    if (hit) return hit;
    this.root ??= bip32Root(mnemonicToSeed(this.mnemonic()));
    const derived = this.root.derive(path.elements);
    const publicKey = secp256k1PublicKey(derived.privateKey, false);
    const addressBytes = secp256k1AddressBytes(publicKey);
    const key: FilecoinKey = {
      privateKey: derived.privateKey,
      publicKey,
      addressBytes,
      address: formatAddress(addressBytes, path.network)!,
    };
    if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(id, key);
    return key;
  }
}
