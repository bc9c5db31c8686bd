/**
 * The Filecoin message parser (§4.1) and review items (§4.2): the spec's samples, its rejections,
 * and fast-check properties with cbor2 as an independent encoder.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { encode } from 'cbor2';
import { encodeLeb128, formatAddress } from '../../src/wallet/address.js';
import {
  bigIntValue,
  encodeBigInt,
  parseFilecoinMessage,
  type FilecoinMessage,
} from '../../src/wallet/filecoinMessage.js';
import { fixedPoint, formatFil, messageReviewItems } from '../../src/wallet/reviewItems.js';
import { ApduError, PARSER_ERROR, SW } from '../../src/wallet/statusWords.js';
import { hex, TX, unhex } from './helpers.js';

const ERROR_TEXTS = new Set<string>(Object.values(PARSER_ERROR));

function parseError(bytes: Uint8Array): string | undefined {
  try {
    parseFilecoinMessage(bytes);
    return undefined;
  } catch (e) {
    assert.ok(e instanceof ApduError, `only ApduError escapes the parser, got ${String(e)}`);
    assert.equal(e.sw, SW.DATA_INVALID);
    assert.ok(e.text && ERROR_TEXTS.has(e.text), `error text "${e.text}" is one of the spec's`);
    return e.text;
  }
}

/** Parse + render, as the device validates before reviewing. */
function validate(bytes: Uint8Array, expert = false): string | undefined {
  try {
    messageReviewItems(parseFilecoinMessage(bytes), 'mainnet', expert);
    return undefined;
  } catch (e) {
    assert.ok(e instanceof ApduError, `only ApduError escapes, got ${String(e)}`);
    assert.ok(e.text && ERROR_TEXTS.has(e.text), `error text "${e.text}" is one of the spec's`);
    return e.text;
  }
}

describe('parser: the spec samples', () => {
  it('sign_basic fields', () => {
    const m = parseFilecoinMessage(unhex(TX.signBasic));
    assert.equal(m.version, 0n);
    assert.equal(m.to[0], 3);
    assert.equal(m.to.length, 49);
    assert.equal(m.nonce, 1n);
    assert.equal(bigIntValue(m.value), 100000n);
    assert.equal(m.gasLimit, 25000n);
    assert.equal(bigIntValue(m.gasFeeCap), 2500n);
    assert.equal(bigIntValue(m.gasPremium), 0n);
    assert.equal(m.method, 0n);
    assert.deepEqual(m.params, { kind: 'none' });
  });

  it('manual basic: addresses render as in manual.json', () => {
    const m = parseFilecoinMessage(unhex(TX.manualBasic));
    assert.equal(formatAddress(m.to), 'f17uoq6tp427uzv7fztkbsnn64iwotfrristwpryy');
    assert.equal(formatAddress(m.from), 'f1xcbgdhkgkwht3hrrnui3jdopeejsoas2rujnkdi');
  });

  it('proposal: params is a 4-element array', () => {
    const m = parseFilecoinMessage(unhex(TX.proposal));
    assert.equal(m.method, 2n);
    assert.equal(m.params.kind, 'array');
    assert.equal(m.params.kind === 'array' && m.params.count, 4);
    const items = messageReviewItems(m, 'testnet', true);
    const params = items.filter((i) => i.label.startsWith('Params'));
    assert.deepEqual(
      params.map((p) => p.label),
      ['Params |1|', 'Params |2|', 'Params |3|', 'Params |4|'],
    );
    assert.equal(params[0]!.value, '01dfe49184d46adc8f89d44638beb45f78fcad2590');
    assert.equal(params[1]!.value, '0003e8');
    assert.equal(params[2]!.value, '0');
    assert.equal(params[3]!.value, '-- EMPTY --');
    assert.equal(items.find((i) => i.label === 'Nonce')!.value, '1');
    assert.equal(items.find((i) => i.label === 'Method')!.value, '2');
    assert.match(items.find((i) => i.label === 'To')!.value, /^t0/);
  });

  it('change owner: a byte-string param that is an address renders as one', () => {
    const m = parseFilecoinMessage(unhex(TX.changeOwner));
    assert.equal(m.method, 23n);
    const items = messageReviewItems(m, 'mainnet', false);
    assert.deepEqual(items.at(-1), { label: 'Params |1|', value: formatAddress(unhex('00f59c53')) });
    assert.deepEqual(
      items.find((i) => i.label === 'Method'),
      { label: 'Method', value: '23' },
    );
    assert.equal(formatAddress(unhex('009601')), 'f0150');
  });

  it('protocol 4: each f4 address is preceded by its 0x form', () => {
    const items = messageReviewItems(parseFilecoinMessage(unhex(TX.protocol4)), 'mainnet', false);
    assert.deepEqual(items.slice(0, 4), [
      { label: 'To', value: '0xd4224267c4ab4a184bd1aa066b3361e70efbbeaf' },
      { label: 'To', value: 'f410f2qreez6evnfbqs6rvidgwm3b44hpxpvpeuoddga' },
      { label: 'From', value: '0xd4224267c4ab4a184bd1aa066b3361e70efbbeaf' },
      { label: 'From', value: 'f410f2qreez6evnfbqs6rvidgwm3b44hpxpvpeuoddga' },
    ]);
  });

  it('params "hello world" (raw bytes, not CBOR) render as text; a CBOR byte string as hex', () => {
    const m = parseFilecoinMessage(unhex(TX.bytesParams));
    assert.equal(m.params.kind, 'raw');
    assert.deepEqual(messageReviewItems(m, 'mainnet', false).at(-1), { label: 'Params |1|', value: 'hello world' });
    const wrapped = parseFilecoinMessage(unhex(`${TX.manualBasic.slice(0, -2)}4c4b68656c6c6f20776f726c64`));
    assert.equal(wrapped.params.kind, 'bytes');
    assert.deepEqual(messageReviewItems(wrapped, 'mainnet', false).at(-1), {
      label: 'Params |1|',
      value: hex(new TextEncoder().encode('hello world')),
    });
    const binary = parseFilecoinMessage(unhex(`${TX.manualBasic.slice(0, -2)}4318ff01`));
    assert.equal(binary.params.kind, 'raw');
    assert.deepEqual(messageReviewItems(binary, 'mainnet', false).at(-1), { label: 'Params |1|', value: '18ff01' });
  });

  it('InvokeEVM: method name and 1 FIL value', () => {
    const items = messageReviewItems(parseFilecoinMessage(unhex(TX.invokeEvm)), 'mainnet', true);
    assert.equal(items.find((i) => i.label === 'Method')!.value, 'Invoke EVM');
    assert.equal(items.find((i) => i.label === 'Value')!.value, 'FIL 1.000000000000000000');
  });
});

describe('parser: rejections (§4.1, §5)', () => {
  const cases: Array<[string, string, string]> = [
    ['empty buffer', '', 'Initialized empty context'],
    ['not an array', 'a0', 'Unexpected data type'],
    ['8 elements', '880000000000000000', 'Unexpected number of items'],
    ['11 elements', `8b${TX.manualBasic.slice(2)}40`, 'Unexpected number of items'],
    [
      '9 elements (spec sample)',
      '890055026d21137eb4c4814269e894d296cf6500e43cd7145502e0c7c75f82d55e5ed55db28033630df4274a984f0144000186a0430009c41961a8004031',
      'Unexpected data type',
    ],
    ['version as bytes', `8a40${TX.manualBasic.slice(4)}`, 'Unexpected data type'],
    ['truncated', TX.manualBasic.slice(0, 40), 'Unexpected CBOR EOF'],
    ['reserved additional info', `8a1c${TX.manualBasic.slice(4)}`, 'unexpected CBOR error'],
    ['indefinite array', `9f${TX.manualBasic.slice(2)}ff`, 'unexpected CBOR error'],
    ['trailing bytes', `${TX.manualBasic}0000`, 'Unexpected CBOR EOF'],
    ['gas limit beyond int64', TX.manualBasic.replace('1961a8', '1bffffffffffffffff'), 'unexpected CBOR error'],
    ['negative nonce', TX.manualBasic.replace('5a01', '5a20'), 'Unexpected data type'],
    [
      'empty to address',
      TX.manualBasic.replace('5501fd1d0f4dfcd7e99afcb99a8326b7dc459d32c628', '40'),
      'Invalid address format',
    ],
    [
      '1-byte address',
      TX.manualBasic.replace('5501fd1d0f4dfcd7e99afcb99a8326b7dc459d32c628', '4101'),
      'Invalid address format',
    ],
    [
      'f0 with 21-byte payload',
      TX.manualBasic.replace('5501fd1d0f4dfcd7e99afcb99a8326b7dc459d32c628', `5600${'81'.repeat(20)}01`),
      'Invalid address format',
    ],
    [
      'f4 without subaddress',
      TX.manualBasic.replace('5501fd1d0f4dfcd7e99afcb99a8326b7dc459d32c628', '42040a'),
      'Invalid address format',
    ],
    [
      'address longer than 64 bytes',
      TX.manualBasic.replace('5501fd1d0f4dfcd7e99afcb99a8326b7dc459d32c628', `5841${'00'.repeat(65)}`),
      'unexpected CBOR error',
    ],
    [
      'params longer than 1256 bytes',
      `${TX.manualBasic.slice(0, -2)}5904e9${'00'.repeat(1257)}`,
      'Unexpected number of items',
    ],
    ['params as a text string', `${TX.manualBasic.slice(0, -2)}60`, 'Unexpected data type'],
    [
      'params array of 255 elements',
      `${TX.manualBasic.slice(0, -2)}59010198ff${'00'.repeat(255)}`,
      'Value out of range',
    ],
    ['tagged nonce', TX.manualBasic.replace('5a01', '5ac001'), 'Unexpected data type'],
  ];
  for (const [name, txHex, text] of cases) {
    it(`${name} → "${text}"`, () => {
      assert.equal(parseError(unhex(txHex)), text);
    });
  }

  it('render failures reject too: an f4 To with a non-20-byte subaddress', () => {
    const tx = TX.protocol4.replace('56040ad4224267c4ab4a184bd1aa066b3361e70efbbeaf', '43040a01');
    assert.equal(parseError(unhex(tx)), undefined);
    assert.equal(validate(unhex(tx)), 'Unexpected internal error');
  });

  it('render failures: a value longer than 64 bytes', () => {
    const tx = TX.manualBasic.replace('44000186a0', `5841${'00'.repeat(64)}01`);
    assert.equal(parseError(unhex(tx)), undefined);
    assert.equal(validate(unhex(tx)), 'Value out of range');
  });

  it('render failures: a byte-string param that passes the address check but does not format', () => {
    const tx = `${TX.manualBasic.slice(0, -2)}43420080`;
    assert.equal(parseError(unhex(tx)), undefined);
    assert.equal(validate(unhex(tx)), 'Invalid address format');
  });

  it('accepts what TinyCBOR accepts: non-minimal heads and chunked byte strings', () => {
    const nonMinimal = `8a1800${TX.manualBasic.slice(4)}`;
    assert.equal(parseFilecoinMessage(unhex(nonMinimal)).version, 0n);
    const chunked = TX.manualBasic.replace(
      '5501fd1d0f4dfcd7e99afcb99a8326b7dc459d32c628',
      '5f4201fd531d0f4dfcd7e99afcb99a8326b7dc459d32c628ff',
    );
    assert.equal(hex(parseFilecoinMessage(unhex(chunked)).to), '01fd1d0f4dfcd7e99afcb99a8326b7dc459d32c628');
  });
});

describe('amount formatting', () => {
  it('FIL with 18 untrimmed decimals', () => {
    assert.equal(formatFil(100000n), 'FIL 0.000000000000100000');
    assert.equal(formatFil(0n), 'FIL 0.000000000000000000');
    assert.equal(formatFil(10n ** 18n), 'FIL 1.000000000000000000');
    assert.equal(formatFil(-25000n), 'FIL -0.000000000000025000');
    assert.equal(fixedPoint(123456789n, 3), '123456.789');
  });
  it('bigint bytes round-trip', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 512n) - 1n }), (v) => {
        const b = encodeBigInt(v);
        assert.equal(bigIntValue(b), v);
        if (v > 0n) assert.equal(b[0], 0);
      }),
    );
  });
});

// --- properties -----------------------------------------------------------------------------

const uint64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const int64 = fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });
const address = fc.oneof(
  uint64.map((id) => Uint8Array.of(0, ...encodeLeb128(id))),
  fc.uint8Array({ minLength: 20, maxLength: 20 }).map((p) => Uint8Array.of(1, ...p)),
  fc.uint8Array({ minLength: 20, maxLength: 20 }).map((p) => Uint8Array.of(2, ...p)),
  fc.uint8Array({ minLength: 48, maxLength: 48 }).map((p) => Uint8Array.of(3, ...p)),
  fc.uint8Array({ minLength: 20, maxLength: 20 }).map((p) => Uint8Array.of(4, 10, ...p)),
);
const bigintBytes = fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }).map(encodeBigInt);
const params = fc.oneof(
  fc.constant(new Uint8Array(0)),
  fc
    .array(fc.oneof(fc.integer(), fc.string(), fc.uint8Array({ maxLength: 30 })), { maxLength: 6 })
    .map((a) => encode(a)),
  // A byte string whose first byte is 0..4 is displayed as an address when it parses as one (and
  // rejected when it then fails to format, see the render-failure tests), so keep clear of those.
  fc
    .uint8Array({ maxLength: 40 })
    .filter((b) => b.length === 0 || b[0]! > 4)
    .map((b) => encode(b)),
);

interface Fields {
  to: Uint8Array;
  from: Uint8Array;
  nonce: bigint;
  value: Uint8Array;
  gasLimit: bigint;
  gasFeeCap: Uint8Array;
  gasPremium: Uint8Array;
  method: bigint;
  params: Uint8Array;
}
const fields: fc.Arbitrary<Fields> = fc.record({
  to: address,
  from: address,
  nonce: uint64,
  value: bigintBytes,
  gasLimit: int64,
  gasFeeCap: bigintBytes,
  gasPremium: bigintBytes,
  method: uint64,
  params,
});

function encodeMessage(f: Fields): Uint8Array {
  return encode([0, f.to, f.from, f.nonce, f.value, f.gasLimit, f.gasFeeCap, f.gasPremium, f.method, f.params]);
}

function sameFields(m: FilecoinMessage, f: Fields): void {
  assert.equal(hex(m.to), hex(f.to));
  assert.equal(hex(m.from), hex(f.from));
  assert.equal(m.nonce, f.nonce);
  assert.equal(hex(m.value), hex(f.value));
  assert.equal(m.gasLimit, f.gasLimit);
  assert.equal(hex(m.gasFeeCap), hex(f.gasFeeCap));
  assert.equal(hex(m.gasPremium), hex(f.gasPremium));
  assert.equal(m.method, f.method);
  assert.equal(hex(m.paramsBytes), hex(f.params));
}

describe('parser properties (fast-check, cbor2 as the encoder)', () => {
  it('every well-formed message parses to its fields and renders', () => {
    fc.assert(
      fc.property(fields, (f) => {
        const bytes = encodeMessage(f);
        const m = parseFilecoinMessage(bytes);
        sameFields(m, f);
        const items = messageReviewItems(m, 'mainnet', true);
        assert.ok(items.some((i) => i.label === 'Value' && i.value === formatFil(bigIntValue(f.value))));
      }),
      { numRuns: 300 },
    );
  });

  it('mutated, truncated or extended messages give only the spec error texts', () => {
    const mutation = fc.record({
      f: fields,
      edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      cut: fc.option(fc.nat()),
      tail: fc.uint8Array({ maxLength: 3 }),
    });
    fc.assert(
      fc.property(mutation, ({ f, edits, cut, tail }) => {
        let bytes = encodeMessage(f);
        for (const [pos, b] of edits) bytes[pos % bytes.length] = b;
        if (cut !== null) bytes = bytes.subarray(0, cut % (bytes.length + 1));
        bytes = Uint8Array.of(...bytes, ...tail);
        validate(bytes, false);
        validate(bytes, true);
      }),
      { numRuns: 1000 },
    );
  });

  it('random bytes give only the spec error texts', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        validate(bytes);
      }),
      { numRuns: 1000 },
    );
  });

  it('random CBOR params (any shape) give only the spec error texts', () => {
    const cborValue = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.integer(),
        fc.bigInt({ min: -(1n << 64n), max: (1n << 64n) - 1n }),
        fc.string(),
        fc.uint8Array({ maxLength: 30 }),
        fc.boolean(),
        fc.constant(null),
        fc.constant(undefined),
        fc.double(),
        fc.array(tie('v'), { maxLength: 4 }),
        fc.dictionary(fc.string({ maxLength: 4 }), tie('v'), { maxKeys: 3 }),
      ),
    })).v;
    fc.assert(
      fc.property(fields, cborValue, (f, v) => {
        validate(encodeMessage({ ...f, params: encode(v) }));
      }),
      { numRuns: 500 },
    );
  });
});
