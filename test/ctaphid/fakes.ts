/** Test doubles for the CTAPHID layer: a scheduler advanced by hand, a seeded rng, a device harness. */
import { Assembler } from '../../src/ctaphid/assembler.js';
import { CtapHidDevice, type CtapHidDeviceOptions } from '../../src/ctaphid/channels.js';
import { BROADCAST_CID, CtapHidCommand } from '../../src/ctaphid/constants.js';
import { fragment } from '../../src/ctaphid/fragmenter.js';
import type { MessageHandler, Scheduler } from '../../src/ctaphid/handler.js';
import { readU32be } from '../../src/encoding/bytes.js';

export class FakeScheduler implements Scheduler {
  time = 0;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.time;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + Math.max(0, ms), fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  get pendingTimers(): number {
    return this.timers.size;
  }
  /** Moves the clock forward, running due timers in order (including ones they schedule). */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let nextId: number | undefined;
      let nextAt = Infinity;
      for (const [id, t] of this.timers) {
        if (t.at <= end && t.at < nextAt) {
          nextAt = t.at;
          nextId = id;
        }
      }
      if (nextId === undefined) break;
      const timer = this.timers.get(nextId)!;
      this.timers.delete(nextId);
      this.time = timer.at;
      timer.fn();
    }
    this.time = end;
  }
}

/** Deterministic bytes (mulberry32); `script` values (u32) are served first, as CIDs. */
export function seededRng(seed: number, script: number[] = []): (n: number) => Uint8Array {
  let s = seed >>> 0;
  const queue = [...script];
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  return (n) => {
    if (n === 4 && queue.length > 0) {
      const v = queue.shift()!;
      return new Uint8Array([v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);
    }
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = next() & 0xff;
    return out;
  };
}

export const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface Response {
  cid: number;
  cmd: number;
  data: Uint8Array;
}

export const echoHandler: MessageHandler = {
  cbor: async (request) => request,
  msg: async (apdu) => apdu,
};

/** A CtapHidDevice on a fake clock, with helpers to send messages and read its answers. */
export function deviceHarness(overrides: Partial<CtapHidDeviceOptions> = {}) {
  const scheduler = new FakeScheduler();
  const reports: Uint8Array[] = [];
  const errors: unknown[] = [];
  const device = new CtapHidDevice({
    handler: echoHandler,
    send: (report) => reports.push(report),
    scheduler,
    rng: seededRng(7),
    deviceVersion: [1, 2, 3],
    onError: (error) => errors.push(error),
    ...overrides,
  });
  const assembler = new Assembler();

  /** Sends a whole message (fragmented) to the device. */
  const request = (cid: number, cmd: number, data: Uint8Array = new Uint8Array(0)) => {
    for (const report of fragment(cid, cmd, data)) device.receive(report);
  };
  /** Drains the device's output into complete messages. */
  const responses = (): Response[] => {
    const out: Response[] = [];
    for (const report of reports.splice(0)) {
      const r = assembler.push(report);
      if (r.kind === 'message') out.push({ cid: r.cid, cmd: r.cmd, data: r.data });
      else if (r.kind === 'error') throw new Error(`device sent a malformed stream: ${JSON.stringify(r)}`);
    }
    return out;
  };
  /** Allocates a channel with a broadcast INIT. */
  const init = (): number => {
    request(BROADCAST_CID, CtapHidCommand.CTAPHID_INIT, new Uint8Array(8).fill(0x42));
    const [r] = responses();
    if (r === undefined || r.cmd !== CtapHidCommand.CTAPHID_INIT) throw new Error('no INIT answer');
    return readU32be(r.data, 8);
  };
  return { device, scheduler, reports, errors, request, responses, init };
}
