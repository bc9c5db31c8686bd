/**
 * The credential-ID port (store/credentialIds.ts): sealed IDs, slots and split mode's vault handles
 * wrap and unwrap the same payload, each bound to its RP ID hash; a device reads every format
 * whatever it writes; reset makes every earlier ID stop unwrapping. And the one payload codec
 * (credentialPayload.ts) against the flag table.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { generateCredentialKey, signWithSecret, verifySignature } from '../../src/crypto/credentialKeys.js';
import { CoseAlg } from '../../src/encoding/cose.js';
import { credentialIdsFor, VAULT_HANDLE_LENGTH } from '../../src/store/credentialIds.js';
import {
  ALL_PAYLOAD_FLAGS,
  decodePayloadFlags,
  encodePayloadFlags,
  PAYLOAD_FLAGS,
  type CredentialPayload,
} from '../../src/store/credentialPayload.js';
import { isSlotHandle } from '../../src/store/credentialSlot.js';
import { MemoryStore, MemoryVault } from '../../src/store/memoryStore.js';

const deps = () => ({
  store: new MemoryStore(),
  vault: new MemoryVault(),
  rng: { bytes: (n: number) => new Uint8Array(randomBytes(n)) },
  clock: { now: () => 1_700_000_000_000 },
});
const payload = (extra: Partial<CredentialPayload> = {}): CredentialPayload => ({
  discoverable: false,
  u2f: false,
  alg: CoseAlg.ES256,
  credProtect: 2,
  hmacSecret: true,
  // A real key's compact secret: sealed IDs keep only its private part and rebuild the rest (v3).
  secret: generateCredentialKey(CoseAlg.ES256).secret,
  ...extra,
});
const rp = new Uint8Array(32).fill(1);
const otherRp = new Uint8Array(32).fill(2);

describe('credential IDs as a port', () => {
  const formats = {
    sealed: {
      format: {},
      // version ‖ nonce ‖ sealed(flags, alg, credProtect, blob length ‖ blob ‖ d) ‖ tag: ES256 keeps only d (v3).
      check: (id: Uint8Array) => assert.ok(id.length === 1 + 12 + 4 + 2 + 32 + 16 && id[0] === 0x03),
    },
    badge: { format: { credentialSlots: 2 }, check: (id: Uint8Array) => assert.ok(isSlotHandle(id)) },
    provider: { format: { storedCredentialIdLength: 20 }, check: (id: Uint8Array) => assert.equal(id.length, 20) },
    split: { format: { vaultHandles: true }, check: (id: Uint8Array) => assert.equal(id.length, VAULT_HANDLE_LENGTH) },
  };
  for (const [name, { format, check }] of Object.entries(formats)) {
    it(`${name}: wrap then unwrap gives the payload back, for its RP ID hash only; reset forgets it`, () => {
      const d = deps();
      const ids = credentialIdsFor(d, format);
      const p = payload({ credBlob: new Uint8Array([7, 7]) });
      const id = ids.wrap(p, rp);
      check(id);
      assert.deepEqual(ids.unwrap(id, rp), p);
      assert.equal(ids.unwrap(id, otherRp), undefined);
      assert.equal(ids.unwrap(new Uint8Array(id.length), rp), undefined);
      ids.reset();
      d.store.wipe(); // authenticatorReset wipes the store too (slots)
      assert.equal(ids.unwrap(id, rp), undefined);
    });
  }

  const createChecks: Record<string, (id: Uint8Array) => void> = {
    sealed: (id) => assert.deepEqual([id[0], id.length], [0x04, 33]), // nonce and tag only: the key is derived
    badge: (id) => assert.ok(isSlotHandle(id)),
    provider: (id) => assert.equal(id.length, 20),
    split: (id) => assert.equal(id.length, VAULT_HANDLE_LENGTH),
  };
  for (const [name, { format }] of Object.entries(formats)) {
    it(`${name}: create makes a key and an ID that unwraps to that key (ES256, EdDSA, RS256); reset forgets it`, () => {
      const d = deps();
      const ids = credentialIdsFor(d, format);
      for (const alg of [CoseAlg.ES256, CoseAlg.EdDSA, CoseAlg.RS256]) {
        const options = { discoverable: false, u2f: false, alg, credProtect: 1 as const, hmacSecret: true };
        const { id, key } = ids.create(options, rp);
        if (alg === CoseAlg.ES256) createChecks[name]!(id);
        if (name === 'sealed' && alg === CoseAlg.RS256) assert.equal(id[0], 0x03); // RS256 keys are sealed in the ID
        const opened = credentialIdsFor(d, format).unwrap(id, rp)!; // a fresh process on the same vault
        assert.deepEqual(opened, { ...options, secret: key.secret });
        const data = new Uint8Array(20).fill(alg & 0xff);
        assert.ok(verifySignature(key.publicKey, data, signWithSecret(alg, opened.secret, data)));
        assert.equal(ids.unwrap(id, otherRp), undefined);
        ids.reset();
        d.store.wipe();
        assert.equal(ids.unwrap(id, rp), undefined);
      }
    });
  }

  it('a device reads every format on its data directory, whatever format it writes (normal ⇄ split)', () => {
    const d = deps();
    const made = Object.values(formats).map(({ format }) => {
      const p = payload({ discoverable: true });
      return { p, id: credentialIdsFor(d, format).wrap(p, rp) };
    });
    for (const { format } of Object.values(formats)) {
      const reader = credentialIdsFor(d, format); // a fresh process on the same store and vault
      for (const { p, id } of made)
        assert.deepEqual(reader.unwrap(id, rp), p, `${JSON.stringify(format)} reads an ID of ${id.length} bytes`);
    }
  });

  it('hasRoom: slots run out, the other formats never do', () => {
    const d = deps();
    const badge = credentialIdsFor(d, { credentialSlots: 2 });
    badge.wrap(payload(), rp);
    assert.equal(badge.hasRoom(), true);
    badge.wrap(payload(), rp);
    assert.equal(badge.hasRoom(), false);
    assert.equal(credentialIdsFor(d, {}).hasRoom(), true);
    assert.equal(credentialIdsFor(d, { vaultHandles: true }).hasRoom(), true);
  });

  it('reset of split handles removes their vault entries', () => {
    const d = deps();
    const ids = credentialIdsFor(d, { vaultHandles: true });
    ids.wrap(payload(), rp);
    assert.equal(d.vault.names().filter((n) => n.startsWith('split-credential:')).length, 1);
    ids.reset();
    assert.equal(d.vault.names().filter((n) => n.startsWith('split-credential:')).length, 0);
  });
});

describe('the credential payload codec', () => {
  it('flag table: one bit each, round trip, and a version mask refuses bits it does not define', () => {
    const bits = PAYLOAD_FLAGS.map(([, b]) => b);
    assert.equal(new Set(bits).size, bits.length);
    assert.ok(bits.every((b) => (b & (b - 1)) === 0));
    for (let flags = 0; flags <= ALL_PAYLOAD_FLAGS; flags++) {
      const fields = decodePayloadFlags(flags)!;
      assert.equal(encodePayloadFlags({ ...payload({ hmacSecret: false }), ...fields }), flags);
    }
    assert.equal(decodePayloadFlags(0b10000), undefined);
    assert.equal(decodePayloadFlags(0b0100, 0b0011), undefined);
    assert.throws(() => encodePayloadFlags(payload({ hmacSecret: true }), 0b0011), RangeError);
  });
});
