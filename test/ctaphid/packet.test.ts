import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Assembler } from '../../src/ctaphid/assembler.js';
import {
  BROADCAST_CID,
  CtapHidCapability,
  CtapHidCommand,
  CtapHidError,
  CtapHidErrorCode,
  HID_REPORT_SIZE,
  KeepaliveStatusCode,
  MAX_MESSAGE_SIZE,
  TYPE_INIT,
} from '../../src/ctaphid/constants.js';
import { fragment, reportCount } from '../../src/ctaphid/fragmenter.js';
import { decodePacket, encodeContPacket, encodeInitPacket } from '../../src/ctaphid/packet.js';
import { fromHex, toHex } from '../../src/encoding/bytes.js';

describe('CTAPHID constant tables match CTAP 2.1 §11.2', () => {
  it('commands', () => {
    assert.deepEqual(CtapHidCommand, {
      CTAPHID_PING: 0x01,
      CTAPHID_MSG: 0x03,
      CTAPHID_LOCK: 0x04,
      CTAPHID_INIT: 0x06,
      CTAPHID_WINK: 0x08,
      CTAPHID_CBOR: 0x10,
      CTAPHID_CANCEL: 0x11,
      CTAPHID_KEEPALIVE: 0x3b,
      CTAPHID_ERROR: 0x3f,
    });
    assert.equal(TYPE_INIT, 0x80);
  });
  it('capabilities, error codes, keepalive status, sizes', () => {
    assert.deepEqual(CtapHidCapability, { CAPABILITY_WINK: 0x01, CAPABILITY_CBOR: 0x04, CAPABILITY_NMSG: 0x08 });
    assert.deepEqual(CtapHidErrorCode, {
      ERR_INVALID_CMD: 0x01,
      ERR_INVALID_PAR: 0x02,
      ERR_INVALID_LEN: 0x03,
      ERR_INVALID_SEQ: 0x04,
      ERR_MSG_TIMEOUT: 0x05,
      ERR_CHANNEL_BUSY: 0x06,
      ERR_LOCK_REQUIRED: 0x0a,
      ERR_INVALID_CHANNEL: 0x0b,
      ERR_OTHER: 0x7f,
    });
    assert.deepEqual(KeepaliveStatusCode, { STATUS_PROCESSING: 1, STATUS_UPNEEDED: 2 });
    assert.equal(BROADCAST_CID, 0xffffffff);
    assert.equal(HID_REPORT_SIZE, 64);
    assert.equal(MAX_MESSAGE_SIZE, 64 - 7 + 128 * (64 - 5));
    assert.equal(MAX_MESSAGE_SIZE, 7609);
  });
  it('CtapHidError carries its code and a readable name', () => {
    const e = new CtapHidError(CtapHidErrorCode.ERR_CHANNEL_BUSY);
    assert.equal(e.code, 0x06);
    assert.match(e.message, /ERR_CHANNEL_BUSY/);
    assert.ok(e instanceof Error);
  });
});

describe('packet codec (§11.2.4)', () => {
  it('encodes an initialization packet: CID ‖ CMD|0x80 ‖ BCNT ‖ data, zero padded', () => {
    const report = encodeInitPacket(0x01020304, CtapHidCommand.CTAPHID_PING, 3, new Uint8Array([0x61, 0x62, 0x63]));
    assert.equal(report.length, 64);
    assert.equal(toHex(report), '01020304' + '81' + '0003' + '616263' + '00'.repeat(54));
  });
  it('encodes the broadcast INIT request of a typical platform', () => {
    const nonce = fromHex('0011223344556677');
    const report = encodeInitPacket(BROADCAST_CID, CtapHidCommand.CTAPHID_INIT, 8, nonce);
    assert.equal(toHex(report.subarray(0, 15)), 'ffffffff' + '86' + '0008' + '0011223344556677');
    assert.ok(report.subarray(15).every((b) => b === 0));
  });
  it('encodes a continuation packet: CID ‖ SEQ ‖ data', () => {
    const report = encodeContPacket(0xcafebabe, 0x7f, new Uint8Array(59).fill(0xee));
    assert.equal(toHex(report.subarray(0, 6)), 'cafebabe' + '7f' + 'ee');
    assert.equal(report[63], 0xee);
  });
  it('decodes both packet kinds', () => {
    const init = decodePacket(fromHex('0a0b0c0d' + '90' + '1db9' + 'a1'.padEnd(114, '0')));
    assert.deepEqual(
      { type: init.type, cid: init.cid, ...(init.type === 'init' ? { cmd: init.cmd, bcnt: init.bcnt } : {}) },
      { type: 'init', cid: 0x0a0b0c0d, cmd: CtapHidCommand.CTAPHID_CBOR, bcnt: 7609 },
    );
    assert.equal(init.data.length, 57);
    assert.equal(init.data[0], 0xa1);
    const cont = decodePacket(fromHex('0a0b0c0d' + '05' + 'ff'.repeat(59)));
    assert.equal(cont.type, 'cont');
    assert.equal(cont.type === 'cont' && cont.seq, 5);
    assert.equal(cont.data.length, 59);
  });
  it('rejects wrong sizes and out-of-range fields', () => {
    assert.throws(
      () => decodePacket(new Uint8Array(63)),
      (e: unknown) => e instanceof CtapHidError && e.code === 0x03,
    );
    assert.throws(() => encodeInitPacket(1, 0x80, 0, new Uint8Array(0)), RangeError);
    assert.throws(() => encodeInitPacket(1, 1, 0, new Uint8Array(58)), RangeError);
    assert.throws(() => encodeContPacket(1, 0x80, new Uint8Array(0)), RangeError);
    assert.throws(() => encodeContPacket(2 ** 32, 0, new Uint8Array(0)), RangeError);
  });
});

describe('fragmenter', () => {
  it('splits at 57 then 59 bytes with SEQ 0, 1, …', () => {
    const data = Uint8Array.from({ length: 57 + 59 + 1 }, (_, i) => i & 0xff);
    const reports = fragment(0x11223344, CtapHidCommand.CTAPHID_MSG, data);
    assert.equal(reports.length, 3);
    assert.equal(reports[0]![4], 0x83);
    assert.equal((reports[0]![5]! << 8) | reports[0]![6]!, 117);
    assert.equal(reports[1]![4], 0);
    assert.equal(reports[2]![4], 1);
    assert.equal(reports[2]![5], 116 & 0xff);
    assert.ok(reports[2]!.subarray(6).every((b) => b === 0));
  });
  it('counts reports and caps the size', () => {
    assert.equal(reportCount(0), 1);
    assert.equal(reportCount(57), 1);
    assert.equal(reportCount(58), 2);
    assert.equal(reportCount(7609), 129);
    assert.equal(fragment(1, 1, new Uint8Array(7609)).length, 129);
    assert.throws(
      () => fragment(1, 1, new Uint8Array(7610)),
      (e: unknown) => e instanceof CtapHidError && e.code === 0x03,
    );
  });
});

describe('assembler', () => {
  const cid = 0x01020304;
  it('assembles a multi-packet message', () => {
    const data = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff);
    const a = new Assembler();
    const reports = fragment(cid, CtapHidCommand.CTAPHID_CBOR, data);
    for (const r of reports.slice(0, -1)) assert.deepEqual(a.push(r), { kind: 'need-more', cid });
    assert.equal(a.pendingCid, cid);
    const last = a.push(reports.at(-1)!);
    assert.deepEqual(last, { kind: 'message', cid, cmd: CtapHidCommand.CTAPHID_CBOR, data });
    assert.equal(a.pendingCid, undefined);
  });
  it('rejects a wrong sequence number and drops the message', () => {
    const a = new Assembler();
    const reports = fragment(cid, 1, new Uint8Array(200));
    a.push(reports[0]!);
    assert.deepEqual(a.push(reports[2]!), { kind: 'error', cid, code: CtapHidErrorCode.ERR_INVALID_SEQ });
    assert.equal(a.pendingCid, undefined);
    assert.deepEqual(a.push(reports[1]!), { kind: 'ignored' });
  });
  it('rejects BCNT above 7609, ignores stray continuations and odd sizes', () => {
    const a = new Assembler();
    assert.deepEqual(a.push(encodeInitPacket(cid, 1, 7610, new Uint8Array(0))), {
      kind: 'error',
      cid,
      code: CtapHidErrorCode.ERR_INVALID_LEN,
    });
    assert.deepEqual(a.push(encodeContPacket(cid, 0, new Uint8Array(0))), { kind: 'ignored' });
    assert.deepEqual(a.push(new Uint8Array(65)), { kind: 'ignored' });
  });
  it('a new init packet on the assembling channel is INVALID_SEQ, INIT resyncs', () => {
    const a = new Assembler();
    a.push(fragment(cid, 1, new Uint8Array(100))[0]!);
    assert.deepEqual(a.push(fragment(cid, 1, new Uint8Array(3))[0]!), {
      kind: 'error',
      cid,
      code: CtapHidErrorCode.ERR_INVALID_SEQ,
    });
    a.push(fragment(cid, 1, new Uint8Array(100))[0]!);
    const r = a.push(fragment(cid, CtapHidCommand.CTAPHID_INIT, new Uint8Array(8).fill(9))[0]!);
    assert.equal(r.kind, 'message');
    assert.equal(a.pendingCid, undefined);
  });
  it('another channel gets CHANNEL_BUSY while assembling, except single-packet INIT', () => {
    const a = new Assembler();
    const first = fragment(cid, 1, new Uint8Array(100).fill(1));
    a.push(first[0]!);
    assert.deepEqual(a.push(fragment(0x99, 1, new Uint8Array(1))[0]!), {
      kind: 'error',
      cid: 0x99,
      code: CtapHidErrorCode.ERR_CHANNEL_BUSY,
    });
    const init = a.push(fragment(BROADCAST_CID, CtapHidCommand.CTAPHID_INIT, new Uint8Array(8))[0]!);
    assert.equal(init.kind, 'message');
    const done = a.push(first[1]!);
    assert.equal(done.kind === 'message' && done.data.every((b) => b === 1), true);
  });
});

describe('properties', () => {
  const message = fc
    .oneof(
      fc.constantFrom(0, 1, 56, 57, 58, 115, 116, 117, 7550, 7551, 7608, 7609),
      fc.integer({ min: 0, max: MAX_MESSAGE_SIZE }),
    )
    .chain((n) => fc.uint8Array({ minLength: n, maxLength: n }));

  // Every command but CTAPHID_INIT, which the spec defines as a single packet (longer → ERR_INVALID_LEN).
  const command = fc.integer({ min: 0, max: 0x7f }).filter((c) => c !== CtapHidCommand.CTAPHID_INIT);

  it('fragment then assemble is the identity for every length 0..7609', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 0xfffffffe }), command, message, (cid, cmd, data) => {
        const a = new Assembler();
        const reports = fragment(cid, cmd, data);
        assert.equal(reports.length, reportCount(data.length));
        const results = reports.map((r) => a.push(r));
        const last = results.pop()!;
        assert.ok(results.every((r) => r.kind === 'need-more'));
        assert.equal(last.kind, 'message');
        if (last.kind === 'message') {
          assert.equal(last.cid, cid);
          assert.equal(last.cmd, cmd);
          assert.deepEqual(last.data, data);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('random reports into the assembler yield only results or CTAPHID error codes', () => {
    const codes = new Set<number>(Object.values(CtapHidErrorCode));
    const cids = fc.constantFrom(0, 1, 2, BROADCAST_CID);
    const report = fc.oneof(
      fc.uint8Array({ minLength: 64, maxLength: 64 }),
      fc.uint8Array({ minLength: 0, maxLength: 80 }),
      fc.tuple(cids, fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 0xffff })).map(([cid, b4, bcnt]) => {
        const r = new Uint8Array(64);
        new DataView(r.buffer).setUint32(0, cid);
        r[4] = b4;
        r[5] = bcnt >>> 8;
        r[6] = bcnt & 0xff;
        return r;
      }),
    );
    fc.assert(
      fc.property(fc.array(report, { maxLength: 60 }), (reports) => {
        const a = new Assembler();
        for (const r of reports) {
          const result = a.push(r);
          assert.ok(['message', 'error', 'need-more', 'ignored'].includes(result.kind));
          if (result.kind === 'error') assert.ok(codes.has(result.code), `unexpected code ${result.code}`);
          if (result.kind === 'message') assert.ok(result.data.length <= MAX_MESSAGE_SIZE);
        }
      }),
      { numRuns: 300 },
    );
  });
});
