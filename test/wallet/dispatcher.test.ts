/**
 * The dispatcher and handlers, APDU by APDU (filecoin-app.md §1): dispatch order, status words,
 * chunked-session rules, the pending-review rule, and the 6F00 catch-all.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeCommandApdu, parseResponseApdu } from '../../src/wallet/apdu.js';
import { encodePath } from '../../src/wallet/bip32Path.js';
import { WalletApp } from '../../src/wallet/dispatcher.js';
import { Keyring } from '../../src/wallet/keyring.js';
import type { ReviewOutcome } from '../../src/wallet/review.js';
import { hex, ScriptedReview, TX, unhex, walletWithZemuSeed } from './helpers.js';

const PATH_ELEMENTS = [0x8000002c, 0x800001cd, 0x80000000, 0, 1];
const PATH_BYTES = encodePath(PATH_ELEMENTS);

async function send(app: WalletApp, apduHex: string): Promise<{ sw: number; answer: string }> {
  const r = parseResponseApdu(await app.exchange(unhex(apduHex)));
  return { sw: r.sw, answer: hex(r.answer) };
}

async function sendApdu(app: WalletApp, cla: number, ins: number, p1: number, p2: number, data?: Uint8Array) {
  const r = parseResponseApdu(await app.exchange(encodeCommandApdu(cla, ins, p1, p2, data)));
  return { sw: r.sw, answer: r.answer };
}

describe('dispatch order (§1.1)', () => {
  const { app } = walletWithZemuSeed();
  const cases: Array<[string, string, number]> = [
    ['zero-length APDU', '', 0x6982],
    ['unknown CLA, 1 byte', '07', 0x6e00],
    ['CLA 06, 1 byte', '06', 0x6700],
    ['CLA 06, 4 bytes', '06000000', 0x6700],
    ['unknown CLA, full header', '5500000000', 0x6e00],
    ['unknown INS', '06ff000000', 0x6d00],
    ['INS 04 with CLA 06', '0604000000', 0x6986],
    ['ETH get address (CLA E0 INS 02) is not emulated', 'e002000000', 0x6d00],
    ['ETH sign (CLA E0 INS 04) is not emulated', 'e004000000', 0x6d00],
    ['GET_VERSION with CLA E0', 'e000000000', 0x9000],
    ['APDU longer than 5 + 255 bytes', `06000000ff${'00'.repeat(256)}`, 0x6700],
  ];
  for (const [name, apdu, sw] of cases) {
    it(`${name} → ${sw.toString(16)}`, async () => {
      assert.equal((await send(app, apdu)).sw, sw);
    });
  }

  it('GET_VERSION ignores P1, P2 and data', async () => {
    const a = await send(app, '0600000000');
    const b = await send(app, '0600ab cd 03 010203'.replace(/ /g, ''));
    assert.equal(a.sw, 0x9000);
    assert.deepEqual(a, b);
    assert.equal(a.answer, '000203070033100004');
  });

  it('SDK app info B0 01 and quit B0 A7', async () => {
    const info = await send(app, 'b001000000');
    assert.equal(info.sw, 0x9000);
    assert.equal(info.answer.slice(0, 4), '0108');
    assert.equal(Buffer.from(unhex(info.answer).subarray(2, 10)).toString('ascii'), 'Filecoin');
    assert.equal((await send(app, 'b0a7000000')).sw, 0x9000);
  });
});

describe('GET_ADDR_SECP256K1 (§1.5)', () => {
  it('answers the spec exchange byte for byte', async () => {
    const { app } = walletWithZemuSeed();
    const r = await send(app, '06010000142c000080cd010080050000800000000003000000');
    assert.equal(r.sw, 0x9000);
    assert.equal(
      r.answer,
      '0425d0dbeedb2053e690a58e9456363158836b1361f30dba0332f440558fa803d056042b50d0e70e4a2940428e82c7cea54259d65254aed4663e4d0cffd649f4fb' +
        '15' +
        '0162b79110b5599e0c70bbd0bb56468ae9a0837874' +
        '29' +
        '66316d6b337a636566766c67706179346633326335766d72756b35677169673664756d6337707a3671',
    );
  });

  it('path shorter than 20 bytes → 6700; extra bytes ignored; bad path → 6984 without text', async () => {
    const { app } = walletWithZemuSeed();
    assert.equal((await sendApdu(app, 0x06, 0x01, 0, 0, PATH_BYTES.subarray(0, 19))).sw, 0x6700);
    const withExtra = await sendApdu(app, 0x06, 0x01, 0, 0, new Uint8Array([...PATH_BYTES, 1, 2, 3]));
    const plain = await sendApdu(app, 0x06, 0x01, 0, 0, PATH_BYTES);
    assert.equal(withExtra.sw, 0x9000);
    assert.equal(hex(withExtra.answer), hex(plain.answer));
    const notHardened = encodePath([0x8000002c, 0x800001cd, 0, 0, 1]);
    const badCoin = encodePath([0x8000002c, 0x8000003c, 0x80000000, 0, 1]);
    const badPurpose = encodePath([0x8000002d, 0x800001cd, 0x80000000, 0, 1]);
    for (const p of [notHardened, badCoin, badPurpose]) {
      const r = await sendApdu(app, 0x06, 0x01, 0, 0, p);
      assert.equal(r.sw, 0x6984);
      assert.equal(r.answer.length, 0);
    }
  });

  it('the path is little-endian: the big-endian encoding is refused', async () => {
    const { app } = walletWithZemuSeed();
    const be = new Uint8Array(20);
    PATH_ELEMENTS.forEach((e, i) => new DataView(be.buffer).setUint32(i * 4, e, false));
    assert.equal((await sendApdu(app, 0x06, 0x01, 0, 0, be)).sw, 0x6984);
  });
});

describe('chunked signing sessions (§1.6)', () => {
  it('P2 ≠ 0 and P1 ∉ {0,1,2} → 6B00', async () => {
    const { app } = walletWithZemuSeed();
    assert.equal((await sendApdu(app, 0x06, 0x02, 0, 1, PATH_BYTES)).sw, 0x6b00);
    assert.equal((await sendApdu(app, 0x06, 0x02, 3, 0, PATH_BYTES)).sw, 0x6b00);
    assert.equal((await sendApdu(app, 0x06, 0x07, 0, 2, PATH_BYTES)).sw, 0x6b00);
    assert.equal((await sendApdu(app, 0x06, 0x08, 0x80, 0, PATH_BYTES)).sw, 0x6b00);
  });

  it('ADD or LAST before INIT → 6987; LAST ends the session', async () => {
    const { app } = walletWithZemuSeed();
    for (const ins of [0x02, 0x07, 0x08]) {
      assert.equal((await sendApdu(app, 0x06, ins, 1, 0, new Uint8Array([1]))).sw, 0x6987);
      assert.equal((await sendApdu(app, 0x06, ins, 2, 0, new Uint8Array([1]))).sw, 0x6987);
    }
    const tx = unhex(TX.manualBasic);
    assert.equal((await sendApdu(app, 0x06, 0x02, 0, 0, PATH_BYTES)).sw, 0x9000);
    const done = await sendApdu(app, 0x06, 0x02, 2, 0, tx);
    assert.equal(done.sw, 0x9000);
    assert.equal((await sendApdu(app, 0x06, 0x02, 2, 0, tx)).sw, 0x6987, 'LAST cleared the session');
  });

  it('INIT answers 9000 with no data, ignores extra bytes, and validates the path', async () => {
    const { app } = walletWithZemuSeed();
    const init = await sendApdu(app, 0x06, 0x02, 0, 0, new Uint8Array([...PATH_BYTES, 0x8a, 0x00]));
    assert.deepEqual(init, { sw: 0x9000, answer: new Uint8Array(0) });
    // The extra bytes were not buffered: the message alone signs.
    assert.equal((await sendApdu(app, 0x06, 0x02, 2, 0, unhex(TX.manualBasic))).sw, 0x9000);
    assert.equal((await sendApdu(app, 0x06, 0x02, 0, 0, PATH_BYTES.subarray(0, 10))).sw, 0x6700);
    assert.equal((await sendApdu(app, 0x06, 0x02, 0, 0, encodePath([1, 2, 3, 4, 5]))).sw, 0x6984);
    assert.equal(
      (await sendApdu(app, 0x06, 0x02, 1, 0, new Uint8Array([1]))).sw,
      0x6987,
      'a failed INIT leaves no session',
    );
  });

  it('a chunk that overflows 16384 bytes → 6983 and drops the session', async () => {
    const { app } = walletWithZemuSeed();
    await sendApdu(app, 0x06, 0x02, 0, 0, PATH_BYTES);
    const chunk = new Uint8Array(255);
    for (let i = 0; i < 64; i++) assert.equal((await sendApdu(app, 0x06, 0x02, 1, 0, chunk)).sw, 0x9000); // 16320 bytes
    assert.equal((await sendApdu(app, 0x06, 0x02, 1, 0, chunk.subarray(0, 64))).sw, 0x9000); // exactly 16384
    assert.equal((await sendApdu(app, 0x06, 0x02, 1, 0, new Uint8Array(1))).sw, 0x6983);
    assert.equal((await sendApdu(app, 0x06, 0x02, 1, 0, new Uint8Array(1))).sw, 0x6987);
  });

  it('a session belongs to the INS that opened it', async () => {
    const { app } = walletWithZemuSeed();
    await sendApdu(app, 0x06, 0x02, 0, 0, PATH_BYTES);
    assert.equal((await sendApdu(app, 0x06, 0x07, 1, 0, new Uint8Array(30))).sw, 0x6987);
  });

  it('a message split into many chunks signs like one chunk', async () => {
    const review = new ScriptedReview();
    const { app } = walletWithZemuSeed({ review });
    const tx = unhex(TX.bytesParams);
    await sendApdu(app, 0x06, 0x02, 0, 0, PATH_BYTES);
    for (let i = 0; i < tx.length - 1; i++) await sendApdu(app, 0x06, 0x02, 1, 0, tx.subarray(i, i + 1));
    const split = await sendApdu(app, 0x06, 0x02, 2, 0, tx.subarray(tx.length - 1));
    await sendApdu(app, 0x06, 0x02, 0, 0, PATH_BYTES);
    const whole = await sendApdu(app, 0x06, 0x02, 2, 0, tx);
    assert.equal(split.sw, 0x9000);
    assert.equal(hex(split.answer), hex(whole.answer));
  });

  it('SIGN_RAW_BYTES first-chunk rules', async () => {
    const { app } = walletWithZemuSeed({ blindSigning: true });
    const prefix = new TextEncoder().encode('Filecoin Sign Bytes:\n');
    const text = async (data: Uint8Array, p1 = 2) => {
      await sendApdu(app, 0x06, 0x07, 0, 0, PATH_BYTES);
      const r = await sendApdu(app, 0x06, 0x07, p1, 0, data);
      return { sw: r.sw, text: Buffer.from(r.answer).toString('ascii') };
    };
    // 22 bytes after the varint are not enough (the C check counts the prefix's NUL).
    assert.deepEqual(await text(new Uint8Array([22, ...prefix, 1])), { sw: 0x6984, text: 'Unexpected buffer end' });
    assert.deepEqual(await text(new Uint8Array([0, ...prefix, 1, 2])), { sw: 0x6984, text: 'Unexpected buffer end' });
    assert.deepEqual(await text(new Uint8Array([23, ...new Uint8Array(23)])), {
      sw: 0x6984,
      text: 'Invalid raw-bytes prefix',
    });
    assert.deepEqual(await text(new Uint8Array([0x81, 0x80, 0x01, ...prefix, 1, 2])), {
      sw: 0x6984,
      text: 'Value out of range',
    });
    assert.deepEqual(await text(new Uint8Array([30, ...prefix, 1, 2])), { sw: 0x6984, text: 'No more data' });
    assert.equal((await text(new Uint8Array([23, ...prefix, 1, 2]))).sw, 0x9000);
  });

  it('SIGN_PERSONAL_MESSAGE length rules', async () => {
    const { app } = walletWithZemuSeed();
    const run = async (data: Uint8Array) => {
      await sendApdu(app, 0x06, 0x08, 0, 0, PATH_BYTES);
      const r = await sendApdu(app, 0x06, 0x08, 2, 0, data);
      return { sw: r.sw, text: Buffer.from(r.answer).toString('ascii') };
    };
    assert.deepEqual(await run(new Uint8Array([0, 0, 0])), { sw: 0x6984, text: 'Unexpected buffer end' });
    assert.deepEqual(await run(new Uint8Array([0, 0, 0, 3, 0x41, 0x42])), {
      sw: 0x6984,
      text: 'Unexpected buffer end',
    });
    assert.deepEqual(await run(new Uint8Array([0, 0, 0, 2, 0x41, 0x0a])), {
      sw: 0x6984,
      text: 'Blindsign Mode Required',
    });
    assert.equal((await run(new Uint8Array([0, 0, 0, 2, 0x41, 0x42]))).sw, 0x9000);
  });
});

describe('reviews', () => {
  it('any APDU during a pending review gets 6986; the review then completes', async () => {
    let release!: (o: ReviewOutcome) => void;
    const review = new ScriptedReview().next(() => new Promise<ReviewOutcome>((r) => (release = r)));
    const { app } = walletWithZemuSeed({ review });
    await sendApdu(app, 0x06, 0x02, 0, 0, PATH_BYTES);
    const pending = sendApdu(app, 0x06, 0x02, 2, 0, unhex(TX.manualBasic));
    await new Promise((r) => setImmediate(r));
    assert.equal(app.reviewPending, true);
    assert.equal((await send(app, '0600000000')).sw, 0x6986);
    assert.equal((await sendApdu(app, 0x06, 0x01, 0, 0, PATH_BYTES)).sw, 0x6986);
    assert.equal((await send(app, '')).sw, 0x6982, 'rx == 0 is checked before the review rule');
    release('approved');
    const done = await pending;
    assert.equal(done.sw, 0x9000);
    assert.equal(done.answer.length >= 65 + 70, true);
    assert.equal(app.reviewPending, false);
    assert.equal((await send(app, '0600000000')).sw, 0x9000);
  });

  it('a host that goes away takes the review down (6986) so the device does not stay stuck', async () => {
    const review = new ScriptedReview().next(() => new Promise<ReviewOutcome>(() => {}));
    const { app } = walletWithZemuSeed({ review });
    await sendApdu(app, 0x06, 0x02, 0, 0, PATH_BYTES);
    const host = new AbortController();
    const pending = app.exchange(encodeCommandApdu(0x06, 0x02, 2, 0, unhex(TX.manualBasic)), host.signal);
    await new Promise((r) => setImmediate(r));
    assert.equal(app.reviewPending, true);
    host.abort();
    assert.equal(parseResponseApdu(await pending).sw, 0x6986);
    assert.equal(app.reviewPending, false);
    assert.equal((await send(app, '0600000000')).sw, 0x9000);
  });

  it('review items of sign_basic (normal mode)', async () => {
    const review = new ScriptedReview();
    const { app } = walletWithZemuSeed({ review });
    await sendApdu(app, 0x06, 0x02, 0, 0, PATH_BYTES);
    await sendApdu(app, 0x06, 0x02, 2, 0, unhex(TX.signBasic));
    const req = review.requests[0]!;
    assert.equal(req.title, 'Sign Filecoin transaction');
    assert.deepEqual(
      req.items.map((i) => i.label),
      ['To', 'From', 'Value', 'Gas Limit', 'Gas Fee Cap', 'Method'],
    );
    const byLabel = Object.fromEntries(req.items.map((i) => [i.label, i.value]));
    assert.equal(byLabel['Value'], 'FIL 0.000000000000100000');
    assert.equal(byLabel['Gas Limit'], 'FIL 0.000000000000025000');
    assert.equal(byLabel['Gas Fee Cap'], 'FIL 0.000000000000002500');
    assert.equal(byLabel['Method'], 'Transfer');
    assert.match(byLabel['To']!, /^f3[a-z2-7]{84}$/);
  });
});

describe('unexpected errors', () => {
  it('become 6F00, are logged, and the app keeps answering', async () => {
    const logged: string[] = [];
    const app = new WalletApp({
      keyring: new Keyring(() => {
        throw new Error('vault unavailable');
      }),
      review: new ScriptedReview(),
      log: (m, e) => logged.push(`${m}: ${(e as Error).message}`),
    });
    assert.equal((await sendApdu(app, 0x06, 0x01, 0, 0, PATH_BYTES)).sw, 0x6f00);
    assert.equal(logged.length, 1);
    assert.match(logged[0]!, /vault unavailable/);
    assert.equal((await send(app, '0600000000')).sw, 0x9000);
  });

  it('a review port that throws is a 6F00, not a crash', async () => {
    const app = walletWithZemuSeed({
      review: {
        review: async () => {
          throw new Error('panel went away');
        },
      },
    }).app;
    await sendApdu(app, 0x06, 0x02, 0, 0, PATH_BYTES);
    assert.equal((await sendApdu(app, 0x06, 0x02, 2, 0, unhex(TX.manualBasic))).sw, 0x6f00);
    assert.equal(app.reviewPending, false);
  });
});
