/**
 * In-memory CredentialStore and Vault, for unit tests and `openSoftKey({ dataDir: ':memory:' })`-style
 * throwaway devices. Same contract as the SQLite store.
 */
import { fromHex, toHex } from '../encoding/bytes.js';
import type { CredentialSlot } from './credentialSlot.js';
import type { CredentialStore, ResidentCredential, RpSummary } from './credentialStore.js';
import type { Vault } from './vault.js';

const copy = (c: ResidentCredential): ResidentCredential => ({ ...c });

export class MemoryStore implements CredentialStore {
  private resident = new Map<string, ResidentCredential>();
  private counters = new Map<string, number>();
  private state = new Map<string, string>();
  private largeBlob: Uint8Array | undefined;
  private slots = new Map<string, CredentialSlot>();

  putResident(cred: ResidentCredential): Uint8Array | undefined {
    let replaced: Uint8Array | undefined;
    for (const [key, c] of this.resident) {
      if (c.rpId === cred.rpId && toHex(c.userId) === toHex(cred.userId)) {
        this.resident.delete(key);
        this.counters.delete(key);
        this.slots.delete(key);
        replaced = c.credentialId;
      }
    }
    this.resident.set(toHex(cred.credentialId), copy(cred));
    return replaced;
  }
  getResident(id: Uint8Array): ResidentCredential | undefined {
    const c = this.resident.get(toHex(id));
    return c && copy(c);
  }
  listAllResident(): ResidentCredential[] {
    return [...this.resident.values()].reverse().map(copy);
  }
  listResident(rpId: string): ResidentCredential[] {
    return this.listAllResident().filter((c) => c.rpId === rpId);
  }
  listRps(): RpSummary[] {
    const rps = new Map<string, RpSummary>();
    for (const c of this.resident.values()) {
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
  deleteResident(id: Uint8Array): boolean {
    this.counters.delete(toHex(id));
    this.slots.delete(toHex(id));
    return this.resident.delete(toHex(id));
  }
  updateUser(id: Uint8Array, user: { id: Uint8Array; name?: string; displayName?: string }): boolean {
    const c = this.resident.get(toHex(id));
    if (!c) return false;
    c.userId = user.id;
    if (user.name === undefined) delete c.userName;
    else c.userName = user.name;
    if (user.displayName === undefined) delete c.userDisplayName;
    else c.userDisplayName = user.displayName;
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
