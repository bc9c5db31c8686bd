/** The client's pieces on their own: error table, clientData, origin rules, extensions, attestation, JSON. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { anonymize, attestationConveyance } from '../../src/client/attestation.js';
import { DEFAULT_TIMEOUTS, effectiveTimeout, TESTING_TIMEOUTS } from '../../src/client/ceremony.js';
import { collectClientData } from '../../src/client/clientData.js';
import {
  CTAP_STATUS_TO_WEBAUTHN,
  toWebAuthnError,
  WEBAUTHN_ERROR_NAMES,
  webAuthnNameOfStatus,
  WebAuthnError,
} from '../../src/client/errors.js';
import { planCreateExtensions, planGetExtensions } from '../../src/client/extensions.js';
import {
  extensionOutputsToJSON,
  parseCreationOptionsFromJSON,
  parseRequestOptionsFromJSON,
} from '../../src/client/json.js';
import { callerOrigin, resolveRpId } from '../../src/client/origin.js';
import { pinUvAuthenticate } from '../../src/client/userVerifier.js';
import * as b64u from '../../src/encoding/base64url.js';
import { fromHex, toHex, utf8 } from '../../src/encoding/bytes.js';
import type { GetInfoResponse } from '../../src/ctap2/getInfo.js';
import { CtapError, Status } from '../../src/ctap2/status.js';
import { sha256 } from '../../src/crypto/hash.js';

const throwsNamed = (fn: () => unknown, name: string) =>
  assert.throws(fn, (e: unknown) => e instanceof WebAuthnError && e.name === name);

describe('CTAP status → WebAuthn error (one table)', () => {
  it('maps the statuses the issue names', () => {
    assert.equal(webAuthnNameOfStatus(Status.CTAP2_ERR_CREDENTIAL_EXCLUDED), 'InvalidStateError');
    for (const s of [
      'CTAP2_ERR_OPERATION_DENIED',
      'CTAP2_ERR_USER_ACTION_TIMEOUT',
      'CTAP2_ERR_NO_CREDENTIALS',
      'CTAP2_ERR_KEEPALIVE_CANCEL',
      'CTAP2_ERR_NOT_ALLOWED',
    ] as const) {
      assert.equal(webAuthnNameOfStatus(Status[s]), 'NotAllowedError', s);
    }
    assert.equal(webAuthnNameOfStatus(Status.CTAP2_ERR_UNSUPPORTED_ALGORITHM), 'NotSupportedError');
    assert.equal(webAuthnNameOfStatus(Status.CTAP2_ERR_INVALID_CBOR), 'UnknownError');
    assert.equal(webAuthnNameOfStatus(Status.CTAP1_ERR_OTHER), 'UnknownError');
    assert.equal(webAuthnNameOfStatus(0xf3), 'UnknownError');
  });

  it('every row is a spec status name and a WebAuthn error name', () => {
    for (const [status, name] of Object.entries(CTAP_STATUS_TO_WEBAUTHN)) {
      assert.ok(status in Status, status);
      assert.ok((WEBAUTHN_ERROR_NAMES as readonly string[]).includes(name), name);
    }
  });

  it('keeps the CtapError as cause', () => {
    const e = toWebAuthnError(new CtapError(Status.CTAP2_ERR_PIN_BLOCKED));
    assert.equal(e.name, 'NotAllowedError');
    assert.equal(e.ctapStatus, Status.CTAP2_ERR_PIN_BLOCKED);
    assert.ok(e.cause instanceof CtapError);
    assert.equal(toWebAuthnError(new Error('boom')).name, 'UnknownError');
  });
});

describe('collectClientData', () => {
  it('serializes type, challenge, origin, crossOrigin in order, and hashes the exact bytes', () => {
    const challenge = fromHex('000102030405060708090a0b0c0d0e0f');
    const cd = collectClientData('webauthn.get', challenge, 'https://example.com');
    const text =
      '{"type":"webauthn.get","challenge":"AAECAwQFBgcICQoLDA0ODw","origin":"https://example.com","crossOrigin":false}';
    assert.equal(utf8.decode(cd.json), text);
    assert.deepEqual(JSON.parse(text), {
      type: 'webauthn.get',
      challenge: 'AAECAwQFBgcICQoLDA0ODw',
      origin: 'https://example.com',
      crossOrigin: false,
    });
    assert.equal(toHex(cd.hash), toHex(sha256(cd.json)));
  });
});

describe('origin rules', () => {
  it('secure contexts', () => {
    assert.equal(callerOrigin('http://localhost:5173/path?q').origin, 'http://localhost:5173');
    assert.equal(callerOrigin('https://Example.COM').effectiveDomain, 'example.com');
    assert.equal(callerOrigin('http://app.localhost').effectiveDomain, 'app.localhost');
    assert.equal(callerOrigin('http://127.0.0.1:1').isIp, true);
    assert.equal(callerOrigin('http://[::1]:8080').effectiveDomain, '[::1]');
    for (const bad of ['http://example.com', 'http://evil.example', 'http://192.168.1.1', 'ws://localhost', 'x']) {
      throwsNamed(() => callerOrigin(bad), 'SecurityError');
    }
    for (const opaque of ['file:///tmp/x', 'data:text/html,x'])
      throwsNamed(() => callerOrigin(opaque), 'NotAllowedError');
  });

  it('RP IDs', () => {
    const c = callerOrigin('https://a.b.example.co.uk');
    assert.equal(resolveRpId(c, undefined), 'a.b.example.co.uk');
    assert.equal(resolveRpId(c, 'example.co.uk'), 'example.co.uk');
    // Without a public suffix list "co.uk" passes (documented limitation); a single label does not.
    assert.equal(resolveRpId(c, 'co.uk'), 'co.uk');
    throwsNamed(() => resolveRpId(c, 'uk'), 'SecurityError');
    throwsNamed(() => resolveRpId(c, 'EXAMPLE.co.uk'), 'SecurityError');
    throwsNamed(() => resolveRpId(c, '.example.co.uk'), 'SecurityError');
    throwsNamed(() => resolveRpId(callerOrigin('http://127.0.0.1'), '0.0.1'), 'SecurityError');
    throwsNamed(() => resolveRpId(callerOrigin('http://localhost'), 'host'), 'SecurityError');
  });
});

const info = (extra: Partial<GetInfoResponse> = {}): GetInfoResponse => ({
  versions: ['FIDO_2_1'],
  aaguid: new Uint8Array(16),
  ...extra,
});

describe('extensions', () => {
  it('credProtect maps to the authenticator input, enforcement without support is NotSupportedError', () => {
    const p = planCreateExtensions(
      { credentialProtectionPolicy: 'userVerificationOptionalWithCredentialIDList' },
      info({ extensions: ['credProtect'] }),
      { rk: true },
    );
    assert.equal(p.inputs.get('credProtect'), 2);
    assert.equal(
      planCreateExtensions({ credentialProtectionPolicy: 'userVerificationRequired' }, info(), { rk: false }).inputs
        .size,
      0,
    );
    throwsNamed(
      () =>
        planCreateExtensions(
          { credentialProtectionPolicy: 'userVerificationRequired', enforceCredentialProtectionPolicy: true },
          info(),
          { rk: false },
        ),
      'NotSupportedError',
    );
    assert.equal(
      planCreateExtensions({ credentialProtectionPolicy: 'bogus', enforceCredentialProtectionPolicy: true }, info(), {
        rk: false,
      }).inputs.size,
      0,
    );
  });

  it('prf over hmac-secret: enabled output; salts are SHA-256("WebAuthn PRF" ‖ 0x00 ‖ input); eval at create only with hmac-secret-mc', () => {
    const hs = info({ extensions: ['hmac-secret'] });
    const p = planCreateExtensions({ prf: {} }, hs, { rk: true });
    assert.equal(p.inputs.get('hmac-secret'), true);
    assert.equal(p.prf, undefined);
    assert.deepEqual(p.outputs({ outputs: new Map([['hmac-secret', true]]) }), { prf: { enabled: true } });
    const first = utf8.encode('first input');
    const second = utf8.encode('second input');
    // The L3 §10.1.4 salt, computed here independently with node:crypto.
    const salt = (x: Uint8Array) =>
      new Uint8Array(
        createHash('sha256')
          .update('WebAuthn PRF')
          .update(new Uint8Array([0]))
          .update(x)
          .digest(),
      );
    assert.equal(
      planCreateExtensions({ prf: { eval: { first } } }, hs, { rk: true }).prf,
      undefined,
      'no hmac-secret-mc: enabled only',
    );
    const mc = planCreateExtensions(
      { prf: { eval: { first, second } } },
      info({ extensions: ['hmac-secret', 'hmac-secret-mc'] }),
      { rk: false },
    );
    assert.equal(mc.prf?.inputKey, 'hmac-secret-mc');
    assert.deepEqual(mc.prf?.salts(undefined), [salt(first), salt(second)]);

    const g = planGetExtensions({ prf: { eval: { first } } }, hs, { allowCredentials: [] });
    assert.equal(g.prf?.inputKey, 'hmac-secret');
    assert.deepEqual(g.prf?.salts(undefined), [salt(first)]);
    assert.deepEqual(g.outputs({ outputs: undefined, prf: { first: salt(second) } }), {
      prf: { results: { first: salt(second) } },
    });
    assert.deepEqual(
      planGetExtensions({ prf: { eval: { first } } }, info(), { allowCredentials: [] }).outputs({ outputs: undefined }),
      { prf: {} },
    );
    const allow = [
      { type: 'public-key', id: new Uint8Array([1, 2, 3]) },
      { type: 'public-key', id: new Uint8Array([4]) },
    ];
    throwsNamed(
      () => planGetExtensions({ prf: { evalByCredential: { AQID: { first } } } }, info(), { allowCredentials: [] }),
      'NotSupportedError',
    );
    throwsNamed(
      () => planGetExtensions({ prf: { evalByCredential: { AQIE: { first } } } }, info(), { allowCredentials: allow }),
      'SyntaxError',
    );
    const byCred = planGetExtensions({ prf: { eval: { first }, evalByCredential: { AQID: { first: second } } } }, hs, {
      allowCredentials: allow,
    });
    assert.equal(byCred.prf?.byCredential, true);
    assert.deepEqual(
      byCred.prf?.salts(new Uint8Array([1, 2, 3])),
      [salt(second)],
      'evalByCredential for its credential',
    );
    assert.deepEqual(byCred.prf?.salts(new Uint8Array([4])), [salt(first)], 'eval for the others');
  });

  it('credBlob, getCredBlob, minPinLength, largeBlob with a device that supports them', () => {
    const dev = info({
      extensions: ['credBlob', 'minPinLength', 'largeBlobKey'],
      options: { largeBlobs: true },
      maxCredBlobLength: 32,
    });
    const c = planCreateExtensions(
      { credBlob: new Uint8Array(16), minPinLength: true, largeBlob: { support: 'required' } },
      dev,
      { rk: true },
    );
    assert.deepEqual([...c.inputs.keys()].sort(), ['credBlob', 'largeBlobKey', 'minPinLength']);
    assert.deepEqual(
      c.outputs({
        outputs: new Map<string, boolean | number>([
          ['credBlob', true],
          ['minPinLength', 6],
        ]),
        largeBlobKey: new Uint8Array(32),
      }),
      {
        credBlob: true,
        minPinLength: 6,
        largeBlob: { supported: true },
      },
    );
    const tooBig = planCreateExtensions({ credBlob: new Uint8Array(33) }, dev, { rk: true });
    assert.equal(tooBig.inputs.size, 0);
    const g = planGetExtensions({ getCredBlob: true }, dev, { allowCredentials: [] });
    assert.equal(g.inputs.get('credBlob'), true); // CTAP 2.1 §12.2: the authenticator input is "credBlob": true
    assert.equal(g.inputs.has('getCredBlob'), false);
    const out = g.outputs({ outputs: new Map([['credBlob', new Uint8Array([9])]]) });
    assert.deepEqual(extensionOutputsToJSON(out), { getCredBlob: 'CQ' });
    const read = planGetExtensions({ largeBlob: { read: true } }, dev, { allowCredentials: [] });
    assert.deepEqual(read.largeBlob, { read: true });
    assert.equal(read.inputs.get('largeBlobKey'), true);
    assert.deepEqual(read.outputs({ outputs: undefined, largeBlob: {} }), { largeBlob: {} });
    const allowOne = [{ type: 'public-key', id: new Uint8Array([1]) }];
    const write = planGetExtensions({ largeBlob: { write: new Uint8Array([5]) } }, dev, { allowCredentials: allowOne });
    assert.equal(write.permissions, 0x10, 'a write needs the lbw permission');
    assert.deepEqual(write.outputs({ outputs: undefined, largeBlob: { written: true } }), {
      largeBlob: { written: true },
    });
    throwsNamed(
      () => planGetExtensions({ largeBlob: { write: new Uint8Array([5]) } }, dev, { allowCredentials: [] }),
      'NotSupportedError',
    );
    throwsNamed(
      () =>
        planGetExtensions({ largeBlob: { read: true, write: new Uint8Array([5]) } }, dev, {
          allowCredentials: allowOne,
        }),
      'NotSupportedError',
    );
    throwsNamed(
      () => planGetExtensions({ largeBlob: { support: 'preferred' } }, dev, { allowCredentials: allowOne }),
      'NotSupportedError',
    );
    throwsNamed(() => planCreateExtensions({ largeBlob: { read: true } }, dev, { rk: true }), 'NotSupportedError');
    throwsNamed(
      () => planCreateExtensions({ largeBlob: { support: 'required' } }, dev, { rk: false }),
      'NotSupportedError',
    );
  });
});

describe('attestation conveyance', () => {
  const authData = (aaguid: Uint8Array) => {
    const a = new Uint8Array(37 + 16 + 2);
    a[32] = 0x41; // UP | AT
    a.set(aaguid, 37);
    return a;
  };
  it('none replaces fmt and attStmt, zeroes the AAGUID, and leaves self attestation alone', () => {
    const aaguid = new Uint8Array(16).fill(0xab);
    const full = { fmt: 'packed', authData: authData(aaguid), attStmt: new Map([['x5c', [new Uint8Array(1)]]]) };
    const none = anonymize(full, 'zero');
    assert.equal(none.fmt, 'none');
    assert.equal((none.attStmt as ReadonlyMap<string, unknown>).size, 0);
    assert.equal(toHex(none.authData.subarray(37, 53)), '00'.repeat(16));
    assert.equal(toHex(full.authData.subarray(37, 53)), 'ab'.repeat(16), 'input untouched');
    assert.equal(toHex(anonymize(full, 'keep').authData.subarray(37, 53)), 'ab'.repeat(16));
    const self = { fmt: 'packed', authData: authData(new Uint8Array(16)), attStmt: new Map([['alg', -7]]) };
    assert.equal(anonymize(self, 'zero'), self);
    assert.equal(attestationConveyance('bogus'), 'none');
    assert.equal(attestationConveyance(undefined), 'none');
    assert.equal(attestationConveyance('indirect'), 'indirect');
  });
});

describe('JSON options', () => {
  it('parse the JSON form into bytes, including extension byte members', () => {
    const o = parseCreationOptionsFromJSON({
      rp: { name: 'r' },
      user: { id: 'AQID', name: 'u', displayName: 'U' },
      challenge: b64u.encode(new Uint8Array(16)),
      pubKeyCredParams: [{ type: 'public-key', alg: -8 }],
      excludeCredentials: [{ type: 'public-key', id: 'BAU', transports: ['usb'] }],
      extensions: {
        credBlob: 'Bg',
        prf: { eval: { first: 'Bw' } },
        largeBlob: { support: 'preferred' },
        credProps: true,
      },
    });
    assert.deepEqual(o.user.id, new Uint8Array([1, 2, 3]));
    assert.deepEqual(o.excludeCredentials, [{ type: 'public-key', id: new Uint8Array([4, 5]), transports: ['usb'] }]);
    assert.deepEqual(o.extensions?.credBlob, new Uint8Array([6]));
    assert.deepEqual(o.extensions?.prf?.eval?.first, new Uint8Array([7]));
    assert.equal(o.extensions?.credProps, true);
    const r = parseRequestOptionsFromJSON({
      challenge: new Uint8Array(16).buffer,
      allowCredentials: [{ type: 'public-key', id: new Uint16Array([1]) }],
    });
    assert.deepEqual(r.allowCredentials![0]!.id, new Uint8Array(new Uint16Array([1]).buffer));
    throwsNamed(() => parseRequestOptionsFromJSON({ challenge: 42 } as never), 'TypeError');
    throwsNamed(() => parseRequestOptionsFromJSON({ challenge: '***' }), 'EncodingError');
  });

  it('timeouts are clamped', () => {
    const range = { min: 300_000, max: 600_000, default: 300_000 };
    assert.equal(effectiveTimeout(undefined, range), 300_000);
    assert.equal(effectiveTimeout(1000, range), 300_000);
    assert.equal(effectiveTimeout(9e9, range), 600_000);
    assert.equal(effectiveTimeout(450_000.7, range), 450_000);
  });

  it("timeouts: Chromium's range by default (10 s–10 min, 10 min when absent); the testing range keeps the RP's", () => {
    assert.equal(effectiveTimeout(1000, DEFAULT_TIMEOUTS), 10_000);
    assert.equal(effectiveTimeout(undefined, DEFAULT_TIMEOUTS), 600_000);
    assert.equal(effectiveTimeout(3_600_000, DEFAULT_TIMEOUTS), 600_000);
    assert.equal(effectiveTimeout(60_000, DEFAULT_TIMEOUTS), 60_000);
    assert.equal(effectiveTimeout(1000, TESTING_TIMEOUTS), 1000);
    assert.equal(effectiveTimeout(undefined, TESTING_TIMEOUTS), 600_000);
  });

  it('pinUvAuthenticate: protocol 1 truncates to 16 bytes, protocol 2 is the full HMAC', () => {
    const token = new Uint8Array(32).fill(1);
    assert.equal(pinUvAuthenticate({ protocol: 1, token }, new Uint8Array(32)).length, 16);
    assert.equal(pinUvAuthenticate({ protocol: 2, token }, new Uint8Array(32)).length, 32);
    assert.deepEqual(
      pinUvAuthenticate({ protocol: 2, token }, new Uint8Array(32)).subarray(0, 16),
      pinUvAuthenticate({ protocol: 1, token }, new Uint8Array(32)),
    );
  });
});
