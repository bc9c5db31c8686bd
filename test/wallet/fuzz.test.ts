/**
 * fast-check at the APDU level: random APDUs and random/mutated transactions, through the whole
 * dispatcher, yield only the spec's status words (and, with 6984, only its error texts); whatever
 * was sent, the app still answers GET_VERSION; whenever it signs, the signature verifies.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { encodeCommandApdu, parseResponseApdu } from '../../src/wallet/apdu.js';
import { encodePath } from '../../src/wallet/bip32Path.js';
import { PARSER_ERROR } from '../../src/wallet/statusWords.js';
import { ADDRESS_VECTORS, oracle, ScriptedReview, TX, unhex, walletWithZemuSeed } from './helpers.js';

/** §1.8 plus 9000; 6F00 (internal error) must never appear. */
const SPEC_SW = new Set([
  0x9000, 0x6400, 0x6700, 0x6982, 0x6983, 0x6984, 0x6986, 0x6987, 0x6b00, 0x6d00, 0x6e00, 0x6f01,
]);
const TEXTS = new Set<string>(Object.values(PARSER_ERROR));
const PATH_BYTES = encodePath([0x8000002c, 0x800001cd, 0x80000000, 0, 1]);
const PK = unhex(ADDRESS_VECTORS[1].pk);

function checkResponse(resp: Uint8Array): { sw: number; answer: Uint8Array } {
  const r = parseResponseApdu(resp);
  assert.ok(SPEC_SW.has(r.sw), `status word ${r.sw.toString(16)} is in the spec`);
  if (r.sw === 0x6984 && r.answer.length > 0) {
    const text = Buffer.from(r.answer).toString('ascii');
    assert.ok(TEXTS.has(text), `6984 text "${text}" is in the spec`);
  } else if (r.sw !== 0x9000) {
    assert.equal(r.answer.length, 0, 'errors other than 6984 carry no data');
  }
  return r;
}

const apdu = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc
    .record({
      cla: fc.constantFrom(0x06, 0xe0, 0xb0, 0x00, 0x55),
      ins: fc.oneof(fc.constantFrom(0x00, 0x01, 0x02, 0x04, 0x07, 0x08, 0xa7), fc.integer({ min: 0, max: 255 })),
      p1: fc.oneof(fc.constantFrom(0, 1, 2), fc.integer({ min: 0, max: 255 })),
      p2: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 255 })),
      data: fc.oneof(
        fc.uint8Array({ maxLength: 255 }),
        fc.constant(PATH_BYTES),
        fc.uint8Array({ maxLength: 40 }).map((b) => Uint8Array.of(...PATH_BYTES, ...b)),
      ),
    })
    .map(({ cla, ins, p1, p2, data }) => encodeCommandApdu(cla, ins, p1, p2, data)),
);

describe('APDU fuzzing', () => {
  it('random APDU sequences give only spec status words and the app keeps answering', async () => {
    const review = new ScriptedReview();
    const { app } = walletWithZemuSeed({ review, blindSigning: true });
    await fc.assert(
      fc.asyncProperty(
        fc.array(apdu, { minLength: 1, maxLength: 12 }),
        fc.constantFrom<'approved' | 'denied'>('approved', 'denied'),
        async (apdus, outcome) => {
          review.next(...apdus.map(() => outcome));
          for (const a of apdus) checkResponse(await app.exchange(a));
          const v = checkResponse(await app.exchange(unhex('0600000000')));
          assert.equal(v.sw, 0x9000);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('random and mutated transactions: spec status words only; every 9000 signature verifies', async () => {
    const { app } = walletWithZemuSeed({ expertMode: true });
    const samples = Object.values(TX).map(unhex);
    const tx = fc.oneof(
      fc.uint8Array({ maxLength: 600 }),
      fc
        .record({
          i: fc.nat(),
          edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
          cut: fc.option(fc.nat()),
        })
        .map(({ i, edits, cut }) => {
          let b = samples[i % samples.length]!.slice();
          for (const [pos, v] of edits) b[pos % b.length] = v;
          if (cut !== null) b = b.subarray(0, cut % (b.length + 1));
          return b;
        }),
    );
    await fc.assert(
      fc.asyncProperty(tx, fc.integer({ min: 1, max: 255 }), async (message, chunkSize) => {
        checkResponse(await app.exchange(encodeCommandApdu(0x06, 0x02, 0, 0, PATH_BYTES)));
        let last: { sw: number; answer: Uint8Array } = { sw: 0x9000, answer: new Uint8Array(0) };
        for (let off = 0; off < message.length || off === 0; off += chunkSize) {
          const end = Math.min(off + chunkSize, message.length);
          const p1 = end >= message.length ? 2 : 1;
          last = checkResponse(await app.exchange(encodeCommandApdu(0x06, 0x02, p1, 0, message.subarray(off, end))));
          if (p1 === 2) break;
        }
        if (last.sw === 0x9000) {
          const rs = last.answer.subarray(0, 64);
          assert.ok(secp256k1.verify(rs, oracle.cidDigest(message), PK, { prehash: false }));
        }
      }),
      { numRuns: 400 },
    );
    assert.equal(checkResponse(await app.exchange(unhex('0600000000'))).sw, 0x9000);
  });
});
