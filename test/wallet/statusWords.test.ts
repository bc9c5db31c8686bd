/** The status-word and error-text tables against the spec's values (§1.8, §4.3). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApduError, PARSER_ERROR, SW } from '../../src/wallet/statusWords.js';
import { CLA, INS } from '../../src/wallet/dispatcher.js';

describe('tables', () => {
  it('status words (§1.8)', () => {
    assert.deepEqual(
      { ...SW },
      {
        OK: 0x9000,
        EXECUTION_ERROR: 0x6400,
        WRONG_LENGTH: 0x6700,
        EMPTY_BUFFER: 0x6982,
        OUTPUT_BUFFER_TOO_SMALL: 0x6983,
        DATA_INVALID: 0x6984,
        COMMAND_NOT_ALLOWED: 0x6986,
        TX_NOT_INITIALIZED: 0x6987,
        WRONG_P1P2: 0x6b00,
        INS_NOT_SUPPORTED: 0x6d00,
        CLA_NOT_SUPPORTED: 0x6e00,
        UNKNOWN: 0x6f00,
        SIGN_VERIFY_ERROR: 0x6f01,
      },
    );
  });

  it('error texts (§4.3), spelled as the spec lists them', () => {
    const spec =
      'No more data, Initialized empty context, unexpected CBOR error, Unexpected CBOR EOF, CBOR was not in canonical order, tx version is not supported, Unexpected data type, Unexpected value, Unexpected number of items, Value out of range, Invalid address format, Unexpected internal error, Unexpected field, Invalid raw-bytes prefix, Unexpected buffer end, ExpertModeRequired, Blindsign Mode Required';
    assert.deepEqual(new Set(Object.values(PARSER_ERROR)), new Set(spec.split(', ')));
  });

  it('instruction table (§1.3)', () => {
    assert.deepEqual({ ...CLA }, { FILECOIN: 0x06, ETH: 0xe0, SDK: 0xb0 });
    assert.equal(INS.GET_VERSION, 0x00);
    assert.equal(INS.GET_ADDR_SECP256K1, 0x01);
    assert.equal(INS.SIGN_SECP256K1, 0x02);
    assert.equal(INS.SIGN_RAW_BYTES, 0x07);
    assert.equal(INS.SIGN_PERSONAL_MESSAGE, 0x08);
  });

  it('ApduError carries the status word and text', () => {
    const e = new ApduError(SW.DATA_INVALID, PARSER_ERROR.UNEXPECTED_TYPE);
    assert.equal(e.sw, 0x6984);
    assert.equal(e.text, 'Unexpected data type');
    assert.ok(e instanceof Error);
  });
});
