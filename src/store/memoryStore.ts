/**
 * In-memory CredentialStore and Vault, for unit tests and `openSoftKey({ dataDir: ':memory:' })`-style
 * throwaway devices. Same contract, and the same shape, as the SQLite store: credentials in creation
 * order per RP and credProtect level (so a walk is a binary search), counts kept, a (RP, user) index.
 */
import { fromHex, toHex } from '../encoding/bytes.js';
import type { CredentialSlot } from './credentialSlot.js';
import type {
  CredentialStore,
  ResidentCredential,
  ResidentSelection,
  ResidentStep,
  RpSummary,
} from './credentialStore.js';
import { rpIdHashOf } from './residentRecord.js';
import type { Vault } from './vault.js';

const copy = (c: ResidentCredential): ResidentCredential => ({ ...c });

interface Entry {
  seq: number;
  cred: ResidentCredential;
  rpKey: string;
  userKey: string;
}

/** One RP's credentials, oldest first, one list per credProtect level (index level - 1). */
interface RpEntries {
  levels: [Entry[], Entry[], Entry[]];
}

/** The index of the last entry with seq < before in an ascending list; -1 when none. */
function lastBefore(list: readonly Entry[], before: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.seq < before) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

export class MemoryStore implements CredentialStore {
  /** By credential ID hex, in creation order. */
  private resident = new Map<string, Entry>();
  private rps = new Map<string, RpEntries>();
  private byUser = new Map<string, string>();
  private seq = 0;
  private generation = 0;
  private counters = new Map<string, number>();
  private state = new Map<string, string>();
  private largeBlob: Uint8Array | undefined;
  private slots = new Map<string, CredentialSlot>();

  putResident(cred: ResidentCredential): Uint8Array | undefined {
    const rpKey = toHex(rpIdHashOf(cred.rpId));
    const userKey = `${rpKey}:${toHex(cred.userId)}`;
    const old = this.byUser.get(userKey);
    const replaced = old === undefined ? undefined : this.resident.get(old)!.cred.credentialId;
    if (old !== undefined) this.deleteResident(fromHex(old));
    const hex = toHex(cred.credentialId);
    if (this.resident.has(hex)) this.remove(hex); // same ID under another user: a plain overwrite
    const entry: Entry = { seq: ++this.seq, cred: copy(cred), rpKey, userKey };
    this.resident.set(hex, entry);
    this.byUser.set(userKey, hex);
    let rp = this.rps.get(rpKey);
    if (!rp) this.rps.set(rpKey, (rp = { levels: [[], [], []] }));
    rp.levels[cred.credProtect - 1]!.push(entry);
    this.generation++;
    return replaced;
  }
  putResidents(creds: Iterable<ResidentCredential>): void {
    for (const c of creds) this.putResident(c);
  }
  getResident(id: Uint8Array): ResidentCredential | undefined {
    const e = this.resident.get(toHex(id));
    return e && copy(e.cred);
  }
  findResident(rpIdHash: Uint8Array, userId: Uint8Array): Uint8Array | undefined {
    const hex = this.byUser.get(`${toHex(rpIdHash)}:${toHex(userId)}`);
    return hex === undefined ? undefined : fromHex(hex);
  }
  countResidentOf({ rpIdHash, maxCredProtect }: ResidentSelection): number {
    const rp = this.rps.get(toHex(rpIdHash));
    let n = 0;
    for (let level = 1; rp && level <= maxCredProtect; level++) n += rp.levels[level - 1]!.length;
    return n;
  }
  nextResident(
    { rpIdHash, maxCredProtect }: ResidentSelection,
    after = Number.MAX_SAFE_INTEGER,
  ): ResidentStep | undefined {
    const rp = this.rps.get(toHex(rpIdHash));
    let best: Entry | undefined;
    for (let level = 1; rp && level <= maxCredProtect; level++) {
      const list = rp.levels[level - 1]!;
      const e = list[lastBefore(list, after)];
      if (e && (!best || e.seq > best.seq)) best = e;
    }
    return best && { credential: copy(best.cred), position: best.seq };
  }
  listAllResident(): ResidentCredential[] {
    return [...this.resident.values()].reverse().map((e) => copy(e.cred));
  }
  listResident(rpId: string): ResidentCredential[] {
    return this.listAllResident().filter((c) => c.rpId === rpId);
  }
  listRps(): RpSummary[] {
    const rps = new Map<string, RpSummary>();
    for (const { cred: c } of this.resident.values()) {
      const rp = rps.get(c.rpId) ?? { rpId: c.rpId, credentialCount: 0 };
      if (c.rpName !== undefined) rp.rpName = c.rpName;
      rp.credentialCount++;
      rps.set(c.rpId, rp);
    }
    return [...rps.values()];
  }
  countResident(): number {
    return this.resident.size;
  }
  residentGeneration(): number {
    return this.generation;
  }
  deleteResident(id: Uint8Array): boolean {
    const hex = toHex(id);
    this.counters.delete(hex);
    this.slots.delete(hex);
    return this.remove(hex);
  }
  private remove(hex: string): boolean {
    const e = this.resident.get(hex);
    if (!e) return false;
    this.resident.delete(hex);
    if (this.byUser.get(e.userKey) === hex) this.byUser.delete(e.userKey);
    const rp = this.rps.get(e.rpKey)!;
    const list = rp.levels[e.cred.credProtect - 1]!;
    list.splice(lastBefore(list, e.seq + 1), 1);
    if (rp.levels.every((l) => l.length === 0)) this.rps.delete(e.rpKey);
    this.generation++;
    return true;
  }
  updateUser(id: Uint8Array, user: { id: Uint8Array; name?: string; displayName?: string }): boolean {
    const hex = toHex(id);
    const e = this.resident.get(hex);
    if (!e) return false;
    const c = e.cred;
    if (this.byUser.get(e.userKey) === hex) this.byUser.delete(e.userKey);
    c.userId = user.id;
    e.userKey = `${e.rpKey}:${toHex(user.id)}`;
    this.byUser.set(e.userKey, hex);
    if (user.name === undefined) delete c.userName;
    else c.userName = user.name;
    if (user.displayName === undefined) delete c.userDisplayName;
    else c.userDisplayName = user.displayName;
    this.generation++;
    return true;
  }
  getCounter(id: Uint8Array): number {
    return this.counters.get(toHex(id)) ?? 0;
  }
  incrementCounter(id: Uint8Array, by = 1): number {
    const next = this.getCounter(id) + by;
    this.counters.set(toHex(id), next);
    return next;
  }
  setCounter(id: Uint8Array, value: number): void {
    this.counters.set(toHex(id), value);
  }
  getState<T>(key: string): T | undefined {
    const v = this.state.get(key);
    return v === undefined ? undefined : (JSON.parse(v) as T);
  }
  setState<T>(key: string, value: T | undefined): void {
    if (value === undefined) this.state.delete(key);
    else this.state.set(key, JSON.stringify(value));
  }
  getLargeBlobArray(): Uint8Array | undefined {
    return this.largeBlob?.slice();
  }
  setLargeBlobArray(value: Uint8Array): void {
    this.largeBlob = value.slice();
  }
  putSlot(slot: CredentialSlot): void {
    this.slots.set(toHex(slot.credentialId), { ...slot, payload: { ...slot.payload } });
  }
  getSlot(id: Uint8Array): CredentialSlot | undefined {
    const s = this.slots.get(toHex(id));
    return s && { ...s, payload: { ...s.payload } };
  }
  countSlots(): number {
    return this.slots.size;
  }
  listCounters(): Array<[Uint8Array, number]> {
    return [...this.counters].map(([hex, v]) => [fromHex(hex), v]);
  }
  listStateKeys(): string[] {
    return [...this.state.keys()];
  }
  listSlots(): CredentialSlot[] {
    return [...this.slots.keys()].map((hex) => this.getSlot(fromHex(hex))!);
  }
  wipe(): void {
    this.slots.clear();
    this.resident.clear();
    this.rps.clear();
    this.byUser.clear();
    this.generation++;
    this.counters.clear();
    this.state.clear();
    this.largeBlob = undefined;
  }
  close(): void {}
}

export class MemoryVault implements Vault {
  private secrets = new Map<string, Uint8Array>();
  secret(name: string, create: () => Uint8Array): Uint8Array {
    let s = this.secrets.get(name);
    if (!s) {
      s = create();
      this.secrets.set(name, s);
    }
    return s.slice();
  }
  get(name: string): Uint8Array | undefined {
    return this.secrets.get(name)?.slice();
  }
  set(name: string, value: Uint8Array): void {
    this.secrets.set(name, value.slice());
  }
  delete(name: string): void {
    this.secrets.delete(name);
  }
  names(): string[] {
    return [...this.secrets.keys()];
  }
}
