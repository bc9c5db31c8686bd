/**
 * Robustness of CTAP2 decoding (architecture habit 3, issue #3 "Robustness"): random bytes, random
 * canonical CBOR and structurally mutated valid requests, into every request decoder in
 * src/ctap2/ and through the whole dispatcher with a real authenticator, yield only a
 * CtapError with a status of the CTAP 2.1 §8.2 table: never another exception, never
 * CTAP1_ERR_OTHER. A guard fails when a decoder is added to src/ctap2/ without a row here.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createAuthenticator } from '../../src/authenticator/authenticator.js';
import { defaultConfig } from '../../src/authenticator/config.js';
import { Command } from '../../src/ctap2/commands.js';
import { dispatchCtap2 } from '../../src/ctap2/dispatch.js';
import { encodeGetAssertionRequest, decodeGetAssertionRequest } from '../../src/ctap2/getAssertion.js';
import { encodeMakeCredentialRequest, decodeMakeCredentialRequest } from '../../src/ctap2/makeCredential.js';
import { decodeAuthenticatorConfigRequest } from '../../src/ctap2/authenticatorConfig.js';
import { decodeGetInfoRequest } from '../../src/ctap2/getInfo.js';
import { decodeClientPinRequest } from '../../src/ctap2/clientPin.js';
import { decodeCredentialManagementRequest } from '../../src/ctap2/credentialManagement.js';
import { EXTENSIONS } from '../../src/authenticator/extensions/list.js';
import { decodeExtensionInputs, decodeHmacSecretInput } from '../../src/ctap2/extensions.js';
import { decodeLargeBlobsRequest } from '../../src/ctap2/largeBlobs.js';
import { CtapError, Status, statusName } from '../../src/ctap2/status.js';
import { decode, encode, type CborMap, type CborValue, type Encodable } from '../../src/encoding/cbor.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { testContext, testEnv } from '../helpers/env.js';

const h = (s: string) => new Uint8Array(createHash('sha256').update(s).digest());
const bytes = (n: number, fill = 0xab) => new Uint8Array(n).fill(fill);
const coseKey = new Map<number, Encodable>([
  [1, 2],
  [3, -25],
  [-1, 1],
  [-2, bytes(32, 1)],
  [-3, bytes(32, 2)],
]);
const descriptor = { id: bytes(64, 7), type: 'public-key' };

const mcExtensions = new Map<string, Encodable>([
  ['credProtect', 2],
  ['credBlob', bytes(16)],
  ['largeBlobKey', true],
  ['minPinLength', true],
  ['hmac-secret', true],
  ['thirdPartyPayment', true],
]);
const gaExtensions = new Map<string, Encodable>([
  ['credBlob', true],
  ['largeBlobKey', true],
  [
    'hmac-secret',
    new Map<number, Encodable>([
      [1, coseKey],
      [2, bytes(48)],
      [3, bytes(16)],
      [4, 2],
    ]),
  ],
  ['thirdPartyPayment', true],
]);

/** Valid (or nearly valid) requests of each command, the seeds of the mutations. */
const makeCredential = decode(
  encodeMakeCredentialRequest({
    clientDataHash: h('cd'),
    rp: { id: 'example.com', name: 'Example' },
    user: { id: bytes(8), name: 'alice', displayName: 'Alice' },
    pubKeyCredParams: [
      { type: 'public-key', alg: -7 },
      { type: 'public-key', alg: -8 },
    ],
    excludeList: [descriptor],
    extensions: mcExtensions,
    options: { rk: true, uv: false },
    pinUvAuthParam: bytes(32),
    pinUvAuthProtocol: 2,
    enterpriseAttestation: 1,
  }).subarray(1),
) as CborMap;
const getAssertion = decode(
  encodeGetAssertionRequest({
    rpId: 'example.com',
    clientDataHash: h('cd'),
    allowList: [descriptor],
    extensions: gaExtensions,
    options: { up: true },
    pinUvAuthParam: bytes(16),
    pinUvAuthProtocol: 1,
  }).subarray(1),
) as CborMap;
const m = (entries: Array<[number, Encodable]>) => new Map<number, Encodable>(entries);
const clientPin = [
  m([
    [1, 2],
    [2, 1],
  ]),
  m([
    [1, 2],
    [2, 2],
  ]),
  m([
    [1, 1],
    [2, 3],
    [3, coseKey],
    [4, bytes(16)],
    [5, bytes(64)],
  ]),
  m([
    [1, 2],
    [2, 4],
    [3, coseKey],
    [4, bytes(32)],
    [5, bytes(80)],
    [6, bytes(32)],
  ]),
  m([
    [1, 2],
    [2, 9],
    [3, coseKey],
    [6, bytes(32)],
    [9, 0x3f],
    [10, 'example.com'],
  ]),
  m([
    [1, 2],
    [2, 6],
    [3, coseKey],
    [9, 1],
    [10, 'example.com'],
  ]),
];
const credentialManagement = [
  m([
    [1, 1],
    [3, 2],
    [4, bytes(32)],
  ]),
  m([
    [1, 2],
    [3, 1],
    [4, bytes(16)],
  ]),
  m([[1, 3]]),
  m([
    [1, 4],
    [2, m([[1, h('example.com')]])],
    [3, 2],
    [4, bytes(32)],
  ]),
  m([
    [1, 6],
    [2, m([[2, descriptor]])],
    [3, 2],
    [4, bytes(32)],
  ]),
  m([
    [1, 7],
    [
      2,
      m([
        [2, descriptor],
        [3, { id: bytes(8), name: 'bob', displayName: 'Bob' }],
      ]),
    ],
    [3, 2],
    [4, bytes(32)],
  ]),
];
const largeBlobs = [
  m([
    [1, 1024],
    [3, 0],
  ]),
  m([
    [2, bytes(64)],
    [3, 0],
    [4, 81],
    [5, bytes(32)],
    [6, 2],
  ]),
  m([
    [2, bytes(17)],
    [3, 64],
  ]),
];
const config = [
  m([
    [1, 1],
    [3, 2],
    [4, bytes(32)],
  ]),
  m([
    [1, 2],
    [3, 1],
    [4, bytes(16)],
  ]),
  m([
    [1, 3],
    [
      2,
      m([
        [1, 6],
        [2, ['example.com', 'rp.test']],
        [3, true],
      ]),
    ],
    [3, 2],
    [4, bytes(32)],
  ]),
];

type Decoder = { name: string; seeds: CborValue[]; decode: (v: CborValue) => unknown };
const fromBytes = (fn: (p: Uint8Array) => unknown) => (v: CborValue) => fn(v instanceof Uint8Array ? v : encode(v));
const fromMap = (fn: (m: CborMap) => unknown) => (v: CborValue) => fn(v as CborMap);
const toValue = (e: Encodable) => decode(encode(e));

const DECODERS: Decoder[] = [
  {
    name: 'decodeMakeCredentialRequest',
    seeds: [makeCredential],
    decode: fromBytes((p) => decodeMakeCredentialRequest(p)),
  },
  { name: 'decodeGetAssertionRequest', seeds: [getAssertion], decode: fromBytes((p) => decodeGetAssertionRequest(p)) },
  { name: 'decodeGetInfoRequest', seeds: [new Map()], decode: fromBytes(decodeGetInfoRequest) },
  { name: 'decodeClientPinRequest', seeds: clientPin.map(toValue), decode: fromBytes(decodeClientPinRequest) },
  {
    name: 'decodeCredentialManagementRequest',
    seeds: credentialManagement.map(toValue),
    decode: fromBytes(decodeCredentialManagementRequest),
  },
  { name: 'decodeLargeBlobsRequest', seeds: largeBlobs.map(toValue), decode: fromBytes(decodeLargeBlobsRequest) },
  {
    name: 'decodeAuthenticatorConfigRequest',
    seeds: config.map(toValue),
    decode: fromBytes(decodeAuthenticatorConfigRequest),
  },
  // The extension list's decoders (src/authenticator/extensions/list.ts), for both commands.
  {
    name: 'decodeExtensionInputs',
    seeds: [toValue(mcExtensions), toValue(gaExtensions)],
    decode: fromMap(
      (m) => (
        decodeExtensionInputs(m, EXTENSIONS, 'makeCredential'),
        decodeExtensionInputs(m, EXTENSIONS, 'getAssertion')
      ),
    ),
  },
  {
    name: 'decodeHmacSecretInput',
    seeds: [toValue(gaExtensions.get('hmac-secret')!)],
    decode: (v) => decodeHmacSecretInput(v, 'hmac-secret'),
  },
];

/** Arbitrary CBOR values the strict codec can encode (depth-bounded like CTAP requests). */
const { value: cborValue } = fc.letrec<{ value: CborValue; leaf: CborValue }>((tie) => ({
  leaf: fc.oneof(
    fc.integer({ min: -70000, max: 70000 }),
    fc.constantFrom(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0x3f, 0xff, 0x100, 2 ** 32, -7, -8, -257, -25),
    fc.string({ maxLength: 12 }),
    fc.constantFrom(
      'public-key',
      'example.com',
      'id',
      'name',
      'type',
      'alg',
      'rk',
      'up',
      'uv',
      'credProtect',
      'hmac-secret',
      'credBlob',
      '',
    ),
    fc.uint8Array({ maxLength: 80 }),
    fc.constantFrom(true, false, null),
  ),
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    tie('leaf'),
    fc.array(tie('value'), { maxLength: 4 }),
    fc
      .array(
        fc.tuple(
          fc.oneof(
            fc.integer({ min: -3, max: 12 }),
            fc.constantFrom('id', 'name', 'type', 'alg', 'rk', 'up', 'credProtect'),
          ),
          tie('value'),
        ),
        { maxLength: 5 },
      )
      .map((es) => new Map(es) as CborMap),
  ),
}));

/** Every [container, key] slot of a value tree, for structural mutation. */
function slots(v: CborValue, out: Array<[CborMap | CborValue[], number | string]> = [], depth = 0): typeof out {
  if (depth > 3) return out;
  if (v instanceof Map) {
    for (const [k, x] of v) {
      out.push([v, k]);
      slots(x, out, depth + 1);
    }
  } else if (Array.isArray(v)) {
    v.forEach((x, i) => {
      out.push([v, i]);
      slots(x, out, depth + 1);
    });
  }
  return out;
}

const clone = (v: CborValue): CborValue => decode(encode(v));

/** A seed with a few slots replaced, deleted or added (valid CBOR that no longer fits the spec). */
const mutation = fc.array(
  fc.tuple(fc.nat(), fc.constantFrom('replace', 'delete', 'add'), cborValue, fc.integer({ min: -2, max: 14 })),
  { minLength: 1, maxLength: 3 },
);
function mutate(seed: CborValue, edits: Array<[number, 'replace' | 'delete' | 'add', CborValue, number]>): CborValue {
  const v = clone(seed);
  for (const [n, op, x, key] of edits) {
    const all = slots(v);
    if (all.length === 0) return x;
    const [container, k] = all[n % all.length]!;
    if (container instanceof Map) {
      if (op === 'delete') container.delete(k);
      else if (op === 'add') container.set(key, x);
      else container.set(k, x);
    } else if (op === 'delete') container.splice(k as number, 1);
    else if (op === 'add') container.push(x);
    else container[k as number] = x;
  }
  return v;
}

/** Byte-level damage: flips, truncation, insertion. */
const byteDamage = fc.tuple(
  fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
  fc.nat({ max: 8 }),
  fc.uint8Array({ maxLength: 4 }),
);
function damage(b: Uint8Array, [flips, cut, extra]: [Array<[number, number]>, number, Uint8Array]): Uint8Array {
  const out = Uint8Array.from([...b.subarray(0, Math.max(0, b.length - cut)), ...extra]);
  for (const [i, x] of flips) if (out.length > 0) out[i % out.length] = x;
  return out;
}

const SPEC_STATUSES = new Set<number>(Object.values(Status));
function assertSpecError(name: string, run: () => unknown): void {
  try {
    run();
  } catch (e) {
    assert.ok(
      e instanceof CtapError,
      `${name} threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)} (not a CtapError)`,
    );
    assert.ok(
      SPEC_STATUSES.has(e.status) && e.status !== Status.CTAP2_OK && e.status !== Status.CTAP1_ERR_OTHER,
      `${name}: status ${statusName(e.status)}`,
    );
  }
}

describe('every CTAP2 request decoder yields only spec errors', () => {
  it('the table covers every request decoder exported by src/ctap2/', () => {
    const files = readdirSync(join(REPO_ROOT, 'src/ctap2'))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => join(REPO_ROOT, 'src/ctap2', f));
    const exported = files.flatMap((f) =>
      [...readFileSync(f, 'utf8').matchAll(/^export (?:function (decode\w*)\(|const (decode\w*)\b)/gm)]
        .map((x) => (x[1] ?? x[2])!)
        .filter((name) => !/Response$|Output$/.test(name) && name !== 'decodeRequestMap'),
    );
    assert.deepEqual(exported.sort(), DECODERS.map((d) => d.name).sort());
  });

  it('seeds decode (or fail with a spec error)', () => {
    for (const d of DECODERS) for (const s of d.seeds) assertSpecError(d.name, () => d.decode(s));
  });

  for (const d of DECODERS) {
    it(`${d.name}: random bytes, random CBOR, mutated requests`, () => {
      const input = fc.oneof(
        fc.uint8Array({ maxLength: 200 }).map((b) => ({ bytes: b })),
        cborValue.map((v) => ({ value: v })),
        fc.tuple(fc.constantFrom(...d.seeds), mutation).map(([s, e]) => ({ value: mutate(s, e) })),
        fc
          .tuple(fc.constantFrom(...d.seeds), byteDamage)
          .map(([s, dmg]) => ({ bytes: damage(encode(s as Encodable), dmg) })),
      );
      fc.assert(
        fc.property(input, (i) => {
          let value: CborValue | undefined = 'value' in i ? i.value : undefined;
          if (d.name.endsWith('Extensions')) {
            // These take a CBOR map by type: bytes reach them only when they decode to one.
            if ('bytes' in i) {
              try {
                value = decode(i.bytes);
              } catch {
                return;
              }
            }
            if (!(value instanceof Map)) return;
            assertSpecError(d.name, () => d.decode(value!));
          } else {
            assertSpecError(d.name, () => d.decode('bytes' in i ? i.bytes : value!));
          }
        }),
        { numRuns: 600 },
      );
    });
  }
});

describe('through dispatchCtap2 with a real authenticator', () => {
  const COMMANDS: Array<[number, CborValue[]]> = [
    [Command.authenticatorMakeCredential, [makeCredential]],
    [Command.authenticatorGetAssertion, [getAssertion]],
    [Command.authenticatorClientPIN, clientPin.map(toValue)],
    [0x0a, credentialManagement.map(toValue)],
    [0x41, credentialManagement.map(toValue)],
    [0x0c, largeBlobs.map(toValue)],
    [0x0d, config.map(toValue)],
  ];

  it('random and mutated requests answer a spec status, never CTAP1_ERR_OTHER', async () => {
    const env = testEnv();
    const auth = await createAuthenticator(env, defaultConfig());
    const internal: unknown[] = [];
    const request = fc.oneof(
      fc
        .tuple(fc.constantFrom(...COMMANDS), mutation)
        .map(([[cmd, seeds], e]) =>
          Uint8Array.from([cmd, ...encode(mutate(seeds[e[0]![0] % seeds.length]!, e) as Encodable)]),
        ),
      fc
        .tuple(fc.constantFrom(...COMMANDS.map(([c]) => c), 0x04, 0x07, 0x08, 0x0b), fc.uint8Array({ maxLength: 120 }))
        .map(([cmd, b]) => Uint8Array.from([cmd, ...b])),
      fc
        .tuple(fc.constantFrom(...COMMANDS), cborValue)
        .map(([[cmd], v]) => Uint8Array.from([cmd, ...encode(v as Encodable)])),
    );
    await fc.assert(
      fc.asyncProperty(request, async (req) => {
        const out = await dispatchCtap2(auth, req, testContext(), { onInternalError: (e) => internal.push(e) });
        assert.ok(out.length >= 1);
        assert.ok(
          SPEC_STATUSES.has(out[0]!) && out[0] !== Status.CTAP1_ERR_OTHER,
          `${statusName(out[0]!)} for ${Buffer.from(req).toString('hex')}: ${String(internal.at(-1))}`,
        );
      }),
      { numRuns: 400 },
    );
    assert.deepEqual(internal, []);
  });
});
