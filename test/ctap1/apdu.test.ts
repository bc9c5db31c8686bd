/**
 * The CTAP1/U2F codec: ISO 7816-4 short and extended APDUs (every case, hand-written vectors and
 * fast-check), the status-word table against FIDO U2F Raw Message Formats v1.2 §3.3, the U2F
 * request decoders' status words, and response encoders against their parsers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeCommandApdu, decodeResponseApdu, encodeCommandApdu, encodeResponseApdu } from '../../src/ctap1/apdu.js';
import {
  authenticationSignedData,
  decodeAuthenticateResponse,
  decodeRegisterResponse,
  decodeU2fRequest,
  encodeAuthenticateResponse,
  encodeRegisterResponse,
  registrationSignedData,
  U2fAuthControl,
  U2fIns,
} from '../../src/ctap1/messages.js';
import { Ctap1Error, StatusWord } from '../../src/ctap1/statusWords.js';
import { fromHex, toHex } from '../../src/encoding/bytes.js';

const swOf = (fn: () => unknown): number => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof Ctap1Error, `Ctap1Error, got ${String(e)}`);
    return e.sw;
  }
  return StatusWord.SW_NO_ERROR;
};

describe('status words', () => {
  it('carry the values of U2F v1.2 §3.3 and ISO 7816-4', () => {
    assert.deepEqual(StatusWord, {
      SW_NO_ERROR: 0x9000,
      SW_CONDITIONS_NOT_SATISFIED: 0x6985,
      SW_WRONG_DATA: 0x6a80,
      SW_WRONG_LENGTH: 0x6700,
      SW_CLA_NOT_SUPPORTED: 0x6e00,
      SW_INS_NOT_SUPPORTED: 0x6d00,
      SW_NOT_ENOUGH_MEMORY: 0x6a84,
      SW_UNKNOWN: 0x6f00,
    });
    assert.match(new Ctap1Error(0x6985, 'x').message, /SW_CONDITIONS_NOT_SATISFIED: x/);
  });
});

describe('command APDU decoding', () => {
  const data3 = fromHex('aabbcc');
  const cases: Array<[string, string, { data: string; ne: number; extended: boolean }]> = [
    ['case 1', '00030000', { data: '', ne: 0, extended: false }],
    ['case 2S', '0003000010', { data: '', ne: 16, extended: false }],
    ['case 2S, Le 00 = 256', '0003000000', { data: '', ne: 256, extended: false }],
    ['case 3S', '0001000003aabbcc', { data: 'aabbcc', ne: 0, extended: false }],
    ['case 4S', '0001000003aabbcc00', { data: 'aabbcc', ne: 256, extended: false }],
    ['case 2E', '00030000000100', { data: '', ne: 256, extended: true }],
    ['case 2E, Le 0000 = 65536', '00030000000000', { data: '', ne: 65536, extended: true }],
    ['case 3E', '00010000000003aabbcc', { data: 'aabbcc', ne: 0, extended: true }],
    ['case 4E', '00010000000003aabbcc0000', { data: 'aabbcc', ne: 65536, extended: true }],
    [
      'U2F leniency: Lc 0000 then Le (python-fido2 U2F_VERSION)',
      '000300000000000000',
      { data: '', ne: 65536, extended: true },
    ],
  ];
  for (const [name, hex, want] of cases) {
    it(name, () => {
      const a = decodeCommandApdu(fromHex(hex));
      assert.deepEqual({ data: toHex(a.data), ne: a.ne, extended: a.extended }, want);
      assert.equal(a.cla, 0);
    });
  }

  it('header fields', () => {
    const a = decodeCommandApdu(fromHex('80020703'));
    assert.deepEqual([a.cla, a.ins, a.p1, a.p2], [0x80, 0x02, 0x07, 0x03]);
    assert.deepEqual(decodeCommandApdu(encodeCommandApdu({ ins: 1, data: data3 }, 'short')).data, data3);
  });

  const bad = [
    '',
    '00',
    '000300',
    '000100000300',
    '0001000003aabb',
    '0001000003aabbccdd00',
    '000300000000',
    '00010000000003aabb',
    '00010000000003aabbcc00',
    '0003000000000000',
  ];
  for (const hex of bad) {
    it(`wrong length: ${hex || '(empty)'}`, () =>
      assert.equal(
        swOf(() => decodeCommandApdu(fromHex(hex))),
        StatusWord.SW_WRONG_LENGTH,
      ));
  }

  it('encode then decode is the identity (short and extended, with and without Le)', () => {
    const cmd = fc.record({
      cla: fc.integer({ min: 0, max: 255 }),
      ins: fc.integer({ min: 0, max: 255 }),
      p1: fc.integer({ min: 0, max: 255 }),
      p2: fc.integer({ min: 0, max: 255 }),
    });
    fc.assert(
      fc.property(
        cmd,
        fc.boolean(),
        fc.uint8Array({ maxLength: 600 }),
        fc.option(fc.integer({ min: 1, max: 65536 }), { nil: undefined }),
        (h, short, data, ne) => {
          const form = short && data.length <= 255 ? 'short' : 'extended';
          const n = ne === undefined ? undefined : form === 'short' ? ((ne - 1) % 256) + 1 : ne;
          const a = decodeCommandApdu(encodeCommandApdu({ ...h, data, ...(n !== undefined && { ne: n }) }, form));
          assert.deepEqual([a.cla, a.ins, a.p1, a.p2], [h.cla, h.ins, h.p1, h.p2]);
          assert.deepEqual(a.data, data);
          assert.equal(a.ne, n ?? 0);
          assert.equal(a.extended, form === 'extended' && (data.length > 0 || n !== undefined));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('random bytes decode or give SW_WRONG_LENGTH, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        let apdu;
        try {
          apdu = decodeCommandApdu(bytes);
        } catch (e) {
          assert.ok(e instanceof Ctap1Error);
          assert.equal(e.sw, StatusWord.SW_WRONG_LENGTH);
          return;
        }
        // What decodes accounts for every byte: header, length fields, data and Le.
        const lengthBytes = bytes.length - 4 - apdu.data.length;
        assert.ok([0, 1, 2, 3, 5].includes(lengthBytes), `length fields take ${lengthBytes} bytes`);
      }),
      { numRuns: 2000 },
    );
  });

  it('random and mutated U2F requests give only U2F status words', () => {
    const valid = [
      encodeCommandApdu({ ins: U2fIns.U2F_VERSION }),
      encodeCommandApdu({ ins: U2fIns.U2F_REGISTER, data: new Uint8Array(64), ne: 65536 }),
      encodeCommandApdu(
        { ins: U2fIns.U2F_AUTHENTICATE, p1: 3, data: new Uint8Array([...new Uint8Array(64), 2, 9, 9]) },
        'short',
      ),
    ];
    const mutated = fc
      .tuple(
        fc.constantFrom(...valid),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.nat({ max: 3 }),
      )
      .map(([v, edits, cut]) => {
        const b = v.slice(0, Math.max(0, v.length - cut));
        for (const [i, x] of edits) if (b.length > 0) b[i % b.length] = x;
        return b;
      });
    const allowed = new Set<number>([
      StatusWord.SW_NO_ERROR,
      StatusWord.SW_WRONG_LENGTH,
      StatusWord.SW_WRONG_DATA,
      StatusWord.SW_CLA_NOT_SUPPORTED,
      StatusWord.SW_INS_NOT_SUPPORTED,
    ]);
    fc.assert(
      fc.property(fc.oneof(mutated, fc.uint8Array({ maxLength: 80 })), (bytes) => {
        assert.ok(allowed.has(swOf(() => decodeU2fRequest(decodeCommandApdu(bytes)))));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('U2F request decoding', () => {
  const apdu = (hex: string) => decodeCommandApdu(fromHex(hex));
  const chal = '11'.repeat(32);
  const app = '22'.repeat(32);

  it('VERSION, REGISTER and AUTHENTICATE with each control byte', () => {
    assert.deepEqual(decodeU2fRequest(apdu('00030000')), { kind: 'version' });
    const reg = decodeU2fRequest(decodeCommandApdu(encodeCommandApdu({ ins: 1, p1: 3, data: fromHex(chal + app) })));
    assert.deepEqual(reg, { kind: 'register', challenge: fromHex(chal), application: fromHex(app) });
    for (const [control, p1] of Object.entries(U2fAuthControl)) {
      const req = decodeU2fRequest(
        decodeCommandApdu(encodeCommandApdu({ ins: 2, p1, data: fromHex(chal + app + '03abcdef') }, 'short')),
      );
      assert.deepEqual(req, {
        kind: 'authenticate',
        control,
        challenge: fromHex(chal),
        application: fromHex(app),
        keyHandle: fromHex('abcdef'),
      });
    }
  });

  it('answers the spec status words for bad requests', () => {
    const sw = (cmd: Parameters<typeof encodeCommandApdu>[0]) =>
      swOf(() => decodeU2fRequest(decodeCommandApdu(encodeCommandApdu(cmd))));
    assert.equal(sw({ cla: 0x80, ins: 3 }), StatusWord.SW_CLA_NOT_SUPPORTED);
    assert.equal(sw({ ins: 0x04 }), StatusWord.SW_INS_NOT_SUPPORTED);
    assert.equal(sw({ ins: 0xc0 }), StatusWord.SW_INS_NOT_SUPPORTED);
    assert.equal(sw({ ins: 3, data: new Uint8Array(1) }), StatusWord.SW_WRONG_LENGTH);
    assert.equal(sw({ ins: 1, data: new Uint8Array(63) }), StatusWord.SW_WRONG_LENGTH);
    assert.equal(sw({ ins: 1, data: new Uint8Array(65) }), StatusWord.SW_WRONG_LENGTH);
    assert.equal(sw({ ins: 2, p1: 3, data: new Uint8Array(64) }), StatusWord.SW_WRONG_LENGTH);
    assert.equal(sw({ ins: 2, p1: 3, data: fromHex(chal + app + '0201') }), StatusWord.SW_WRONG_LENGTH);
    assert.equal(sw({ ins: 2, p1: 3, data: fromHex(chal + app + '01aabb') }), StatusWord.SW_WRONG_LENGTH);
    assert.equal(sw({ ins: 2, p1: 0, data: fromHex(chal + app + '01aa') }), StatusWord.SW_WRONG_DATA);
    assert.equal(sw({ ins: 2, p1: 0x04, data: fromHex(chal + app + '01aa') }), StatusWord.SW_WRONG_DATA);
  });
});

describe('responses', () => {
  it('response APDU round trip', () => {
    assert.equal(toHex(encodeResponseApdu(fromHex('5532'), 0x9000)), '55329000');
    assert.deepEqual(decodeResponseApdu(fromHex('6985')), { data: new Uint8Array(0), sw: 0x6985 });
  });

  it('registration response layout (§4.3) and its parser', () => {
    const cert = fromHex('3082000a' + '01'.repeat(10)); // a DER SEQUENCE with a two-byte length
    const r = {
      userPublicKey: fromHex('04' + 'ab'.repeat(64)),
      keyHandle: fromHex('cafe'),
      attestationCertificate: cert,
      signature: fromHex('3006020101020101'),
    };
    const bytes = encodeRegisterResponse(r);
    assert.equal(toHex(bytes.subarray(0, 2)), '0504');
    assert.equal(bytes[66], 2);
    assert.deepEqual(decodeRegisterResponse(bytes), r);
    const short = { ...r, attestationCertificate: fromHex('3003020101') };
    assert.deepEqual(decodeRegisterResponse(encodeRegisterResponse(short)), short);
  });

  it('signed data of §4.3 and §5.4', () => {
    const app = new Uint8Array(32).fill(0xa1);
    const chal = new Uint8Array(32).fill(0xc1);
    const reg = registrationSignedData(app, chal, fromHex('0102'), new Uint8Array(65).fill(4));
    assert.equal(toHex(reg), '00' + 'a1'.repeat(32) + 'c1'.repeat(32) + '0102' + '04'.repeat(65));
    assert.equal(
      toHex(authenticationSignedData(app, 1, 0x01020304, chal)),
      'a1'.repeat(32) + '01' + '01020304' + 'c1'.repeat(32),
    );
  });

  it('authentication response layout (§5.4) and its parser', () => {
    const r = { userPresence: 1, counter: 0xfffffffe, signature: fromHex('300602010102010a') };
    const bytes = encodeAuthenticateResponse(r);
    assert.equal(toHex(bytes.subarray(0, 5)), '01fffffffe');
    assert.deepEqual(decodeAuthenticateResponse(bytes), r);
  });
});
