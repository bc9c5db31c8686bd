/**
 * The extension input decoders (CTAP 2.1 §12, CTAP 2.2 §12.8/§12.9) at the edge, as the extension
 * list (src/authenticator/extensions/list.ts) drives them: typed inputs for the implemented
 * extensions, unknown ones dropped, the spec's status for malformed known ones, and nothing but
 * CtapError for any value under a known name (fast-check).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { EXTENSIONS } from '../../src/authenticator/extensions/list.js';
import type { HmacSecretInput } from '../../src/ctap2/extensions.js';
import { decodeExtensionInputs } from '../../src/ctap2/extensions.js';
import { CtapError, Status } from '../../src/ctap2/status.js';
import type { CborMap, CborValue } from '../../src/encoding/cbor.js';

const decodeMakeCredentialExtensions = (m: CborMap) => decodeExtensionInputs(m, EXTENSIONS, 'makeCredential');
const decodeGetAssertionExtensions = (m: CborMap) => decodeExtensionInputs(m, EXTENSIONS, 'getAssertion');
const map = (entries: Array<[string, CborValue]>): CborMap => new Map(entries);
const hmacInput = (): CborMap =>
  new Map<number, CborValue>([
    [1, new Map<number, CborValue>([[1, 2]])],
    [2, new Uint8Array(32)],
    [3, new Uint8Array(16)],
  ]);
const status = (fn: () => unknown): number | undefined => {
  try {
    fn();
    return undefined;
  } catch (e) {
    if (e instanceof CtapError) return e.status;
    throw e;
  }
};

describe('makeCredential extension inputs', () => {
  it('decodes every implemented extension and drops unknown ones', () => {
    const got = decodeMakeCredentialExtensions(
      map([
        ['credProtect', 2],
        ['credBlob', new Uint8Array([1])],
        ['largeBlobKey', true],
        ['minPinLength', true],
        ['hmac-secret', true],
        ['hmac-secret-mc', hmacInput()],
        ['thirdPartyPayment', false],
        ['tetris', 'x'],
      ]),
    );
    assert.equal(got.get('credProtect'), 2);
    assert.deepEqual(got.get('credBlob'), new Uint8Array([1]));
    assert.equal(got.get('largeBlobKey'), true);
    assert.equal(got.get('minPinLength'), true);
    assert.equal(got.get('hmac-secret'), true);
    const mc = got.get('hmac-secret-mc') as HmacSecretInput;
    assert.equal(mc.saltEnc.length, 32);
    assert.equal(mc.pinUvAuthProtocol, undefined);
    assert.equal(got.get('thirdPartyPayment'), false);
    assert.equal(got.size, 7);
  });

  it('returns the spec status for malformed known inputs', () => {
    const cases: Array<[string, CborValue, number]> = [
      ['credProtect', -1, Status.CTAP2_ERR_CBOR_UNEXPECTED_TYPE],
      ['credProtect', 'high', Status.CTAP2_ERR_CBOR_UNEXPECTED_TYPE],
      ['credBlob', true, Status.CTAP2_ERR_CBOR_UNEXPECTED_TYPE],
      ['hmac-secret', 1, Status.CTAP2_ERR_CBOR_UNEXPECTED_TYPE],
      ['largeBlobKey', 'yes', Status.CTAP2_ERR_CBOR_UNEXPECTED_TYPE],
      ['thirdPartyPayment', new Uint8Array(1), Status.CTAP2_ERR_CBOR_UNEXPECTED_TYPE],
    ];
    for (const [name, value, expected] of cases)
      assert.equal(
        status(() => decodeMakeCredentialExtensions(map([[name, value]]))),
        expected,
        name,
      );
    // hmac-secret-mc needs "hmac-secret": true beside it.
    assert.equal(
      status(() => decodeMakeCredentialExtensions(map([['hmac-secret-mc', hmacInput()]]))),
      Status.CTAP2_ERR_MISSING_PARAMETER,
    );
    assert.equal(
      status(() =>
        decodeMakeCredentialExtensions(
          map([
            ['hmac-secret', false],
            ['hmac-secret-mc', hmacInput()],
          ]),
        ),
      ),
      Status.CTAP2_ERR_MISSING_PARAMETER,
    );
  });
});

describe('getAssertion extension inputs', () => {
  it('decodes hmac-secret with its members and the protocol', () => {
    const input = hmacInput();
    input.set(4, 2);
    const got = decodeGetAssertionExtensions(
      map([
        ['hmac-secret', input],
        ['credBlob', true],
        ['largeBlobKey', true],
        ['thirdPartyPayment', true],
        ['credProtect', 'ignored here'],
      ]),
    );
    const hmac = got.get('hmac-secret') as HmacSecretInput;
    assert.equal(hmac.pinUvAuthProtocol, 2);
    assert.equal(hmac.saltAuth.length, 16);
    assert.equal(got.get('credBlob'), true);
    assert.equal(got.get('largeBlobKey'), true);
    assert.equal(got.get('thirdPartyPayment'), true);
    assert.equal(got.has('credProtect'), false, 'credProtect has no getAssertion input');
  });

  it('hmac-secret members: missing → MISSING_PARAMETER, wrong type → CBOR_UNEXPECTED_TYPE', () => {
    for (const key of [1, 2, 3]) {
      const input = hmacInput();
      input.delete(key);
      assert.equal(
        status(() => decodeGetAssertionExtensions(map([['hmac-secret', input]]))),
        Status.CTAP2_ERR_MISSING_PARAMETER,
        `without ${key}`,
      );
    }
    for (const [key, value] of [
      [1, new Uint8Array(1)],
      [2, 'salt'],
      [3, 7],
      [4, -1],
    ] as Array<[number, CborValue]>) {
      const input = hmacInput();
      input.set(key, value);
      assert.equal(
        status(() => decodeGetAssertionExtensions(map([['hmac-secret', input]]))),
        Status.CTAP2_ERR_CBOR_UNEXPECTED_TYPE,
        `member ${key}`,
      );
    }
  });

  it('any value under any known name decodes or throws CtapError, never anything else', () => {
    const names = [
      'credProtect',
      'credBlob',
      'largeBlobKey',
      'minPinLength',
      'hmac-secret',
      'hmac-secret-mc',
      'thirdPartyPayment',
      'getCredBlob',
    ];
    const value: fc.Arbitrary<CborValue> = fc.letrec<{ v: CborValue }>((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.integer({ min: -5, max: 300 }),
        fc.string({ maxLength: 4 }),
        fc.boolean(),
        fc.constant(null),
        fc.uint8Array({ maxLength: 40 }),
        fc.array(tie('v'), { maxLength: 3 }),
        fc
          .array(fc.tuple(fc.oneof(fc.integer({ min: -3, max: 5 }), fc.constantFrom(...names)), tie('v')), {
            maxLength: 5,
          })
          .map((e) => new Map(e)),
      ),
    })).v;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...names), value), { maxLength: 6 }), (entries) => {
        const m = map(entries);
        for (const decode of [decodeMakeCredentialExtensions, decodeGetAssertionExtensions]) {
          try {
            decode(m);
          } catch (e) {
            assert.ok(e instanceof CtapError, String(e));
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
