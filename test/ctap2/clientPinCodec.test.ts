/**
 * authenticatorClientPIN wire format (CTAP 2.1 §6.5): the constant tables against the spec's values,
 * and host encoder ↔ authenticator decoder, authenticator encoder ↔ host decoder round trips.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Command } from '../../src/ctap2/commands.js';
import {
  ClientPinKey,
  ClientPinResponseKey,
  ClientPinSubCommand,
  PinUvAuthTokenPermission,
  decodeClientPinResponse,
  encodeClientPinRequest,
  type ClientPinRequest,
  decodeClientPinRequest,
  encodeClientPinResponse,
} from '../../src/ctap2/clientPin.js';
import { keyAgreementCoseKey } from '../../src/ctap2/pinUvAuthProtocol.js';
import type { ClientPinResponse } from '../../src/ctap2/clientPin.js';

describe('clientPIN constant tables', () => {
  it('match CTAP 2.1 §6.5', () => {
    assert.equal(Command.authenticatorClientPIN, 0x06);
    assert.deepEqual(ClientPinKey, {
      pinUvAuthProtocol: 1,
      subCommand: 2,
      keyAgreement: 3,
      pinUvAuthParam: 4,
      newPinEnc: 5,
      pinHashEnc: 6,
      permissions: 9,
      rpId: 10,
    });
    assert.deepEqual(ClientPinResponseKey, {
      keyAgreement: 1,
      pinUvAuthToken: 2,
      pinRetries: 3,
      powerCycleState: 4,
      uvRetries: 5,
    });
    assert.deepEqual(ClientPinSubCommand, {
      getPINRetries: 1,
      getKeyAgreement: 2,
      setPIN: 3,
      changePIN: 4,
      getPinToken: 5,
      getPinUvAuthTokenUsingUvWithPermissions: 6,
      getUVRetries: 7,
      getPinUvAuthTokenUsingPinWithPermissions: 9,
    });
    assert.deepEqual(PinUvAuthTokenPermission, { mc: 1, ga: 2, cm: 4, be: 8, lbw: 0x10, acfg: 0x20, pcmr: 0x40 });
  });
});

describe('clientPIN codecs', () => {
  const key = keyAgreementCoseKey(new Uint8Array(32).fill(1), new Uint8Array(32).fill(2));

  it('host request → authenticator decoder round-trips every member (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.record(
          {
            pinUvAuthProtocol: fc.integer({ min: 0, max: 255 }),
            subCommand: fc.integer({ min: 0, max: 255 }),
            keyAgreement: fc.constant(key),
            pinUvAuthParam: fc.uint8Array({ maxLength: 40 }),
            newPinEnc: fc.uint8Array({ maxLength: 96 }),
            pinHashEnc: fc.uint8Array({ maxLength: 40 }),
            permissions: fc.integer({ min: 0, max: 0xffff }),
            rpId: fc.string({ maxLength: 20 }),
          },
          { requiredKeys: ['subCommand'] },
        ),
        (params: ClientPinRequest) => {
          const bytes = encodeClientPinRequest(params);
          assert.equal(bytes[0], Command.authenticatorClientPIN);
          assert.deepEqual(decodeClientPinRequest(bytes.subarray(1)), { ...params });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('authenticator response → host decoder round-trips; an empty response is the status byte alone', () => {
    const cases: ClientPinResponse[] = [
      {},
      { keyAgreement: key },
      { pinUvAuthToken: new Uint8Array(48).fill(9) },
      { pinRetries: 8, powerCycleState: false },
      { uvRetries: 3 },
    ];
    for (const r of cases) {
      const body = encodeClientPinResponse(r);
      const wire = body ? new Uint8Array([0, ...body]) : new Uint8Array([0]);
      assert.deepEqual(decodeClientPinResponse(wire), r);
    }
    assert.equal(encodeClientPinResponse({}), undefined);
  });
});

describe('clientPIN vectors', () => {
  // python-fido2 tests/test_ctap2.py: the getKeyAgreement answer its ClientPin tests feed
  // ({1: {1: 2, 3: -25, -1: 1, -2: DEV_PUB_X, -3: DEV_PUB_Y}}), here as the canonical bytes.
  const x = '0501d5bc78da9252560a26cb08fcc60cbe0b6d3b8e1d1fcee514fac0af675168';
  const y = 'd551b3ed46f665731f95b4532939c25d91db7eb844bd96d4abd4083785f8df47';
  const keyAgreementResponse = `a101a5010203381820012158${'20'}${x}2258${'20'}${y}`;
  const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));

  it('a getKeyAgreement response decodes to its COSE_Key and re-encodes byte for byte', () => {
    const res = decodeClientPinResponse(hex(`00${keyAgreementResponse}`));
    assert.deepEqual([...res.keyAgreement!.keys()], [1, 3, -1, -2, -3]);
    assert.equal(res.keyAgreement!.get(3), -25);
    assert.deepEqual(res.keyAgreement!.get(-2), hex(x));
    assert.equal(Buffer.from(encodeClientPinResponse(res)!).toString('hex'), keyAgreementResponse);
  });

  it('getPINRetries under protocol one is 06 a2 01 01 02 01 (CTAP 2.1 §6.5.5.2; what libfido2 sends)', () => {
    const wire = encodeClientPinRequest({ pinUvAuthProtocol: 1, subCommand: ClientPinSubCommand.getPINRetries });
    assert.equal(Buffer.from(wire).toString('hex'), '06a2010102' + '01');
    assert.deepEqual(decodeClientPinRequest(wire.subarray(1)), { pinUvAuthProtocol: 1, subCommand: 1 });
  });
});
