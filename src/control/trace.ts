/**
 * The live traffic trace the panel shows: CTAPHID messages, CTAP2 commands and responses, and
 * Filecoin APDUs, already decoded into readable form by the composition root (which knows every
 * protocol table). A bounded ring buffer with listeners.
 */

export type TraceLayer = 'ctaphid' | 'ctap2' | 'ctap1' | 'apdu';

export interface TraceEntry {
  seq: number;
  /** Milliseconds since the epoch. */
  time: number;
  layer: TraceLayer;
  direction: 'in' | 'out';
  /** CTAPHID channel, as 8 hex digits. */
  channel?: string;
  /** Command name (authenticatorMakeCredential, CTAPHID_INIT, INS 0x02 …). */
  name: string;
  /** Status name of a response (CTAP2_OK, CTAP2_ERR_…, 0x9000 …). */
  status?: string;
  /** Decoded body: CBOR in diagnostic notation, or a short description. */
  detail?: string;
  /** The raw payload in hex. */
  hex: string;
}

export class TraceLog {
  /** Off by default (decoding costs time on every exchange); the panel and `softkey start` turn it on. */
  enabled = false;
  private readonly entries: TraceEntry[] = [];
  private seq = 0;
  private readonly listeners = new Set<(e: TraceEntry) => void>();

  constructor(private readonly capacity = 1000) {}

  add(entry: Omit<TraceEntry, 'seq'>): TraceEntry {
    const e = { seq: ++this.seq, ...entry };
    this.entries.push(e);
    if (this.entries.length > this.capacity) this.entries.shift();
    for (const l of this.listeners) l(e);
    return e;
  }

  list(since = 0): TraceEntry[] {
    return this.entries.filter((e) => e.seq > since);
  }

  clear(): void {
    this.entries.length = 0;
  }

  subscribe(listener: (e: TraceEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
