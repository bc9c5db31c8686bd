/**
 * Robustness of the whole FIDO device (issue #3): random and half-valid CTAPHID reports into
 * openDevice(':memory:') + createHidDevice — CTAPHID framing, CTAP2 dispatch, U2F dispatch and
 * the authenticator together — yield only well-formed CTAPHID answers with spec codes (CTAPHID
 * errors, CTAP2 statuses, U2F status words), nothing reaches onInternalError, and the device still
 * answers PING afterwards. Several channels at once: while one channel's transaction is being
 * assembled or processed, every other channel gets ERR_CHANNEL_BUSY, and no answer ever carries
 * another channel's data.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import type { PresenceResult, UserPresence } from '../../src/authenticator/env.js';
import { encodeCommandApdu } from '../../src/ctap1/apdu.js';
import { StatusWord } from '../../src/ctap1/statusWords.js';
import { Command } from '../../src/ctap2/commands.js';
import { encodeSimpleCommand } from '../../src/ctap2/hostCodec.js';
import { decodeGetInfoResponse } from '../../src/ctap2/getInfo.js';
import { decodeMakeCredentialResponse, encodeMakeCredentialRequest } from '../../src/ctap2/makeCredential.js';
import { encodeGetAssertionRequest } from '../../src/ctap2/getAssertion.js';
import { Status } from '../../src/ctap2/status.js';
import { Assembler } from '../../src/ctaphid/assembler.js';
import {
  BROADCAST_CID,
  CtapHidCommand as C,
  CtapHidErrorCode as E,
  KeepaliveStatusCode,
} from '../../src/ctaphid/constants.js';
import { fragment } from '../../src/ctaphid/fragmenter.js';
import { encodeContPacket, encodeInitPacket } from '../../src/ctaphid/packet.js';
import { concat, readU32be, toHex } from '../../src/encoding/bytes.js';
import { openDevice, type Device } from '../../src/main/device.js';

interface Message {
  cid: number;
  cmd: number;
  data: Uint8Array;
}

/** A presence port answering at once, or holding answers until the test releases them. */
class HeldPresence implements UserPresence {
  hold = false;
  private waiting: Array<(r: PresenceResult) => void> = [];
  request(_req: unknown, signal: AbortSignal): Promise<PresenceResult> {
    if (!this.hold) return Promise.resolve('approved');
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      signal.addEventListener('abort', () => resolve('timeout'), { once: true });
    });
  }
  release(): void {
    for (const resolve of this.waiting.splice(0)) resolve('approved');
  }
}

const HID_ERRORS = new Set<number>(Object.values(E));
const CTAP2_STATUSES = new Set<number>(Object.values(Status));
const U2F_STATUS_WORDS = new Set<number>(Object.values(StatusWord));
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const sha = (s: string) => new Uint8Array(createHash('sha256').update(s).digest());

async function harness() {
  const presence = new HeldPresence();
  const internal: unknown[] = [];
  const device: Device = await openDevice({ dataDir: ':memory:', presence, onInternalError: (e) => internal.push(e) });
  const out: Uint8Array[] = [];
  const hid = device.createHidDevice((report) => out.push(report));
  const assembler = new Assembler();

  /** Complete messages the device sent since the last call, each checked for spec codes. */
  const messages = (): Message[] => {
    const got: Message[] = [];
    for (const report of out.splice(0)) {
      assert.equal(report.length, 64, 'every report is 64 bytes');
      const r = assembler.push(report);
      assert.notEqual(r.kind, 'error', 'the device never sends a malformed stream');
      if (r.kind !== 'message') continue;
      const m = { cid: r.cid, cmd: r.cmd, data: r.data };
      if (m.cmd === C.CTAPHID_ERROR)
        assert.ok(m.data.length === 1 && HID_ERRORS.has(m.data[0]!), `CTAPHID error ${toHex(m.data)}`);
      if (m.cmd === C.CTAPHID_CBOR)
        assert.ok(CTAP2_STATUSES.has(m.data[0]!) && m.data[0] !== Status.CTAP1_ERR_OTHER, `CTAP2 status ${m.data[0]}`);
      if (m.cmd === C.CTAPHID_MSG) {
        const sw = (m.data[m.data.length - 2]! << 8) | m.data[m.data.length - 1]!;
        assert.ok(
          m.data.length >= 2 && U2F_STATUS_WORDS.has(sw) && sw !== StatusWord.SW_UNKNOWN,
          `U2F status word ${sw.toString(16)}`,
        );
      }
      assert.ok((Object.values(C) as number[]).includes(m.cmd), `command 0x${m.cmd.toString(16)}`);
      got.push(m);
    }
    return got;
  };
  const send = (cid: number, cmd: number, data: Uint8Array = new Uint8Array(0)) => {
    for (const report of fragment(cid, cmd, data)) hid.receive(report);
  };
  const init = (): number => {
    const nonce = new Uint8Array(8).fill(0x5a);
    send(BROADCAST_CID, C.CTAPHID_INIT, nonce);
    const answer = messages().find((m) => m.cid === BROADCAST_CID && m.cmd === C.CTAPHID_INIT);
    assert.ok(answer, 'INIT answered');
    assert.deepEqual(answer.data.subarray(0, 8), nonce);
    return readU32be(answer.data, 8);
  };
  /** Runs the device until `done` (handlers are async; keepalives run on real timers). */
  const until = async (done: (ms: Message[]) => boolean, collected: Message[] = []): Promise<Message[]> => {
    for (let i = 0; i < 2000; i++) {
      collected.push(...messages());
      if (done(collected)) return collected;
      await (i < 50 ? tick() : new Promise((resolve) => setTimeout(resolve, 5))); // keepalives run on real timers
    }
    throw new Error(`device did not answer: ${JSON.stringify(collected.map((m) => [m.cid, m.cmd, toHex(m.data)]))}`);
  };
  const call = async (cid: number, cmd: number, data: Uint8Array) => {
    send(cid, cmd, data);
    const ms = await until((all) => all.some((m) => m.cid === cid && m.cmd !== C.CTAPHID_KEEPALIVE));
    return ms.find((m) => m.cid === cid && m.cmd !== C.CTAPHID_KEEPALIVE)!;
  };
  return { device, hid, presence, internal, messages, send, init, until, call };
}

describe('random reports into the whole device', () => {
  const devices: Device[] = [];
  after(() => devices.forEach((d) => d.close()));

  it('only spec answers, no internal errors, and PING still works afterwards', async () => {
    const h = await harness();
    devices.push(h.device);
    const cids = [h.init(), h.init(), h.init()];
    const cid = fc.oneof(
      fc.constantFrom(...cids),
      fc.constantFrom(BROADCAST_CID, 0),
      fc.integer({ min: 0, max: 0xffffffff }),
    );
    const cmd = fc.oneof(
      fc.constantFrom(
        C.CTAPHID_PING,
        C.CTAPHID_MSG,
        C.CTAPHID_CBOR,
        C.CTAPHID_INIT,
        C.CTAPHID_WINK,
        C.CTAPHID_LOCK,
        C.CTAPHID_CANCEL,
        0x3f,
        0x40,
        0x7f,
      ),
      fc.integer({ min: 0, max: 0x7f }),
    );
    const cborPayload = fc.oneof(
      fc
        .tuple(fc.constantFrom(1, 2, 4, 6, 7, 8, 9, 0x0a, 0x0b, 0x0c, 0x0d, 0x41), fc.uint8Array({ maxLength: 90 }))
        .map(([c, b]) => Uint8Array.from([c, ...b])),
      fc.constant(encodeSimpleCommand(Command.authenticatorGetInfo)),
      fc.constant(encodeGetAssertionRequest({ rpId: 'fuzz.test', clientDataHash: sha('x') })),
      fc.constant(
        encodeMakeCredentialRequest({
          clientDataHash: sha('x'),
          rp: { id: 'fuzz.test' },
          user: { id: Uint8Array.of(1) },
          pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
        }),
      ),
    );
    const apdu = fc.oneof(
      fc.uint8Array({ maxLength: 140 }),
      fc
        .record({
          ins: fc.integer({ min: 0, max: 4 }),
          p1: fc.constantFrom(0, 3, 7, 8),
          data: fc.uint8Array({ maxLength: 140 }),
        })
        .map((a) => encodeCommandApdu(a)),
      fc.constant(encodeCommandApdu({ ins: 1, data: new Uint8Array(64) })),
    );
    const report = fc.oneof(
      { weight: 3, arbitrary: fc.uint8Array({ minLength: 64, maxLength: 64 }) },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 80 }) },
      {
        weight: 4,
        arbitrary: fc
          .tuple(cid, cmd, fc.integer({ min: 0, max: 300 }), fc.uint8Array({ maxLength: 57 }))
          .map(([c, k, bcnt, d]) => encodeInitPacket(c, k, bcnt, d)),
      },
      {
        weight: 2,
        arbitrary: fc
          .tuple(cid, fc.integer({ min: 0, max: 0x7f }), fc.uint8Array({ maxLength: 59 }))
          .map(([c, seq, d]) => encodeContPacket(c, seq, d)),
      },
    );
    const whole = fc.oneof(
      fc.tuple(fc.constantFrom(...cids), cborPayload).map(([c, p]) => fragment(c, C.CTAPHID_CBOR, p)),
      fc.tuple(fc.constantFrom(...cids), apdu).map(([c, p]) => fragment(c, C.CTAPHID_MSG, p)),
      fc
        .tuple(fc.constantFrom(...cids), fc.uint8Array({ maxLength: 200 }))
        .map(([c, p]) => fragment(c, C.CTAPHID_PING, p)),
    );
    const step = fc.oneof(
      report.map((r) => [r]),
      whole,
      whole.map((rs) => rs.slice(0, Math.max(1, rs.length - 1))),
    ); // also cut short

    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
        for (const reports of steps) {
          for (const r of reports) h.hid.receive(r);
          h.messages();
          await tick();
        }
        // Resynchronise every channel the steps used (INIT on a channel drops its message and
        // transaction), unlock. Under the default channel policy 'any' a random CID is served too, so
        // it may hold a transaction or the lock.
        await tick();
        const used = new Set(cids);
        for (const r of steps.flat()) {
          const c = r.length >= 4 ? readU32be(r, 0) : 0;
          if (c !== 0 && c !== BROADCAST_CID) used.add(c);
        }
        for (const c of used) {
          h.send(c, C.CTAPHID_INIT, new Uint8Array(8));
          h.send(c, C.CTAPHID_LOCK, Uint8Array.of(0));
        }
        h.messages();
        const fresh = h.init();
        const data = Uint8Array.from({ length: 100 }, (_, i) => i);
        const pong = await h.call(fresh, C.CTAPHID_PING, data);
        assert.equal(pong.cmd, C.CTAPHID_PING);
        assert.deepEqual(pong.data, data);
        assert.deepEqual(h.internal, []);
      }),
      { numRuns: 300 },
    );
    // And CTAP2 and U2F still work (after a re-plug and authenticatorReset, in case the random
    // requests happened to toggle alwaysUv, which turns U2F off).
    h.device.powerCycle();
    const c = h.init();
    assert.equal(
      (await h.call(c, C.CTAPHID_CBOR, encodeSimpleCommand(Command.authenticatorReset))).data[0],
      Status.CTAP2_OK,
    );
    const info = await h.call(c, C.CTAPHID_CBOR, encodeSimpleCommand(Command.authenticatorGetInfo));
    assert.ok(decodeGetInfoResponse(info.data).versions.includes('U2F_V2'));
    const version = await h.call(c, C.CTAPHID_MSG, encodeCommandApdu({ ins: 3 }));
    assert.equal(Buffer.from(version.data).toString('latin1'), 'U2F_V2\x90\x00');
  });
});

describe('several channels at once', () => {
  it("interleaved PINGs: each answer is its own channel's data or ERR_CHANNEL_BUSY, never mixed", async () => {
    const h = await harness();
    try {
      const a = h.init();
      const b = h.init();
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 400 }),
          fc.integer({ min: 1, max: 400 }),
          fc.array(fc.boolean(), { maxLength: 20 }),
          async (la, lb, order) => {
            const pa = Uint8Array.from({ length: la }, (_, i) => (i * 7 + 1) & 0xff).fill(0xaa, 0, 1);
            const pb = Uint8Array.from({ length: lb }, (_, i) => (i * 13 + 5) & 0xff).fill(0xbb, 0, 1);
            const ra = fragment(a, C.CTAPHID_PING, pa);
            const rb = fragment(b, C.CTAPHID_PING, pb);
            let first: number | undefined;
            for (const pickA of [
              ...order,
              ...new Array(ra.length + rb.length).fill(true),
              ...new Array(rb.length).fill(false),
            ]) {
              const q = pickA ? ra : rb;
              const r = q.shift();
              if (!r) continue;
              first ??= pickA ? a : b;
              h.hid.receive(r);
            }
            const ms = h.messages();
            for (const m of ms) {
              assert.ok(m.cid === a || m.cid === b);
              if (m.cmd === C.CTAPHID_PING)
                assert.deepEqual(m.data, m.cid === a ? pa : pb, "an echo carries only its own channel's data");
              else assert.deepEqual([m.cmd, ...m.data], [C.CTAPHID_ERROR, E.ERR_CHANNEL_BUSY]);
            }
            assert.ok(
              ms.some((m) => m.cid === first && m.cmd === C.CTAPHID_PING),
              'the channel that started first is served',
            );
            assert.ok(ms.length >= 1 && ms.length <= 2);
          },
        ),
        { numRuns: 300 },
      );
      assert.deepEqual(h.internal, []);
    } finally {
      h.device.close();
    }
  });

  it('while a makeCredential waits for the user, other channels (CBOR, MSG, PING) get ERR_CHANNEL_BUSY', async () => {
    const h = await harness();
    try {
      const a = h.init();
      const b = h.init();
      h.presence.hold = true;
      const mc = encodeMakeCredentialRequest({
        clientDataHash: sha('busy'),
        rp: { id: 'busy.test', name: 'Busy' },
        user: { id: Uint8Array.of(1, 2), name: 'u'.repeat(64), displayName: 'd'.repeat(64) },
        pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      });
      assert.ok(mc.length > 57, 'a multi-packet request');
      const reports = fragment(a, C.CTAPHID_CBOR, mc);
      h.hid.receive(reports[0]!);
      // Mid-assembly: B is busy-ed, and B's stray continuation packet is ignored, not mixed in.
      h.send(b, C.CTAPHID_PING, Uint8Array.of(1));
      h.hid.receive(encodeContPacket(b, 0, new Uint8Array(59).fill(0xee)));
      for (const r of reports.slice(1)) h.hid.receive(r);
      // Processing: wait until A shows UPNEEDED, then try B with every kind of request.
      const upneeded = await h.until((ms) =>
        ms.some(
          (m) => m.cid === a && m.cmd === C.CTAPHID_KEEPALIVE && m.data[0] === KeepaliveStatusCode.STATUS_UPNEEDED,
        ),
      );
      h.send(b, C.CTAPHID_CBOR, encodeSimpleCommand(Command.authenticatorGetInfo));
      h.send(b, C.CTAPHID_MSG, encodeCommandApdu({ ins: 3 }));
      h.send(b, C.CTAPHID_PING, Uint8Array.of(2));
      const duringB = h.messages().filter((m) => m.cid === b);
      const beforeB = upneeded.filter((m) => m.cid === b);
      const busy = { cid: b, cmd: C.CTAPHID_ERROR, data: Uint8Array.of(E.ERR_CHANNEL_BUSY) };
      assert.deepEqual(beforeB, [busy]);
      assert.deepEqual(duringB, [busy, busy, busy]);
      h.presence.release();
      const done = await h.until((ms) => ms.some((m) => m.cid === a && m.cmd === C.CTAPHID_CBOR));
      const answer = done.find((m) => m.cid === a && m.cmd === C.CTAPHID_CBOR)!;
      assert.equal(answer.data[0], Status.CTAP2_OK);
      decodeMakeCredentialResponse(answer.data);
      assert.ok(
        done.every((m) => m.cid === a),
        'nothing more for B',
      );
      // Now B is served.
      const info = await h.call(b, C.CTAPHID_CBOR, encodeSimpleCommand(Command.authenticatorGetInfo));
      assert.equal(info.data[0], Status.CTAP2_OK);
      const pong = await h.call(b, C.CTAPHID_PING, Uint8Array.of(3));
      assert.deepEqual(pong.data, Uint8Array.of(3));
      assert.deepEqual(h.internal, []);
    } finally {
      h.device.close();
    }
  });

  it('U2F polling on one channel does not block CTAP2 on another (each MSG ends at once)', async () => {
    const h = await harness();
    try {
      const a = h.init();
      const b = h.init();
      h.presence.hold = true;
      const register = encodeCommandApdu({ ins: 1, data: concat(sha('challenge'), sha('https://u2f.softkey.test')) });
      const first = await h.call(a, C.CTAPHID_MSG, register);
      assert.equal(toHex(first.data), '6985');
      const info = await h.call(b, C.CTAPHID_CBOR, encodeSimpleCommand(Command.authenticatorGetInfo));
      assert.equal(info.data[0], Status.CTAP2_OK);
      assert.equal(toHex((await h.call(a, C.CTAPHID_MSG, register)).data), '6985');
      h.presence.release();
      await tick();
      const ok = await h.call(a, C.CTAPHID_MSG, register);
      assert.equal(toHex(ok.data.subarray(ok.data.length - 2)), '9000');
      assert.equal(ok.data[0], 0x05);
    } finally {
      h.device.close();
    }
  });
});
