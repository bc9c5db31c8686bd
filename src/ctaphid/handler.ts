/**
 * What the CTAPHID layer hands upward. CTAPHID (CTAP 2.1 §11.2) frames messages; the payloads of
 * CTAPHID_CBOR and CTAPHID_MSG are given to a MessageHandler, which answers with the response
 * payload. While the handler runs, the channel sends CTAPHID_KEEPALIVE every ≤100 ms with the
 * status the handler last set; CTAPHID_CANCEL on the channel aborts `signal`.
 */
export type KeepaliveStatus = 'processing' | 'upneeded';

export interface TransactionContext {
  /** Aborted when the host sends CTAPHID_CANCEL (or INIT resyncs) on this channel. */
  readonly signal: AbortSignal;
  /** The channel id (for traces); opaque to the handler. */
  readonly cid: number;
  /** Sets the status carried by the next keepalives (UPNEEDED while waiting for the user). */
  setStatus(status: KeepaliveStatus): void;
}

export interface MessageHandler {
  /** CTAPHID_CBOR: a CTAP2 request (command byte ‖ CBOR). Answers status byte ‖ CBOR. */
  cbor(request: Uint8Array, ctx: TransactionContext): Promise<Uint8Array>;
  /** CTAPHID_MSG: a CTAP1/U2F APDU. Answers response data ‖ SW1 SW2. */
  msg(apdu: Uint8Array, ctx: TransactionContext): Promise<Uint8Array>;
  /** CTAPHID_WINK: identify the device (the panel flashes). */
  wink?(): void;
}

/** Timers for the CTAPHID layer (transaction timeout, lock expiry, keepalive), injected. */
export interface Scheduler {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realScheduler: Scheduler = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};
