/** Ledger HID framing (§6.3): hand-built packets from the spec's layout, errors, and round trips. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  HidAssembler,
  makeBlocks,
  reduce,
  type HidReduceResult,
  type HidReduceState,
} from '../../src/transport/ledgerHidFraming.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function assemble(blocks: Uint8Array[], expectChannel?: number): HidReduceResult {
  let state: HidReduceState | undefined;
  let r: HidReduceResult | undefined;
  for (const b of blocks) {
    r = reduce(state, b, expectChannel);
    if (r.kind === 'error') return r;
    state = r.kind === 'need-more' ? r.state : undefined;
  }
  return r!;
}

describe('Ledger HID framing', () => {
  it('GET_VERSION on channel 0x0101 is one zero-padded 64-byte packet', () => {
    const blocks = makeBlocks(0x0101, Uint8Array.of(0x06, 0x00, 0x00, 0x00, 0x00));
    assert.equal(blocks.length, 1);
    assert.equal(hex(blocks[0]!), '0101050000' + '0005' + '0600000000' + '00'.repeat(64 - 12));
  });

  it('57 bytes fit the first packet, 59 the next ones', () => {
    assert.equal(makeBlocks(1, new Uint8Array(57)).length, 1);
    assert.equal(makeBlocks(1, new Uint8Array(58)).length, 2);
    assert.equal(makeBlocks(1, new Uint8Array(57 + 59)).length, 2);
    assert.equal(makeBlocks(1, new Uint8Array(57 + 59 + 1)).length, 3);
    const blocks = makeBlocks(
      0xabcd,
      new Uint8Array(120).map((_, i) => i),
    );
    assert.deepEqual(
      blocks.map((b) => hex(b.subarray(0, 5))),
      ['abcd050000', 'abcd050001', 'abcd050002'],
    );
    assert.equal(blocks[1]![5], 57, 'the second packet continues where the first stopped');
  });

  it('a response (answer ‖ SW) assembles on the host channel', () => {
    const response = Uint8Array.of(...new Uint8Array(129).fill(4), 0x90, 0x00);
    const r = assemble(makeBlocks(0x0101, response), 0x0101);
    assert.equal(r.kind, 'message');
    assert.equal(r.kind === 'message' && hex(r.message), hex(response));
  });

  it('errors: wrong channel, wrong tag, out-of-order sequence, short packet', () => {
    const blocks = makeBlocks(0x0101, new Uint8Array(100));
    assert.deepEqual(assemble(blocks, 0x0202), { kind: 'error', error: 'invalid-channel' });
    const badTag = blocks[0]!.slice();
    badTag[2] = 0x02;
    assert.deepEqual(reduce(undefined, badTag), { kind: 'error', error: 'invalid-tag' });
    assert.deepEqual(assemble([blocks[1]!]), { kind: 'error', error: 'invalid-sequence' });
    assert.deepEqual(assemble([blocks[0]!, blocks[0]!]), { kind: 'error', error: 'invalid-sequence' });
    const mixed = makeBlocks(0x0202, new Uint8Array(100));
    assert.deepEqual(assemble([blocks[0]!, mixed[1]!]), { kind: 'error', error: 'invalid-channel' });
    assert.deepEqual(reduce(undefined, new Uint8Array(6)), { kind: 'error', error: 'short-packet' });
  });

  it('the assembler adopts the host channel and resets after an error', () => {
    const a = new HidAssembler();
    const blocks = makeBlocks(0x1234, new Uint8Array(70).fill(9));
    assert.equal(a.push(blocks[0]!).kind, 'need-more');
    const done = a.push(blocks[1]!);
    assert.ok(done.kind === 'message' && done.channel === 0x1234 && done.message.length === 70);
    assert.equal(a.push(blocks[1]!).kind, 'error');
    assert.equal(a.push(makeBlocks(7, Uint8Array.of(1))[0]!).kind, 'message');
  });

  it('makeBlocks then reduce is the identity for every length and channel', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.uint8Array({ maxLength: 2000 }),
        fc.constantFrom(64, 65, 128),
        (channel, message, size) => {
          const blocks = makeBlocks(channel, message, size);
          assert.ok(blocks.every((b) => b.length === size));
          const r = assemble(blocks);
          assert.equal(r.kind, 'message');
          assert.ok(r.kind === 'message' && r.channel === channel && hex(r.message) === hex(message));
        },
      ),
      { numRuns: 200 },
    );
  });
});
