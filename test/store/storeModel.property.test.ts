/**
 * Model-based test of the persistent store (issue #18), in the manner of OpenSK's store tests:
 * fast-check draws random sequences of store operations — add a resident credential, overwrite the
 * same (rpId, user), delete, update user information, bump a counter, wrong/right PIN (retries),
 * write the large-blob array, authenticatorReset (wipe) — interleaved with interruptions:
 *   - reopen: close the data directory cleanly and open it again;
 *   - crash: copy the files as they are on disk while the store is still open (nothing flushed,
 *     no close), and carry on from the copy, as a process killed at that instant would.
 * After every step the real store (openDataDir on a temp dir: SQLite, sealing, master key) must
 * equal a plain in-memory model. The one allowed difference is the documented counter reservation:
 * after a crash a counter may have jumped forward by less than COUNTER_RESERVATION, never back.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { readPinState, updatePinState } from '../../src/authenticator/pinUvAuthToken.js';
import { toHex } from '../../src/encoding/bytes.js';
import type { ResidentCredential, RpSummary } from '../../src/store/credentialStore.js';
import { DATABASE_FILE, openDataDir, type DataDir } from '../../src/store/dataDir.js';
import { MASTER_KEY_FILE } from '../../src/store/masterKey.js';
import { COUNTER_RESERVATION } from '../../src/store/sqliteStore.js';
import { tempDir } from './helpers.js';

const MAX_PIN_RETRIES = readPinState({ getState: () => undefined } as never).pinRetries;
const RP_IDS = ['a.example', 'b.example', 'c.example'];
const USER_IDS = [Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(3, 3), Uint8Array.of(4, 4, 4)];
/** Every file a crash leaves behind (a lock file, if any, belongs to the dead process: not copied). */
const DATA_FILES = [MASTER_KEY_FILE, DATABASE_FILE, `${DATABASE_FILE}-wal`, `${DATABASE_FILE}-shm`];

/** The model: what a correct store holds. Insertion order of `creds` is the store's age order. */
interface Model {
  creds: Map<string, ResidentCredential>;
  counters: Map<string, number>;
  /** Every credential ID ever used (deleted ones too), for picking targets. */
  ids: Uint8Array[];
  pinRetries: number;
  largeBlob: Uint8Array | undefined;
  createdAt: number;
}

/** The system under test: an open data directory, replaced on reopen and crash. */
interface Real {
  dir: string;
  data: DataDir;
  root: string;
  generation: number;
}

const pick = <T>(list: readonly T[], i: number): T | undefined =>
  list.length === 0 ? undefined : list[i % list.length];

function copyOf(c: ResidentCredential): ResidentCredential {
  return { ...c, credentialId: c.credentialId.slice(), userId: c.userId.slice(), publicKey: c.publicKey.slice() };
}

function expectedRps(m: Model): RpSummary[] {
  const rps = new Map<string, RpSummary>();
  for (const c of m.creds.values()) {
    const rp = rps.get(c.rpId) ?? { rpId: c.rpId, credentialCount: 0 };
    rp.credentialCount++;
    if (c.rpName !== undefined) rp.rpName = c.rpName; // the newest name wins
    rps.set(c.rpId, rp);
  }
  return [...rps.values()];
}

/** Everything observable through the store equals the model. */
function compare(m: Model, r: Real): void {
  const s = r.data.store;
  const newestFirst = [...m.creds.values()].reverse();
  assert.deepEqual(s.listAllResident(), newestFirst);
  for (const rpId of RP_IDS)
    assert.deepEqual(
      s.listResident(rpId),
      newestFirst.filter((c) => c.rpId === rpId),
    );
  assert.deepEqual(s.listRps(), expectedRps(m));
  assert.equal(s.countResident(), m.creds.size);
  for (const id of m.ids) {
    assert.deepEqual(s.getResident(id), m.creds.get(toHex(id)));
    assert.equal(s.getCounter(id), m.counters.get(toHex(id)) ?? 0, `counter of ${toHex(id)}`);
  }
  assert.equal(readPinState(s).pinRetries, m.pinRetries);
  assert.deepEqual(s.getLargeBlobArray(), m.largeBlob);
}

let crashes = 0;

type Cmd = fc.Command<Model, Real>;

/** Every step is checked: apply the operation to both, then compare everything observable. */
function checked(c: Cmd): Cmd {
  return {
    check: (m) => c.check(m),
    run: (m, r) => {
      c.run(m, r);
      compare(m, r);
    },
    toString: () => c.toString(),
  };
}

class Put implements Cmd {
  constructor(
    readonly rp: number,
    readonly user: number,
    readonly id: Uint8Array,
    readonly names: { rpName?: string; userName?: string; userDisplayName?: string },
    readonly extra: { credBlob?: Uint8Array; largeBlobKey?: Uint8Array; hmacSecret?: boolean },
  ) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    const cred: ResidentCredential = {
      credentialId: this.id,
      rpId: RP_IDS[this.rp]!,
      userId: USER_IDS[this.user]!,
      alg: -7,
      publicKey: Uint8Array.of(0xa5, ...this.id.subarray(0, 8)),
      credProtect: 2,
      createdAt: m.createdAt++,
      ...this.names,
      ...this.extra,
    };
    let replaced: Uint8Array | undefined;
    for (const [key, c] of m.creds) {
      if (c.rpId === cred.rpId && toHex(c.userId) === toHex(cred.userId)) {
        m.creds.delete(key);
        m.counters.delete(key);
        replaced = c.credentialId;
      }
    }
    m.creds.set(toHex(cred.credentialId), copyOf(cred));
    m.ids.push(cred.credentialId);
    assert.deepEqual(r.data.store.putResident(cred), replaced);
  }
  toString(): string {
    return `put(${RP_IDS[this.rp]}, user ${this.user}, ${toHex(this.id).slice(0, 8)})`;
  }
}

class Delete implements Cmd {
  constructor(readonly target: number) {}
  check(m: Readonly<Model>): boolean {
    return m.ids.length > 0;
  }
  run(m: Model, r: Real): void {
    const id = pick(m.ids, this.target)!;
    const existed = m.creds.delete(toHex(id));
    m.counters.delete(toHex(id));
    assert.equal(r.data.store.deleteResident(id), existed);
  }
  toString(): string {
    return `delete(#${this.target})`;
  }
}

class UpdateUser implements Cmd {
  constructor(
    readonly target: number,
    readonly user: number,
    readonly name: string | undefined,
    readonly displayName: string | undefined,
  ) {}
  check(m: Readonly<Model>): boolean {
    return m.ids.length > 0;
  }
  run(m: Model, r: Real): void {
    const id = pick(m.ids, this.target)!;
    const c = m.creds.get(toHex(id));
    const user = {
      id: USER_IDS[this.user]!,
      ...(this.name !== undefined && { name: this.name }),
      ...(this.displayName !== undefined && { displayName: this.displayName }),
    };
    if (c) {
      c.userId = user.id.slice();
      if (this.name === undefined) delete c.userName;
      else c.userName = this.name;
      if (this.displayName === undefined) delete c.userDisplayName;
      else c.userDisplayName = this.displayName;
    }
    assert.equal(r.data.store.updateUser(id, user), c !== undefined);
  }
  toString(): string {
    return `updateUser(#${this.target}, user ${this.user})`;
  }
}

class Bump implements Cmd {
  constructor(
    readonly target: number,
    readonly by: number,
  ) {}
  check(m: Readonly<Model>): boolean {
    return m.ids.length > 0;
  }
  run(m: Model, r: Real): void {
    const id = pick(m.ids, this.target)!;
    const next = (m.counters.get(toHex(id)) ?? 0) + this.by;
    m.counters.set(toHex(id), next);
    assert.equal(r.data.store.incrementCounter(id, this.by), next);
  }
  toString(): string {
    return `bump(#${this.target}, +${this.by})`;
  }
}

/** A PIN attempt as clientPIN makes it: wrong → pinRetries - 1 (floor 0), right → back to the maximum. */
class PinAttempt implements Cmd {
  constructor(readonly right: boolean) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    m.pinRetries = this.right ? MAX_PIN_RETRIES : Math.max(0, m.pinRetries - 1);
    const after = updatePinState(
      r.data.store,
      (s) => void (s.pinRetries = this.right ? MAX_PIN_RETRIES : Math.max(0, s.pinRetries - 1)),
    );
    assert.equal(after.pinRetries, m.pinRetries);
  }
  toString(): string {
    return `pin(${this.right ? 'right' : 'wrong'})`;
  }
}

class WriteLargeBlob implements Cmd {
  constructor(readonly value: Uint8Array) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    m.largeBlob = this.value.slice();
    r.data.store.setLargeBlobArray(this.value);
  }
  toString(): string {
    return `largeBlob(${this.value.length} bytes)`;
  }
}

class Wipe implements Cmd {
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    m.creds.clear();
    m.counters.clear();
    m.pinRetries = MAX_PIN_RETRIES;
    m.largeBlob = undefined;
    r.data.store.wipe();
  }
  toString(): string {
    return 'wipe';
  }
}

class Reopen implements Cmd {
  check(): boolean {
    return true;
  }
  run(_m: Model, r: Real): void {
    r.data.close();
    r.data = openDataDir(r.dir);
  }
  toString(): string {
    return 'reopen';
  }
}

/** The process dies now: its files, as they are, are all the next start has. */
class Crash implements Cmd {
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    crashes++;
    const next = join(r.root, `crash-${++r.generation}-`);
    const copy = mkdtempSync(next);
    for (const f of DATA_FILES) if (existsSync(join(r.dir, f))) copyFileSync(join(r.dir, f), join(copy, f));
    const dead = r.data;
    r.dir = copy;
    r.data = openDataDir(copy);
    dead.close(); // writes to the old directory only: the copy never sees it
    // Counters come back at their reserved ceiling: never below what was handed out, less than a reservation above.
    for (const [key, value] of m.counters) {
      const id = m.ids.find((i) => toHex(i) === key)!;
      const now = r.data.store.getCounter(id);
      assert.ok(now >= value && now < value + COUNTER_RESERVATION, `counter ${value} came back as ${now}`);
      m.counters.set(key, now);
    }
  }
  toString(): string {
    return 'crash';
  }
}

const text = fc.option(fc.string({ maxLength: 12 }), { nil: undefined });
const commands = [
  fc
    .tuple(
      fc.nat(RP_IDS.length - 1),
      fc.nat(USER_IDS.length - 1),
      fc.uint8Array({ minLength: 16, maxLength: 48 }),
      fc.record({ rpName: text, userName: text, userDisplayName: text }, { requiredKeys: [] }),
      fc.record(
        {
          credBlob: fc.uint8Array({ maxLength: 32 }),
          largeBlobKey: fc.uint8Array({ minLength: 32, maxLength: 32 }),
          hmacSecret: fc.boolean(),
        },
        { requiredKeys: [] },
      ),
    )
    .map(([rp, user, id, names, extra]) => new Put(rp, user, id, strip(names), extra)),
  fc.nat().map((t) => new Delete(t)),
  fc.tuple(fc.nat(), fc.nat(USER_IDS.length - 1), text, text).map(([t, u, n, d]) => new UpdateUser(t, u, n, d)),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 40 })).map(([t, by]) => new Bump(t, by)),
  fc.boolean().map((right) => new PinAttempt(right)),
  fc.uint8Array({ maxLength: 300 }).map((v) => new WriteLargeBlob(v)),
  fc.constant(new Wipe()),
  fc.constant(new Reopen()),
  fc.constant(new Crash()),
];

/** Drops keys whose value is undefined (the store returns absent optionals as absent). */
/** T's members, optional and never undefined: absent when unset, as the store's callers pass them. */
type Defined<T> = { [K in keyof T]?: Exclude<T[K], undefined> };
/** `o` without its undefined members. */
function strip<T extends object>(o: T): Defined<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Defined<T>;
}

test('random store operations with reopens and crashes always match the model', (t) => {
  const root = tempDir(t);
  let runs = 0;
  fc.assert(
    fc.property(
      fc.commands(
        commands.map((a) => a.map(checked)),
        { maxCommands: 40 },
      ),
      (cmds) => {
        runs++;
        const dir = mkdtempSync(join(root, 'run-'));
        const real: Real = { dir, root, data: openDataDir(dir), generation: 0 };
        const model: Model = {
          creds: new Map(),
          counters: new Map(),
          ids: [],
          pinRetries: MAX_PIN_RETRIES,
          largeBlob: undefined,
          createdAt: 1_700_000_000_000,
        };
        try {
          fc.modelRun(() => ({ model, real }), cmds);
        } finally {
          real.data.close();
        }
      },
    ),
    { numRuns: 60 },
  );
  assert.equal(runs, 60);
  assert.ok(crashes > 0, 'the runs included crashes');
});
