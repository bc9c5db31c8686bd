/** Seed storage in the Vault, BIP39 validation, BIP32 derivation (§3), and the crypto wrappers. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { mnemonicToSeedSync } from '@scure/bip39';
import { HDKey } from '@scure/bip32';
import { blake2b as nobleBlake2b } from '@noble/hashes/blake2.js';
import { blake2b256, createBlake2b256 } from '../../src/crypto/blake2b.js';
import { checkMnemonic, mnemonicToSeed } from '../../src/crypto/bip.js';
import { secp256k1RecoverPublicKey, secp256k1SignDigest, secp256k1VerifyDigest } from '../../src/crypto/secp256k1.js';
import { utf8 } from '../../src/encoding/bytes.js';
import { MemoryVault } from '../../src/store/memoryStore.js';
import { parsePathString } from '../../src/wallet/bip32Path.js';
import {
  generateMnemonic,
  importMnemonic,
  Keyring,
  MnemonicError,
  WALLET_MNEMONIC_SECRET,
} from '../../src/wallet/keyring.js';
import { cidDigest, personalMessageDigest } from '../../src/wallet/signing.js';
import { ADDRESS_VECTORS, hex, oracle, SIG_VECTORS, TX, unhex, ZEMU_MNEMONIC } from './helpers.js';

describe('BIP39 mnemonics', () => {
  it('accepts the Zemu mnemonic, normalising case and spaces', () => {
    assert.deepEqual(checkMnemonic(`  ${ZEMU_MNEMONIC.toUpperCase().replace(/ /g, '  \n')} `), {
      ok: true,
      mnemonic: ZEMU_MNEMONIC,
    });
  });

  it('rejects with a message naming the problem', () => {
    const words = ZEMU_MNEMONIC.split(' ');
    const r1 = checkMnemonic(words.slice(0, 11).join(' '));
    assert.ok(!r1.ok && /12, 15, 18, 21 or 24 words, got 11/.test(r1.error));
    const r2 = checkMnemonic([...words.slice(0, 11), 'zzzz'].join(' '));
    // The position only: an error never repeats a word of a secret phrase.
    assert.ok(!r2.ok && /word #12 is not in the BIP39 English word list/.test(r2.error) && !r2.error.includes('zzzz'));
    const r3 = checkMnemonic([...words.slice(0, 11), 'abandon'].join(' '));
    assert.ok(!r3.ok && /checksum/.test(r3.error));
    const r4 = checkMnemonic('   ');
    assert.ok(!r4.ok && /empty/.test(r4.error));
  });

  it('the seed is standard BIP39 (matches @scure/bip39 with an empty passphrase)', () => {
    assert.equal(hex(mnemonicToSeed(ZEMU_MNEMONIC)), hex(mnemonicToSeedSync(ZEMU_MNEMONIC)));
  });
});

describe('Keyring and Vault', () => {
  it('importMnemonic stores the normalised phrase under the fixed secret name', () => {
    const vault = new MemoryVault();
    importMnemonic(vault, ZEMU_MNEMONIC.toUpperCase());
    assert.equal(utf8.decode(vault.get(WALLET_MNEMONIC_SECRET)!), ZEMU_MNEMONIC);
  });

  it('importMnemonic refuses an invalid phrase and stores nothing', () => {
    const vault = new MemoryVault();
    assert.throws(() => importMnemonic(vault, 'equip will roof'), MnemonicError);
    assert.equal(vault.get(WALLET_MNEMONIC_SECRET), undefined);
  });

  it('derives every spec key vector', () => {
    const vault = new MemoryVault();
    importMnemonic(vault, ZEMU_MNEMONIC);
    const keyring = Keyring.fromVault(vault);
    for (const v of ADDRESS_VECTORS) {
      const key = keyring.key(parsePathString(v.path));
      assert.equal(hex(key.publicKey), v.pk);
      assert.equal(hex(key.addressBytes), v.addrB);
      assert.equal(key.address, v.addrS);
      // Oracle: @scure/bip32 directly.
      const k = HDKey.fromMasterSeed(mnemonicToSeedSync(ZEMU_MNEMONIC)).derive(v.path);
      assert.equal(hex(key.privateKey), hex(k.privateKey!));
    }
  });

  it('a generated mnemonic is 24 valid words from the injected randomness, created once', () => {
    const vault = new MemoryVault();
    const entropy = new Uint8Array(32).map((_, i) => i);
    const calls: number[] = [];
    const keyring = Keyring.fromVault(vault, (n) => {
      calls.push(n);
      return entropy.slice(0, n);
    });
    const a = keyring.key(parsePathString("m/44'/461'/0'/0/0"));
    const stored = utf8.decode(vault.get(WALLET_MNEMONIC_SECRET)!);
    assert.equal(stored.split(' ').length, 24);
    assert.ok(checkMnemonic(stored).ok);
    assert.deepEqual(calls, [32]);
    const again = Keyring.fromVault(vault, () => assert.fail('no new entropy')).key(
      parsePathString("m/44'/461'/0'/0/0"),
    );
    assert.equal(again.address, a.address);
    assert.equal(
      generateMnemonic(new MemoryVault(), () => entropy),
      stored,
    );
  });

  it('without a seed and without randomness, asking for a key is a MnemonicError', () => {
    assert.throws(() => Keyring.fromVault(new MemoryVault()).key(parsePathString("m/44'/461'/0'/0/0")), MnemonicError);
  });
});

describe('digests and signatures (§2)', () => {
  it('sign_basic: blake2b-256(tx) and the CID digest equal the spec', () => {
    const tx = unhex(TX.signBasic);
    assert.equal(hex(blake2b256(tx)), '99602a13730b4fe56f89f9f5846a16ef265c402ab50f8f42ddee7c16c8883435');
    assert.equal(hex(cidDigest(tx)), SIG_VECTORS.signBasic.digest);
    assert.equal(
      hex(personalMessageDigest(new TextEncoder().encode('Hello World!'))),
      SIG_VECTORS.personalHelloWorld.digest,
    );
  });

  it('incremental blake2b-256 equals one-shot for every split', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat({ max: 300 }), { maxLength: 5 }), (data, cuts) => {
        const h = createBlake2b256();
        let prev = 0;
        for (const c of [...cuts.map((c) => c % (data.length + 1))].sort((a, b) => a - b)) {
          h.update(data.subarray(prev, c));
          prev = c;
        }
        h.update(data.subarray(prev));
        assert.equal(hex(h.digest()), hex(nobleBlake2b(data, { dkLen: 32 })));
      }),
      { numRuns: 100 },
    );
  });

  it('signatures: RFC 6979 (equal to noble), low-S, recoverable, minimal DER of 70–72 bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 48, maxLength: 48 }),
        (digest, seed) => {
          const priv = secp256k1.utils.randomSecretKey(seed);
          const pub = secp256k1.getPublicKey(priv, false);
          const sig = secp256k1SignDigest(digest, priv);
          const rs = new Uint8Array([...sig.r, ...sig.s]);
          assert.equal(hex(rs), hex(secp256k1.sign(digest, priv, { prehash: false })));
          assert.ok(BigInt(`0x${hex(sig.s)}`) <= secp256k1.Point.CURVE().n / 2n);
          assert.ok(secp256k1VerifyDigest(rs, digest, pub));
          assert.ok(secp256k1VerifyDigest(sig.der, digest, pub));
          assert.equal(hex(secp256k1RecoverPublicKey(rs, sig.recovery, digest)), hex(pub));
          assert.ok(sig.der.length >= 8 && sig.der.length <= 72);
          assert.equal(sig.der[0], 0x30);
          assert.equal(sig.der[1], sig.der.length - 2);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('the independent digest oracle agrees with src/ on random data', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (data) => {
        assert.equal(hex(cidDigest(data)), hex(oracle.cidDigest(data)));
        assert.equal(hex(personalMessageDigest(data)), hex(oracle.personalDigest(data)));
      }),
      { numRuns: 100 },
    );
  });
});
