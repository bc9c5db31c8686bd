/**
 * Discoverable credentials at scale, through CTAP, on both stores: 500 credentials of one RP
 * (mixed credProtect levels), and a property test of the newest-first walk with deletions in the
 * middle. 500 is enough to cross the boundary the counts check: numberOfCredentials (with and without
 * UV), totalCredentials and existingResidentCredentialsCount all above 255, so each is a two-byte CBOR
 * unsigned integer; the store and cursor code has no other size boundary below the 4,096-entry caches,
 * which the former 3,000 did not reach either. Sizes beyond this are the bench's (`npm run bench`). CTAP 2.1 §6.2.2 (numberOfCredentials, step 11: most recent first), §6.3
 * getNextAssertion, §12.1 credProtect, §6.8.4 enumerateCredentials.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fillResident } from '../../bench/residentFill.js';
import { verifySignature } from '../../src/crypto/credentialKeys.js';
import { concat, toHex, utf8 } from '../../src/encoding/bytes.js';
import { decodeCoseKey } from '../../src/encoding/cose.js';
import { Command } from '../../src/ctap2/commands.js';
import { PinUvAuthTokenPermission as Perm } from '../../src/ctap2/clientPin.js';
import {
  encodeCredentialManagementCall,
  encodeSimpleCommand,
  type PinUvAuthSession,
} from '../../src/ctap2/hostCodec.js';
import { decodeGetAssertionResponse, encodeGetAssertionRequest } from '../../src/ctap2/getAssertion.js';
import { decodeMakeCredentialResponse } from '../../src/ctap2/makeCredential.js';
import { parseAuthenticatorData } from '../../src/ctap2/authenticatorData.js';
import {
  CredentialManagementSubCommand as CM,
  decodeCredentialManagementResponse,
} from '../../src/ctap2/credentialManagement.js';
import { Status } from '../../src/ctap2/status.js';
import type { CredentialStore, CredProtectLevel, ResidentCredential } from '../../src/store/credentialStore.js';
import { MemoryStore } from '../../src/store/memoryStore.js';
import { SqliteStore } from '../../src/store/sqliteStore.js';
import { testEnv } from '../helpers/env.js';
import { managementDevice, ScriptedUv, sha256, type ManagementDevice } from './managementDevice.js';

const RP = 'scale.example';
const clientDataHash = sha256('scale');
const stores: Array<[string, () => CredentialStore]> = [
  ['MemoryStore', () => new MemoryStore()],
  ['SqliteStore', () => SqliteStore.open(':memory:', new Uint8Array(32).fill(5))],
];

async function filledDevice(
  store: CredentialStore,
  levels: readonly CredProtectLevel[],
): Promise<{ d: ManagementDevice; creds: ResidentCredential[] }> {
  const d = await managementDevice({
    env: { ...testEnv(), store },
    uv: new ScriptedUv(),
    config: { maxResidentCredentials: 100_000 },
  });
  const creds: ResidentCredential[] = [];
  fillResident(d.auth.core, {
    rpId: RP,
    count: levels.length,
    credProtect: (i) => levels[i]!,
    made: (c) => creds.push(c),
  });
  return { d, creds };
}

const next = (d: ManagementDevice) => d.call(encodeSimpleCommand(Command.authenticatorGetNextAssertion));
const newestFirst = (creds: readonly ResidentCredential[], uv: boolean) =>
  [...creds].reverse().filter((c) => uv || c.credProtect === 1);

/** getAssertion, then getNextAssertion until NOT_ALLOWED; checks every signature and user ID. */
async function walk(
  d: ManagementDevice,
  creds: readonly ResidentCredential[],
  uv: boolean,
  between?: (answered: number) => void,
) {
  const byId = new Map(creds.map((c) => [toHex(c.credentialId), c]));
  const first = await d.call(
    encodeGetAssertionRequest({ rpId: RP, clientDataHash, ...(uv && { options: { uv: true } }) }),
  );
  if (first[0] !== Status.CTAP2_OK) return { numberOfCredentials: 0, ids: [] as string[], status: first[0] };
  const a0 = decodeGetAssertionResponse(first);
  const answers = [a0];
  for (;;) {
    between?.(answers.length);
    const r = await next(d);
    if (r[0] !== Status.CTAP2_OK) {
      assert.equal(r[0], Status.CTAP2_ERR_NOT_ALLOWED);
      break;
    }
    answers.push(decodeGetAssertionResponse(r));
  }
  for (const a of answers) {
    const c = byId.get(toHex(a.credential.id))!;
    assert.ok(c, 'an answer is one of the credentials');
    assert.ok(
      verifySignature(decodeCoseKey(c.publicKey), concat(a.authData, clientDataHash), a.signature),
      'signature',
    );
    assert.equal(toHex(a.user!.id), toHex(c.userId));
    assert.equal(a.user!.name !== undefined, uv, 'user details only with UV');
  }
  return {
    numberOfCredentials: a0.numberOfCredentials ?? 1,
    ids: answers.map((a) => toHex(a.credential.id)),
    status: Status.CTAP2_OK,
  };
}

async function enumerate(d: ManagementDevice, session: PinUvAuthSession, between?: (returned: number) => void) {
  const begin = decodeCredentialManagementResponse(
    await d.call(
      encodeCredentialManagementCall(
        { subCommand: CM.enumerateCredentialsBegin, subCommandParams: { rpIDHash: sha256(RP) } },
        session,
      ),
    ),
  );
  const ids = [toHex(begin.credentialID!.id)];
  for (;;) {
    between?.(ids.length);
    const r = await d.call(encodeCredentialManagementCall({ subCommand: CM.enumerateCredentialsGetNextCredential }));
    if (r[0] !== Status.CTAP2_OK) {
      assert.equal(r[0], Status.CTAP2_ERR_NOT_ALLOWED);
      break;
    }
    ids.push(toHex(decodeCredentialManagementResponse(r).credentialID!.id));
  }
  return { total: begin.totalCredentials, ids };
}

const LEVELS: readonly CredProtectLevel[] = [1, 1, 2, 3, 1, 2, 1];
const N = 500;

for (const [name, make] of stores) {
  describe(`${N} discoverable credentials of one RP (${name})`, () => {
    it('getAssertion counts and getNextAssertion walks every eligible one, newest first, credProtect respected', async () => {
      const levels = Array.from({ length: N }, (_, i) => LEVELS[i % LEVELS.length]!);
      const { d, creds } = await filledDevice(make(), levels);
      const plain = await walk(d, creds, false);
      const expectedPlain = newestFirst(creds, false).map((c) => toHex(c.credentialId));
      assert.ok(expectedPlain.length > 255, 'the count without UV needs a two-byte CBOR integer too');
      assert.equal(plain.numberOfCredentials, expectedPlain.length, 'without UV only credProtect 1 (§12.1)');
      assert.deepEqual(plain.ids, expectedPlain);
      const verified = await walk(d, creds, true);
      assert.equal(verified.numberOfCredentials, N, 'with UV every level');
      assert.deepEqual(
        verified.ids,
        newestFirst(creds, true).map((c) => toHex(c.credentialId)),
      );
    });

    it('enumerateCredentials lists all, newest first; getCredsMetadata counts them; a delete mid-cursor is skipped', async () => {
      const levels = Array.from({ length: N }, (_, i) => LEVELS[(i * 3) % LEVELS.length]!);
      const { d, creds } = await filledDevice(make(), levels);
      await d.setPin();
      const cm: PinUvAuthSession = await d.token(2, Perm.cm);
      const meta = decodeCredentialManagementResponse(
        await d.call(encodeCredentialManagementCall({ subCommand: CM.getCredsMetadata }, cm)),
      );
      assert.equal(meta.existingResidentCredentialsCount, N);
      const all = newestFirst(creds, true).map((c) => toHex(c.credentialId));
      const listed = await enumerate(d, cm);
      assert.equal(listed.total, N);
      assert.deepEqual(listed.ids, all);
      // Deleted through the store (as the control API does) while the enumeration runs: one already
      // returned and one not yet; the walk skips the second and ends one short of totalCredentials.
      const gone = [creds[N - 5]!, creds[N - 100]!];
      const again = await enumerate(d, cm, (returned) => {
        if (returned === 10) for (const c of gone) d.env.store.deleteResident(c.credentialId);
      });
      assert.equal(again.total, N);
      assert.deepEqual(
        again.ids,
        all.filter((id) => id !== toHex(gone[1]!.credentialId)),
      );
    });

    it('makeCredential rk for a user already there replaces that one credential (keyed user lookup)', async () => {
      const { d, creds } = await filledDevice(
        make(),
        Array.from({ length: N }, () => 1 as const),
      );
      const r = await d.makeCredential({
        rp: { id: RP },
        user: { id: utf8.encode('user-234'), name: 'again' },
        options: { rk: true, uv: true },
      });
      assert.equal(r[0], Status.CTAP2_OK);
      const id = parseAuthenticatorData(decodeMakeCredentialResponse(r).authData).attestedCredentialData!.credentialId;
      assert.equal(d.env.store.countResident(), N);
      assert.equal(d.env.store.getResident(creds[234]!.credentialId), undefined);
      const top = await walk(d, [...creds, d.env.store.getResident(id)!], false, () => undefined);
      assert.equal(top.ids[0], toHex(id), 'the new credential is the most recent');
      assert.equal(top.numberOfCredentials, N);
    });

    it('property: the walk answers the eligible credentials still present, newest first, under deletions', async () => {
      const level = fc.constantFrom<CredProtectLevel>(1, 2, 3);
      await fc.assert(
        fc.asyncProperty(
          fc.array(level, { minLength: 1, maxLength: 30 }),
          fc.boolean(),
          fc.array(fc.tuple(fc.nat(30), fc.nat(29)), { maxLength: 6 }),
          async (levels, uv, deletions) => {
            const { d, creds } = await filledDevice(make(), levels);
            const deleted = new Set<string>();
            const eligible = newestFirst(creds, uv).map((c) => toHex(c.credentialId));
            const got = await walk(d, creds, uv, (answered) => {
              for (const [at, which] of deletions) {
                const c = creds[which % creds.length]!;
                if (at === answered && !deleted.has(toHex(c.credentialId))) {
                  d.env.store.deleteResident(c.credentialId);
                  deleted.add(toHex(c.credentialId));
                }
              }
            });
            if (eligible.length === 0) {
              assert.equal(got.status, Status.CTAP2_ERR_NO_CREDENTIALS);
              return;
            }
            assert.equal(got.numberOfCredentials, eligible.length);
            // Model: in order, each eligible credential unless deleted before the walk reached it.
            const expected: string[] = [];
            const model = new Set<string>();
            const replay = deletions.slice();
            for (const id of eligible) {
              const answeredSoFar = expected.length;
              for (const [at, which] of replay)
                if (at <= answeredSoFar && at >= 1) model.add(toHex(creds[which % creds.length]!.credentialId));
              if (expected.length > 0 && model.has(id)) continue;
              expected.push(id);
            }
            assert.deepEqual(got.ids, expected);
          },
        ),
        { numRuns: 25 },
      );
    });
  });
}
