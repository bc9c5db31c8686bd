import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CtapHidCancelled, type CtapHidTraceEvent } from '../../src/ctaphid/channels.js';
import {
  BROADCAST_CID,
  CtapHidCommand as C,
  CtapHidError,
  CtapHidErrorCode as E,
  KeepaliveStatusCode,
} from '../../src/ctaphid/constants.js';
import { fragment } from '../../src/ctaphid/fragmenter.js';
import type { MessageHandler, TransactionContext } from '../../src/ctaphid/handler.js';
import { encodeContPacket, encodeInitPacket } from '../../src/ctaphid/packet.js';
import { readU32be, toHex } from '../../src/encoding/bytes.js';
import { deviceHarness, echoHandler, flush, seededRng, type Response } from './fakes.js';

const bytes = (...b: number[]) => new Uint8Array(b);
const error = (cid: number, code: number): Response => ({ cid, cmd: C.CTAPHID_ERROR, data: bytes(code) });

/** A handler whose CBOR requests wait until the test settles them. */
function controlledHandler() {
  const calls: {
    request: Uint8Array;
    ctx: TransactionContext;
    resolve: (r: Uint8Array) => void;
    reject: (e: unknown) => void;
  }[] = [];
  const handler: MessageHandler = {
    cbor: (request, ctx) =>
      new Promise((resolve, reject) => {
        calls.push({ request, ctx, resolve, reject });
      }),
    msg: async (apdu) => apdu,
  };
  return { handler, calls };
}

describe('CTAPHID_INIT', () => {
  it('allocates fresh, distinct CIDs on the broadcast channel and describes the device', () => {
    const h = deviceHarness();
    const nonce = bytes(1, 2, 3, 4, 5, 6, 7, 8);
    const cids = new Set<number>();
    for (let i = 0; i < 20; i++) {
      h.request(BROADCAST_CID, C.CTAPHID_INIT, nonce);
      const [r, ...rest] = h.responses();
      assert.equal(rest.length, 0);
      assert.equal(r!.cid, BROADCAST_CID);
      assert.equal(r!.cmd, C.CTAPHID_INIT);
      assert.equal(r!.data.length, 17);
      assert.deepEqual(r!.data.subarray(0, 8), nonce);
      // protocol version 2, device version 1.2.3, capabilities WINK|CBOR (no NMSG: MSG is supported)
      assert.equal(toHex(r!.data.subarray(12)), '02' + '010203' + '05');
      const cid = readU32be(r!.data, 8);
      assert.notEqual(cid, 0);
      assert.notEqual(cid, BROADCAST_CID);
      cids.add(cid);
    }
    assert.equal(cids.size, 20);
    assert.equal(h.device.channelCount, 20);
  });

  it('never hands out 0, 0xffffffff or a CID in use, whatever the rng says', () => {
    const h = deviceHarness({ rng: seededRng(1, [0x11111111, 0, BROADCAST_CID, 0x11111111, 0x22222222]) });
    assert.equal(h.init(), 0x11111111);
    assert.equal(h.init(), 0x22222222);
    const stuck = deviceHarness({ rng: () => new Uint8Array(4) }); // always 0
    const a = stuck.init();
    const b = stuck.init();
    assert.ok(a !== 0 && b !== 0 && a !== b);
  });

  it('answers INVALID_LEN for a nonce that is not 8 bytes', () => {
    const h = deviceHarness();
    h.request(BROADCAST_CID, C.CTAPHID_INIT, new Uint8Array(7));
    h.request(BROADCAST_CID, C.CTAPHID_INIT, new Uint8Array(9));
    h.device.receive(encodeInitPacket(BROADCAST_CID, C.CTAPHID_INIT, 100, new Uint8Array(57)));
    assert.deepEqual(h.responses(), [
      error(BROADCAST_CID, E.ERR_INVALID_LEN),
      error(BROADCAST_CID, E.ERR_INVALID_LEN),
      error(BROADCAST_CID, E.ERR_INVALID_LEN),
    ]);
    assert.equal(h.device.channelCount, 0);
  });

  it('on an allocated channel resyncs: aborts the transaction and answers with the same CID', async () => {
    const { handler, calls } = controlledHandler();
    const h = deviceHarness({ handler });
    const cid = h.init();
    h.request(cid, C.CTAPHID_CBOR, bytes(4));
    assert.equal(calls.length, 1);
    const nonce = new Uint8Array(8).fill(0xab);
    h.request(cid, C.CTAPHID_INIT, nonce);
    const [r] = h.responses();
    assert.equal(r!.cid, cid);
    assert.deepEqual(r!.data.subarray(0, 8), nonce);
    assert.equal(readU32be(r!.data, 8), cid);
    assert.equal(calls[0]!.ctx.signal.aborted, true);
    assert.ok(calls[0]!.ctx.signal.reason instanceof CtapHidCancelled);
    // The aborted transaction's late answer goes nowhere; the channel is free again.
    calls[0]!.resolve(bytes(0x00));
    await flush();
    assert.deepEqual(h.responses(), []);
    h.request(cid, C.CTAPHID_PING, bytes(9));
    assert.deepEqual(h.responses(), [{ cid, cmd: C.CTAPHID_PING, data: bytes(9) }]);
  });

  it('on the assembling channel drops the partial message', () => {
    const h = deviceHarness();
    const cid = h.init();
    const reports = fragment(cid, C.CTAPHID_PING, new Uint8Array(100));
    h.device.receive(reports[0]!);
    h.request(cid, C.CTAPHID_INIT, new Uint8Array(8));
    h.device.receive(reports[1]!); // stray continuation: ignored
    const rs = h.responses();
    assert.deepEqual(
      rs.map((r) => r.cmd),
      [C.CTAPHID_INIT],
    );
    assert.equal(h.device.busy, false);
  });

  it('broadcast INIT is answered while another channel is busy or holds the lock', () => {
    const { handler } = controlledHandler();
    const h = deviceHarness({ handler });
    const a = h.init();
    h.request(a, C.CTAPHID_LOCK, bytes(5));
    h.request(a, C.CTAPHID_CBOR, bytes(4));
    h.responses();
    const b = h.init();
    assert.notEqual(b, a);
    h.request(b, C.CTAPHID_INIT, new Uint8Array(8)); // resync while locked out
    assert.deepEqual(h.responses(), [error(b, E.ERR_CHANNEL_BUSY)]);
  });
});

describe('PING, WINK, unknown commands', () => {
  it('PING echoes messages of every size', () => {
    const h = deviceHarness();
    const cid = h.init();
    for (const n of [0, 1, 57, 58, 1000, 7609]) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 0xff);
      h.request(cid, C.CTAPHID_PING, data);
      assert.equal(h.reports.length, fragment(cid, C.CTAPHID_PING, data).length);
      assert.deepEqual(h.responses(), [{ cid, cmd: C.CTAPHID_PING, data }]);
    }
  });

  it('WINK calls handler.wink and answers empty; WINK with data is INVALID_LEN', () => {
    let winks = 0;
    const h = deviceHarness({ handler: { ...echoHandler, wink: () => void winks++ } });
    const cid = h.init();
    h.request(cid, C.CTAPHID_WINK);
    h.request(cid, C.CTAPHID_WINK, bytes(1));
    assert.deepEqual(h.responses(), [{ cid, cmd: C.CTAPHID_WINK, data: bytes() }, error(cid, E.ERR_INVALID_LEN)]);
    assert.equal(winks, 1);
  });

  it('unknown commands and host-sent KEEPALIVE/ERROR are INVALID_CMD', () => {
    const h = deviceHarness();
    const cid = h.init();
    for (const cmd of [0x00, 0x02, 0x55, 0x7f, C.CTAPHID_KEEPALIVE, C.CTAPHID_ERROR]) h.request(cid, cmd, bytes(1));
    assert.deepEqual(h.responses(), Array(6).fill(error(cid, E.ERR_INVALID_CMD)));
  });
});

describe('channel validity', () => {
  it('CID 0, unallocated CIDs and non-INIT on broadcast are INVALID_CHANNEL', () => {
    const h = deviceHarness();
    h.request(0, C.CTAPHID_PING, bytes(1));
    h.request(0x12345678, C.CTAPHID_PING, bytes(1));
    h.request(BROADCAST_CID, C.CTAPHID_PING, bytes(1));
    h.request(BROADCAST_CID, C.CTAPHID_CBOR, bytes(4));
    assert.deepEqual(h.responses(), [
      error(0, E.ERR_INVALID_CHANNEL),
      error(0x12345678, E.ERR_INVALID_CHANNEL),
      error(BROADCAST_CID, E.ERR_INVALID_CHANNEL),
      error(BROADCAST_CID, E.ERR_INVALID_CHANNEL),
    ]);
  });

  it('ignores continuation packets while idle and reports of the wrong size', () => {
    const h = deviceHarness();
    const cid = h.init();
    h.device.receive(encodeContPacket(cid, 0, bytes(1, 2, 3)));
    h.device.receive(encodeContPacket(0x12345678, 0, bytes(1)));
    h.device.receive(new Uint8Array(63));
    h.device.receive(new Uint8Array(65).fill(0xff));
    assert.equal(h.reports.length, 0);
  });

  it('keeps the channel table bounded, forgetting the least recently used channel', () => {
    const h = deviceHarness({ maxChannels: 4 });
    const cids = [h.init(), h.init(), h.init(), h.init()];
    h.request(cids[0]!, C.CTAPHID_PING, bytes(1)); // cids[1] is now the least recently used
    h.responses();
    const fifth = h.init();
    assert.equal(h.device.channelCount, 4);
    h.request(cids[1]!, C.CTAPHID_PING, bytes(1));
    h.request(cids[0]!, C.CTAPHID_PING, bytes(2));
    h.request(fifth, C.CTAPHID_PING, bytes(3));
    assert.deepEqual(h.responses(), [
      error(cids[1]!, E.ERR_INVALID_CHANNEL),
      { cid: cids[0]!, cmd: C.CTAPHID_PING, data: bytes(2) },
      { cid: fifth, cmd: C.CTAPHID_PING, data: bytes(3) },
    ]);
  });
});

describe("channel policy 'any' (CTAP 2.0-era keys: a CID the host picked itself)", () => {
  const SOLO_CID = 0x11223344; // the CIDs the SoloKeys fido2-tests suite uses without INIT
  const OTHER_CID = 0x05040302;

  it('serves a non-zero, non-broadcast CID never allocated; 0 and broadcast stay INVALID_CHANNEL', () => {
    const h = deviceHarness({ channels: 'any' });
    h.request(SOLO_CID, C.CTAPHID_PING, bytes(1, 2));
    h.request(SOLO_CID, C.CTAPHID_CBOR, bytes(4));
    h.request(0, C.CTAPHID_PING, bytes(1));
    h.request(BROADCAST_CID, C.CTAPHID_PING, bytes(1));
    assert.deepEqual(h.responses(), [
      { cid: SOLO_CID, cmd: C.CTAPHID_PING, data: bytes(1, 2) },
      error(0, E.ERR_INVALID_CHANNEL),
      error(BROADCAST_CID, E.ERR_INVALID_CHANNEL),
    ]);
    assert.equal(h.device.channelCount, 1);
  });

  it('answers the CBOR request on the adopted channel and INIT on it resyncs with the same CID', async () => {
    const h = deviceHarness({ channels: 'any' });
    h.request(SOLO_CID, C.CTAPHID_CBOR, bytes(4));
    await flush();
    const nonce = new Uint8Array(8).fill(7);
    h.request(OTHER_CID, C.CTAPHID_INIT, nonce);
    const [cbor, init] = h.responses();
    assert.deepEqual(cbor, { cid: SOLO_CID, cmd: C.CTAPHID_CBOR, data: bytes(4) });
    assert.equal(init!.cid, OTHER_CID);
    assert.deepEqual(init!.data.subarray(0, 8), nonce);
    assert.equal(readU32be(init!.data, 8), OTHER_CID);
  });

  it('keeps the busy rule of §11.2: another CID, adopted or not, gets CHANNEL_BUSY while one is processing', async () => {
    const { handler, calls } = controlledHandler();
    const h = deviceHarness({ handler, channels: 'any' });
    h.request(SOLO_CID, C.CTAPHID_CBOR, bytes(4));
    h.request(OTHER_CID, C.CTAPHID_PING, bytes(1));
    h.request(SOLO_CID, C.CTAPHID_PING, bytes(1));
    assert.deepEqual(h.responses(), [error(OTHER_CID, E.ERR_CHANNEL_BUSY), error(SOLO_CID, E.ERR_CHANNEL_BUSY)]);
    // CANCEL from another CID does not touch the transaction; from its own CID it aborts it.
    h.request(OTHER_CID, C.CTAPHID_CANCEL);
    assert.equal(calls[0]!.ctx.signal.aborted, false);
    h.request(SOLO_CID, C.CTAPHID_CANCEL);
    assert.equal(calls[0]!.ctx.signal.aborted, true);
    assert.deepEqual(h.responses(), []); // CANCEL itself is never answered
    calls[0]!.resolve(bytes(0x2d)); // CTAP2_ERR_KEEPALIVE_CANCEL
    await flush();
    assert.deepEqual(h.responses(), [{ cid: SOLO_CID, cmd: C.CTAPHID_CBOR, data: bytes(0x2d) }]);
  });

  it('keeps the lock: a CID that never ran INIT is locked out by another channel’s LOCK', () => {
    const h = deviceHarness({ channels: 'any' });
    h.request(SOLO_CID, C.CTAPHID_LOCK, bytes(5));
    h.request(OTHER_CID, C.CTAPHID_PING, bytes(1));
    h.request(SOLO_CID, C.CTAPHID_PING, bytes(2));
    assert.deepEqual(h.responses(), [
      { cid: SOLO_CID, cmd: C.CTAPHID_LOCK, data: bytes() },
      error(OTHER_CID, E.ERR_CHANNEL_BUSY),
      { cid: SOLO_CID, cmd: C.CTAPHID_PING, data: bytes(2) },
    ]);
  });

  it('INIT on another CID while a request is being assembled is CHANNEL_BUSY (solo1); the same CID resyncs', () => {
    const h = deviceHarness({ channels: 'any' });
    const partial = fragment(SOLO_CID, C.CTAPHID_PING, new Uint8Array(100));
    h.device.receive(partial[0]!);
    h.request(OTHER_CID, C.CTAPHID_INIT, new Uint8Array(8).fill(1));
    h.request(BROADCAST_CID, C.CTAPHID_INIT, new Uint8Array(8).fill(2)); // allocation is still answered
    h.request(SOLO_CID, C.CTAPHID_INIT, new Uint8Array(8).fill(3));
    const [busy, allocated, resync] = h.responses();
    assert.deepEqual(busy, error(OTHER_CID, E.ERR_CHANNEL_BUSY));
    assert.equal(allocated!.cid, BROADCAST_CID);
    assert.equal(allocated!.cmd, C.CTAPHID_INIT);
    assert.equal(resync!.cid, SOLO_CID);
    assert.equal(readU32be(resync!.data, 8), SOLO_CID);
    assert.equal(h.device.busy, false);
    // Under 'allocated' INIT on an allocated channel is answered while another one assembles.
    const strict = deviceHarness();
    const [a, b] = [strict.init(), strict.init()];
    strict.device.receive(fragment(a, C.CTAPHID_PING, new Uint8Array(100))[0]!);
    strict.request(b, C.CTAPHID_INIT, new Uint8Array(8));
    assert.deepEqual(
      strict.responses().map((r) => [r.cid, r.cmd]),
      [[b, C.CTAPHID_INIT]],
    );
  });

  it("under the default policy ('allocated') the same requests are INVALID_CHANNEL", () => {
    const h = deviceHarness();
    h.request(SOLO_CID, C.CTAPHID_PING, bytes(1, 2));
    h.request(OTHER_CID, C.CTAPHID_INIT, new Uint8Array(8));
    assert.deepEqual(h.responses(), [error(SOLO_CID, E.ERR_INVALID_CHANNEL), error(OTHER_CID, E.ERR_INVALID_CHANNEL)]);
    assert.equal(h.device.channelCount, 0);
  });
});

describe('framing errors', () => {
  it('INVALID_SEQ for a skipped sequence number and for a new request mid-message', () => {
    const h = deviceHarness();
    const cid = h.init();
    const reports = fragment(cid, C.CTAPHID_PING, new Uint8Array(200));
    h.device.receive(reports[0]!);
    h.device.receive(reports[2]!);
    h.device.receive(reports[0]!);
    h.request(cid, C.CTAPHID_PING, bytes(1));
    assert.deepEqual(h.responses(), [error(cid, E.ERR_INVALID_SEQ), error(cid, E.ERR_INVALID_SEQ)]);
    h.request(cid, C.CTAPHID_PING, bytes(5));
    assert.deepEqual(h.responses(), [{ cid, cmd: C.CTAPHID_PING, data: bytes(5) }]);
  });

  it('INVALID_LEN for BCNT above 7609 and for empty CBOR / MSG', () => {
    const h = deviceHarness();
    const cid = h.init();
    h.device.receive(encodeInitPacket(cid, C.CTAPHID_PING, 7610, new Uint8Array(57)));
    h.request(cid, C.CTAPHID_CBOR);
    h.request(cid, C.CTAPHID_MSG);
    assert.deepEqual(h.responses(), Array(3).fill(error(cid, E.ERR_INVALID_LEN)));
  });

  it('MSG_TIMEOUT when the rest of a message does not arrive', () => {
    const h = deviceHarness();
    const cid = h.init();
    const reports = fragment(cid, C.CTAPHID_PING, new Uint8Array(200).fill(3));
    h.device.receive(reports[0]!);
    h.scheduler.advance(400);
    h.device.receive(reports[1]!); // each packet restarts the inter-packet timer
    h.scheduler.advance(400);
    assert.deepEqual(h.responses(), []);
    h.scheduler.advance(400);
    assert.deepEqual(h.responses(), [error(cid, E.ERR_MSG_TIMEOUT)]);
    h.device.receive(reports[2]!); // late: ignored
    assert.deepEqual(h.responses(), []);
    assert.equal(h.device.busy, false);
    h.request(cid, C.CTAPHID_PING, new Uint8Array(200).fill(3));
    assert.deepEqual(h.responses(), [{ cid, cmd: C.CTAPHID_PING, data: new Uint8Array(200).fill(3) }]);
    assert.equal(h.scheduler.pendingTimers, 0);
  });
});

describe('one transaction at a time', () => {
  it('CHANNEL_BUSY for another channel while a message is being assembled; no mixing', () => {
    const h = deviceHarness();
    const a = h.init();
    const b = h.init();
    const data = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    const reports = fragment(a, C.CTAPHID_PING, data);
    h.device.receive(reports[0]!);
    h.request(b, C.CTAPHID_PING, bytes(0xbb));
    h.device.receive(encodeContPacket(b, 0, new Uint8Array(59).fill(0xbb))); // ignored
    for (const r of reports.slice(1)) h.device.receive(r);
    assert.deepEqual(h.responses(), [error(b, E.ERR_CHANNEL_BUSY), { cid: a, cmd: C.CTAPHID_PING, data }]);
  });

  it('CHANNEL_BUSY for any other request while the handler runs', async () => {
    const { handler, calls } = controlledHandler();
    const h = deviceHarness({ handler });
    const a = h.init();
    const b = h.init();
    h.request(a, C.CTAPHID_CBOR, bytes(1, 0xa0));
    h.request(b, C.CTAPHID_PING, bytes(1));
    h.request(b, C.CTAPHID_CBOR, bytes(4));
    h.request(a, C.CTAPHID_PING, bytes(1));
    assert.deepEqual(h.responses(), [
      error(b, E.ERR_CHANNEL_BUSY),
      error(b, E.ERR_CHANNEL_BUSY),
      error(a, E.ERR_CHANNEL_BUSY),
    ]);
    assert.equal(calls.length, 1);
    calls[0]!.resolve(bytes(0x00, 0xa0));
    await flush();
    assert.deepEqual(h.responses(), [{ cid: a, cmd: C.CTAPHID_CBOR, data: bytes(0x00, 0xa0) }]);
    h.request(b, C.CTAPHID_PING, bytes(2));
    assert.deepEqual(h.responses(), [{ cid: b, cmd: C.CTAPHID_PING, data: bytes(2) }]);
  });
});

describe('CTAPHID_LOCK', () => {
  it('locks the device to one channel for 1–10 s; others are busy until it expires', () => {
    const h = deviceHarness();
    const a = h.init();
    const b = h.init();
    h.request(a, C.CTAPHID_LOCK, bytes(3));
    h.request(b, C.CTAPHID_PING, bytes(1));
    h.request(a, C.CTAPHID_PING, bytes(2));
    assert.deepEqual(h.responses(), [
      { cid: a, cmd: C.CTAPHID_LOCK, data: bytes() },
      error(b, E.ERR_CHANNEL_BUSY),
      { cid: a, cmd: C.CTAPHID_PING, data: bytes(2) },
    ]);
    h.scheduler.advance(2999);
    h.request(b, C.CTAPHID_PING, bytes(3));
    h.scheduler.advance(1);
    h.request(b, C.CTAPHID_PING, bytes(4));
    assert.deepEqual(h.responses(), [error(b, E.ERR_CHANNEL_BUSY), { cid: b, cmd: C.CTAPHID_PING, data: bytes(4) }]);
  });

  it('0 releases the lock; 11 is INVALID_PAR; a missing byte is INVALID_LEN; 10 is accepted', () => {
    const h = deviceHarness();
    const a = h.init();
    const b = h.init();
    h.request(a, C.CTAPHID_LOCK, bytes(11));
    h.request(a, C.CTAPHID_LOCK, bytes());
    h.request(a, C.CTAPHID_LOCK, bytes(10));
    h.request(b, C.CTAPHID_LOCK, bytes(1));
    h.request(a, C.CTAPHID_LOCK, bytes(0));
    h.request(b, C.CTAPHID_PING, bytes(1));
    assert.deepEqual(h.responses(), [
      error(a, E.ERR_INVALID_PAR),
      error(a, E.ERR_INVALID_LEN),
      { cid: a, cmd: C.CTAPHID_LOCK, data: bytes() },
      error(b, E.ERR_CHANNEL_BUSY),
      { cid: a, cmd: C.CTAPHID_LOCK, data: bytes() },
      { cid: b, cmd: C.CTAPHID_PING, data: bytes(1) },
    ]);
  });
});

describe('CTAPHID_CANCEL and KEEPALIVE', () => {
  it('CANCEL aborts the running request signal; only the handler answer is sent', async () => {
    const { handler, calls } = controlledHandler();
    const h = deviceHarness({ handler });
    const a = h.init();
    const b = h.init();
    h.request(a, C.CTAPHID_CBOR, bytes(2));
    h.request(b, C.CTAPHID_CANCEL); // another channel's CANCEL does nothing
    assert.equal(calls[0]!.ctx.signal.aborted, false);
    h.request(a, C.CTAPHID_CANCEL);
    assert.equal(calls[0]!.ctx.signal.aborted, true);
    assert.deepEqual(h.responses(), []); // CANCEL itself is never answered
    calls[0]!.resolve(bytes(0x2d)); // CTAP2_ERR_KEEPALIVE_CANCEL
    await flush();
    assert.deepEqual(h.responses(), [{ cid: a, cmd: C.CTAPHID_CBOR, data: bytes(0x2d) }]);
  });

  it('CANCEL while idle is silent; CANCEL mid-message drops the message', () => {
    const h = deviceHarness();
    const a = h.init();
    h.request(a, C.CTAPHID_CANCEL);
    const reports = fragment(a, C.CTAPHID_PING, new Uint8Array(100));
    h.device.receive(reports[0]!);
    h.request(a, C.CTAPHID_CANCEL);
    h.device.receive(reports[1]!);
    assert.deepEqual(h.responses(), []);
    assert.equal(h.device.busy, false);
  });

  it('sends KEEPALIVE every 100 ms with PROCESSING, then UPNEEDED at once and every 100 ms, and stops after the answer', async () => {
    const { handler, calls } = controlledHandler();
    const h = deviceHarness({ handler });
    const a = h.init();
    h.request(a, C.CTAPHID_CBOR, bytes(1));
    assert.deepEqual(h.responses(), []);
    h.scheduler.advance(100);
    h.scheduler.advance(100);
    const processing = { cid: a, cmd: C.CTAPHID_KEEPALIVE, data: bytes(KeepaliveStatusCode.STATUS_PROCESSING) };
    assert.deepEqual(h.responses(), [processing, processing]);
    const upneeded = { cid: a, cmd: C.CTAPHID_KEEPALIVE, data: bytes(KeepaliveStatusCode.STATUS_UPNEEDED) };
    // The first UPNEEDED leaves at once (solo1 does the same), the next ones every 100 ms after it.
    h.scheduler.advance(50);
    calls[0]!.ctx.setStatus('upneeded');
    assert.deepEqual(h.responses(), [upneeded]);
    calls[0]!.ctx.setStatus('upneeded');
    h.scheduler.advance(99);
    assert.deepEqual(h.responses(), [], 'setting the same status again sends nothing; the timer restarted');
    h.scheduler.advance(1);
    assert.deepEqual(h.responses(), [upneeded]);
    calls[0]!.resolve(bytes(0));
    await flush();
    h.scheduler.advance(1000);
    assert.deepEqual(h.responses(), [{ cid: a, cmd: C.CTAPHID_CBOR, data: bytes(0) }]);
    assert.equal(h.scheduler.pendingTimers, 0);
  });
});

describe('robustness', () => {
  it('a handler exception becomes ERR_OTHER and the device keeps running', async () => {
    const failing: MessageHandler = {
      cbor: async () => {
        throw new Error('boom');
      },
      msg: () => {
        throw new TypeError('sync boom');
      },
      wink: () => {
        throw new Error('wink boom');
      },
    };
    const h = deviceHarness({ handler: failing });
    const a = h.init();
    h.request(a, C.CTAPHID_CBOR, bytes(1));
    await flush();
    h.request(a, C.CTAPHID_MSG, bytes(0, 1, 0, 0));
    await flush();
    h.request(a, C.CTAPHID_WINK);
    h.request(a, C.CTAPHID_PING, bytes(7));
    assert.deepEqual(h.responses(), [
      error(a, E.ERR_OTHER),
      error(a, E.ERR_OTHER),
      error(a, E.ERR_OTHER),
      { cid: a, cmd: C.CTAPHID_PING, data: bytes(7) },
    ]);
    assert.deepEqual(
      h.errors.map((e) => (e as Error).message),
      ['boom', 'sync boom', 'wink boom'],
    );
  });

  it('a CtapHidError from the handler keeps its code; an oversized answer is ERR_OTHER', async () => {
    const h = deviceHarness({
      handler: {
        cbor: async () => {
          throw new CtapHidError(E.ERR_INVALID_PAR);
        },
        msg: async () => new Uint8Array(7610),
      },
    });
    const a = h.init();
    h.request(a, C.CTAPHID_CBOR, bytes(1));
    await flush();
    h.request(a, C.CTAPHID_MSG, bytes(1));
    await flush();
    assert.deepEqual(h.responses(), [error(a, E.ERR_INVALID_PAR), error(a, E.ERR_OTHER)]);
    assert.equal(h.errors.length, 1);
  });

  it('powerCycle drops channels, the lock and the running transaction', async () => {
    const { handler, calls } = controlledHandler();
    const h = deviceHarness({ handler });
    const a = h.init();
    h.request(a, C.CTAPHID_LOCK, bytes(10));
    h.request(a, C.CTAPHID_CBOR, bytes(1));
    h.responses();
    h.device.powerCycle();
    assert.equal(calls[0]!.ctx.signal.aborted, true);
    assert.equal(h.device.channelCount, 0);
    calls[0]!.resolve(bytes(0));
    await flush();
    h.scheduler.advance(500);
    assert.deepEqual(h.responses(), []); // no late answer, no keepalive
    h.request(a, C.CTAPHID_PING, bytes(1));
    assert.deepEqual(h.responses(), [error(a, E.ERR_INVALID_CHANNEL)]);
    const b = h.init();
    h.request(b, C.CTAPHID_PING, bytes(2));
    assert.deepEqual(h.responses(), [{ cid: b, cmd: C.CTAPHID_PING, data: bytes(2) }]);
  });

  it('powerCycle with keepChannels (the magic reboot report) keeps channels, drops lock and transaction', async () => {
    const { handler, calls } = controlledHandler();
    const h = deviceHarness({ handler });
    const a = h.init();
    const b = h.init();
    h.request(a, C.CTAPHID_LOCK, bytes(10));
    h.request(a, C.CTAPHID_CBOR, bytes(1));
    h.responses();
    h.device.powerCycle({ keepChannels: true });
    assert.equal(calls[0]!.ctx.signal.aborted, true);
    assert.equal(h.device.channelCount, 2);
    calls[0]!.resolve(bytes(0));
    await flush();
    assert.deepEqual(h.responses(), []); // the aborted request never answers
    // Both channels answer at once: the lock went with the power cycle.
    h.request(b, C.CTAPHID_PING, bytes(1));
    h.request(a, C.CTAPHID_PING, bytes(2));
    assert.deepEqual(h.responses(), [
      { cid: b, cmd: C.CTAPHID_PING, data: bytes(1) },
      { cid: a, cmd: C.CTAPHID_PING, data: bytes(2) },
    ]);
  });

  it('traces every message in and out', () => {
    const events: CtapHidTraceEvent[] = [];
    const h = deviceHarness({ trace: (e) => events.push(e) });
    const a = h.init();
    h.request(a, C.CTAPHID_PING, bytes(1, 2));
    assert.deepEqual(
      events.map((e) => [e.direction, e.cid, e.cmd, toHex(e.data).length]),
      [
        ['in', BROADCAST_CID, C.CTAPHID_INIT, 16],
        ['out', BROADCAST_CID, C.CTAPHID_INIT, 34],
        ['in', a, C.CTAPHID_PING, 4],
        ['out', a, C.CTAPHID_PING, 4],
      ],
    );
  });

  it('random reports never make the device throw, and it still answers PING afterwards', async () => {
    const ourCid = 0x0badcafe;
    const cids = fc.constantFrom(0, BROADCAST_CID, ourCid, 0x01020304);
    const report = fc.oneof(
      fc.uint8Array({ minLength: 64, maxLength: 64 }),
      fc.uint8Array({ minLength: 0, maxLength: 70 }),
      fc
        .tuple(
          cids,
          fc.integer({ min: 0, max: 255 }),
          fc.integer({ min: 0, max: 0x1fff }),
          fc.uint8Array({ minLength: 57, maxLength: 57 }),
        )
        .map(([cid, b4, bcnt, data]) => {
          const r = new Uint8Array(64);
          new DataView(r.buffer).setUint32(0, cid);
          r[4] = b4;
          r[5] = bcnt >>> 8;
          r[6] = bcnt & 0xff;
          r.set(data, 7);
          return r;
        }),
      fc
        .tuple(cids, fc.integer({ min: 0, max: 255 }))
        .map(([cid, cmd]) => encodeInitPacket(cid, cmd & 0x7f, 8, new Uint8Array(8))),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(report, { maxLength: 40 }), async (reports) => {
        const h = deviceHarness({ rng: seededRng(3, [ourCid]) });
        assert.equal(h.init(), ourCid);
        for (const r of reports) h.device.receive(r);
        await flush();
        h.scheduler.advance(11_000); // pending messages time out, locks expire
        h.reports.length = 0;
        h.request(ourCid, C.CTAPHID_INIT, new Uint8Array(8)); // what a host does after confusion: resync
        h.request(ourCid, C.CTAPHID_PING, bytes(1, 2, 3));
        const rs = h.responses();
        assert.deepEqual(rs.at(-1), { cid: ourCid, cmd: C.CTAPHID_PING, data: bytes(1, 2, 3) });
      }),
      { numRuns: 150 },
    );
  });
});
