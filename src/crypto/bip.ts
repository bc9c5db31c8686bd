/**
 * BIP39 mnemonics (English word list) and BIP32 secp256k1 derivation, through @scure/bip39 and
 * @scure/bip32. Seed = PBKDF2-HMAC-SHA512(NFKD(mnemonic), "mnemonic" ‖ passphrase, 2048 rounds);
 * master key = HMAC-SHA512("Bitcoin seed", seed).
 */
import { randomBytes } from '@noble/hashes/utils.js';
import { HDKey } from '@scure/bip32';
import { entropyToMnemonic, mnemonicToEntropy, mnemonicToSeedSync } from '@scure/bip39';
import { wordlist as english } from '@scure/bip39/wordlists/english.js';

export const BIP39_WORD_COUNTS: readonly number[] = [12, 15, 18, 21, 24];

/** Mnemonic for 16/20/24/28/32 bytes of entropy. */
export function mnemonicFromEntropy(entropy: Uint8Array): string {
  if (![16, 20, 24, 28, 32].includes(entropy.length))
    throw new RangeError('BIP39 entropy must be 16, 20, 24, 28 or 32 bytes');
  return entropyToMnemonic(entropy, english);
}

/** Fresh entropy from the platform CSPRNG (for composition roots; the wallet core takes a port). */
export function randomEntropy(n: number): Uint8Array {
  return randomBytes(n);
}

export type MnemonicCheck = { ok: true; mnemonic: string } | { ok: false; error: string };

/**
 * Validates a mnemonic against the English BIP39 word list and its checksum. Whitespace and case
 * are normalised (the returned `mnemonic` is lower case, single-spaced, NFKD). Errors name the
 * problem precisely: word count, unknown words (by position), or checksum.
 */
export function checkMnemonic(phrase: string): MnemonicCheck {
  const words = phrase
    .normalize('NFKD')
    .trim()
    .toLowerCase()
    .split(/\s+/)
    .filter((w) => w.length > 0);
  if (words.length === 0) return { ok: false, error: 'the mnemonic is empty' };
  if (!BIP39_WORD_COUNTS.includes(words.length)) {
    return { ok: false, error: `a BIP39 mnemonic has 12, 15, 18, 21 or 24 words, got ${words.length}` };
  }
  // Positions only: a message (terminal, log) must never repeat a word of a secret phrase.
  const unknown: string[] = [];
  words.forEach((w, i) => {
    if (!english.includes(w)) unknown.push(`#${i + 1}`);
  });
  if (unknown.length > 0) {
    return {
      ok: false,
      error: `word ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not in the BIP39 English word list`,
    };
  }
  const mnemonic = words.join(' ');
  try {
    mnemonicToEntropy(mnemonic, english);
  } catch {
    return { ok: false, error: 'the BIP39 checksum does not match (a word is wrong or out of order)' };
  }
  return { ok: true, mnemonic };
}

/** The 64-byte BIP39 seed (empty passphrase by default). */
export function mnemonicToSeed(mnemonic: string, passphrase = ''): Uint8Array {
  return mnemonicToSeedSync(mnemonic, passphrase);
}

export interface DerivedKey {
  privateKey: Uint8Array;
  /** 33-byte compressed public key. */
  publicKey: Uint8Array;
}

/** A BIP32 master node; `derive` walks child indexes (≥ 0x80000000 = hardened). */
export interface Bip32Root {
  derive(path: readonly number[]): DerivedKey;
}

export function bip32Root(seed: Uint8Array): Bip32Root {
  const master = HDKey.fromMasterSeed(seed);
  return {
    derive(path) {
      let node = master;
      for (const index of path) node = node.deriveChild(index);
      if (!node.privateKey || !node.publicKey) throw new Error('BIP32 derivation produced no key');
      return { privateKey: node.privateKey, publicKey: node.publicKey };
    },
  };
}
