/**
 * authenticatorConfig (CTAP 2.1 §6.11) through dispatchCtap2 bytes with both PIN/UV auth protocols,
 * and the settings' effects: enterprise attestation in makeCredential (§6.1.2 step 9), alwaysUv in
 * makeCredential/getAssertion (§6.1.2 step 6, §6.2.2 step 5), setMinPINLength on the PIN policy.
 */
import assert from 'node:assert/strict';
import { X509Certificate, verify } from 'node:crypto';
import { describe, it } from 'node:test';
import { readPinState } from '../../src/authenticator/pinUvAuthToken.js';
import { Flag, parseAuthenticatorData } from '../../src/ctap2/authenticatorData.js';
import { Command } from '../../src/ctap2/commands.js';
import {
  PinUvAuthTokenPermission as Perm,
  decodeClientPinResponse,
  encodeClientPinRequest,
} from '../../src/ctap2/clientPin.js';
import {
  changePinParams,
  encodeSimpleCommand,
  decryptPinUvAuthToken,
  getPinUvAuthTokenUsingUvParams,
  pinUvAuthParamFor,
  setPinParams,
} from '../../src/ctap2/hostCodec.js';
import { decodeGetAssertionResponse, encodeGetAssertionRequest } from '../../src/ctap2/getAssertion.js';
import { decodeMakeCredentialResponse } from '../../src/ctap2/makeCredential.js';
import { encodeConfigRequest, type PinUvAuthSession } from '../../src/ctap2/hostCodec.js';
import { platformProtocol, type PlatformPinUvAuthProtocol } from '../../src/ctap2/pinUvAuthProtocol.js';
import { ConfigSubCommand as Sub, type SetMinPINLengthParams } from '../../src/ctap2/authenticatorConfig.js';
import { Status } from '../../src/ctap2/status.js';
import { concat } from '../../src/encoding/bytes.js';
import { encode, type Encodable } from '../../src/encoding/cbor.js';
import { managementDevice, PIN, ScriptedUv, sha256, VERSIONS, type ManagementDevice } from './managementDevice.js';

const config = (d: ManagementDevice, sub: number, session?: PinUvAuthSession, params?: SetMinPINLengthParams) =>
  d.status(encodeConfigRequest(sub, session, params));
const raw = (d: ManagementDevice, m: Map<number, Encodable>) =>
  d.status(concat(new Uint8Array([Command.authenticatorConfig]), encode(m)));
const assertion = (d: ManagementDevice, options?: Record<string, boolean>, session?: PinUvAuthSession) => {
  const clientDataHash = sha256('assertion');
  return d.call(
    encodeGetAssertionRequest({
      rpId: 'example.com',
      clientDataHash,
      ...(options && { options }),
      ...(session && {
        pinUvAuthParam: pinUvAuthParamFor(
          session.protocol as PlatformPinUvAuthProtocol,
          session.pinUvAuthToken,
          clientDataHash,
        ),
        pinUvAuthProtocol: session.protocol.version,
      }),
    }),
  );
};

describe('authenticatorConfig: getInfo and authorization', () => {
  it('getInfo lists the management features, with ep and alwaysUv off', async () => {
    const d = await managementDevice();
    const info = await d.info();
    for (const option of [
      'credMgmt',
      'credentialMgmtPreview',
      'largeBlobs',
      'authnrCfg',
      'setMinPINLength',
      'makeCredUvNotRqd',
    ]) {
      assert.equal(info.options?.[option], true, option);
    }
    assert.equal(info.options?.ep, false);
    assert.equal(info.options?.alwaysUv, false);
    assert.equal(info.maxRPIDsForSetMinPINLength, 8);
  });

  it('a CTAP 2.0 configuration offers none of them', async () => {
    const d = await managementDevice({ config: { versions: ['FIDO_2_0'] } });
    const info = await d.info();
    for (const option of ['credMgmt', 'largeBlobs', 'authnrCfg', 'setMinPINLength', 'ep', 'alwaysUv'])
      assert.equal(info.options?.[option], undefined, option);
    assert.equal(info.maxSerializedLargeBlobArray, undefined);
    assert.equal(info.maxRPIDsForSetMinPINLength, undefined);
  });

  it('without a PIN (and alwaysUv off) subcommands need no pinUvAuthParam', async () => {
    const d = await managementDevice();
    assert.equal(await config(d, Sub.enableEnterpriseAttestation), Status.CTAP2_OK);
    assert.equal((await d.info()).options?.ep, true);
    assert.equal(await config(d, Sub.setMinPINLength, undefined, { newMinPINLength: 5 }), Status.CTAP2_OK);
    assert.equal((await d.info()).minPINLength, 5);
    assert.equal(await config(d, Sub.toggleAlwaysUv), Status.CTAP2_OK);
    const info = await d.info();
    assert.equal(info.options?.alwaysUv, true);
    assert.equal(info.options?.makeCredUvNotRqd, false, 'alwaysUv turns makeCredUvNotRqd off');
    // alwaysUv on: now a token is needed even without a PIN, so a PIN must be set first.
    assert.equal(await config(d, Sub.toggleAlwaysUv), Status.CTAP2_ERR_PUAT_REQUIRED);
    await d.setPin(2, '12345');
    const t = await d.tokenOrStatus(2, Perm.acfg, undefined, '12345');
    assert.notEqual(typeof t, 'number');
    assert.equal(await config(d, Sub.toggleAlwaysUv, t as PinUvAuthSession), Status.CTAP2_OK);
    assert.equal((await d.info()).options?.alwaysUv, false);
  });

  it('enterprise attestation uses a per-device enterprise certificate (§7.1), never the batch certificate', async () => {
    /** The OCTET STRING inside an extension's extnValue, found by its DER-encoded OID in the certificate. */
    const extensionOctets = (der: Uint8Array, oid: number[]): Uint8Array | undefined => {
      const needle = Buffer.from([0x06, oid.length, ...oid]);
      const at = Buffer.from(der).indexOf(needle);
      if (at < 0) return undefined;
      let i = at + needle.length;
      if (der[i] === 0x01) i += 3; // critical BOOLEAN
      assert.equal(der[i], 0x04, 'extnValue OCTET STRING');
      assert.equal(der[i + 2], 0x04, 'inner OCTET STRING');
      return der.slice(i + 4, i + 4 + der[i + 3]!);
    };
    // DER of 1.3.6.1.4.1.45724.1.1.4 (id-fido-gen-ce-aaguid) and .1.1.2 (id-fido-gen-ce-sernum).
    const AAGUID_OID = [0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0xe5, 0x1c, 0x01, 0x01, 0x04];
    const SERNUM_OID = [0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0xe5, 0x1c, 0x01, 0x01, 0x02];
    const attest = async (d: ManagementDevice, enterpriseAttestation?: number, rpId = 'example.com') => {
      const cdh = sha256(`ea ${enterpriseAttestation ?? 0} ${rpId}`);
      const r = await d.makeCredential({
        clientDataHash: cdh,
        rp: { id: rpId },
        ...(enterpriseAttestation !== undefined && { enterpriseAttestation }),
      });
      assert.equal(r[0], Status.CTAP2_OK);
      const mc = decodeMakeCredentialResponse(r);
      const der = ((mc.attStmt as ReadonlyMap<string, unknown>).get('x5c') as Uint8Array[])[0]!;
      const cert = new X509Certificate(der);
      // The statement verifies with the certificate it names (packed, WebAuthn §8.2).
      assert.ok(
        verify(
          'sha256',
          concat(mc.authData, cdh),
          cert.publicKey,
          (mc.attStmt as ReadonlyMap<string, unknown>).get('sig') as Uint8Array,
        ),
        'sig verifies with x5c[0]',
      );
      return { mc, der, cert };
    };
    const d = await managementDevice();
    assert.equal(await config(d, Sub.enableEnterpriseAttestation), Status.CTAP2_OK);
    const batch = await attest(d);
    const vendor = await attest(d, 1, 'corp.example');
    const platform = await attest(d, 2, 'corp.example');
    const info = await d.info();
    for (const ea of [vendor, platform]) {
      assert.equal(ea.mc.epAtt, true);
      assert.notDeepEqual(ea.der, batch.der, 'not the batch certificate');
      assert.notEqual(
        ea.cert.publicKey.export({ format: 'der', type: 'spki' }).toString('hex'),
        batch.cert.publicKey.export({ format: 'der', type: 'spki' }).toString('hex'),
      );
      assert.ok(ea.cert.verify(ea.cert.publicKey), 'self-signed');
      assert.deepEqual(extensionOctets(ea.der, AAGUID_OID), info.aaguid);
      assert.equal(extensionOctets(ea.der, SERNUM_OID)?.length, 16, 'a device serial number');
    }
    assert.equal(extensionOctets(batch.der, SERNUM_OID), undefined, 'the batch certificate names no device');
    assert.deepEqual(
      extensionOctets(vendor.der, SERNUM_OID),
      extensionOctets(platform.der, SERNUM_OID),
      'one device serial',
    );
    // Vendor-facilitated: the certificate names the RP ID; platform-managed: no RP ID.
    assert.equal(vendor.cert.subjectAltName, 'DNS:corp.example');
    assert.equal(platform.cert.subjectAltName, undefined);
    assert.equal((await attest(d, 1, 'other.example')).cert.subjectAltName, 'DNS:other.example');
    // Another device: another enterprise key and serial (the batch certificate is per AAGUID and device here too).
    const e = await managementDevice();
    assert.equal(await config(e, Sub.enableEnterpriseAttestation), Status.CTAP2_OK);
    const other = await attest(e, 2, 'corp.example');
    assert.notDeepEqual(extensionOctets(other.der, SERNUM_OID), extensionOctets(platform.der, SERNUM_OID));
  });

  for (const v of VERSIONS) {
    it(`protocol ${v}: with a PIN, pinUvAuthParam over 32×0xff ‖ 0x0d ‖ subCommand ‖ subCommandParams and acfg`, async () => {
      const d = await managementDevice();
      await d.setPin();
      assert.equal(await config(d, Sub.toggleAlwaysUv), Status.CTAP2_ERR_PUAT_REQUIRED);
      const t = await d.token(v, Perm.acfg);
      const param = t.protocol.authenticate(
        t.pinUvAuthToken,
        concat(new Uint8Array(32).fill(0xff), new Uint8Array([0x0d, Sub.toggleAlwaysUv])),
      );
      assert.equal(
        await raw(
          d,
          new Map<number, Encodable>([
            [1, Sub.toggleAlwaysUv],
            [4, param],
          ]),
        ),
        Status.CTAP2_ERR_MISSING_PARAMETER,
        'no pinUvAuthProtocol',
      );
      assert.equal(
        await raw(
          d,
          new Map<number, Encodable>([
            [1, Sub.toggleAlwaysUv],
            [3, 9],
            [4, param],
          ]),
        ),
        Status.CTAP1_ERR_INVALID_PARAMETER,
      );
      assert.equal(
        await raw(
          d,
          new Map<number, Encodable>([
            [1, Sub.enableEnterpriseAttestation],
            [3, v],
            [4, param],
          ]),
        ),
        Status.CTAP2_ERR_PIN_AUTH_INVALID,
        'MAC of another subcommand',
      );
      assert.equal(
        await raw(
          d,
          new Map<number, Encodable>([
            [1, Sub.toggleAlwaysUv],
            [3, v],
            [4, param],
          ]),
        ),
        Status.CTAP2_OK,
        'the hand-built message matches',
      );
      assert.equal((await d.info()).options?.alwaysUv, true);
      // The MAC covers subCommandParams.
      const p6 = t.protocol.authenticate(
        t.pinUvAuthToken,
        concat(new Uint8Array(32).fill(0xff), new Uint8Array([0x0d, Sub.setMinPINLength]), encode(new Map([[1, 6]]))),
      );
      assert.equal(
        await raw(
          d,
          new Map<number, Encodable>([
            [1, Sub.setMinPINLength],
            [2, new Map([[1, 7]])],
            [3, v],
            [4, p6],
          ]),
        ),
        Status.CTAP2_ERR_PIN_AUTH_INVALID,
      );
      assert.equal(
        await raw(
          d,
          new Map<number, Encodable>([
            [1, Sub.setMinPINLength],
            [2, new Map([[1, 6]])],
            [3, v],
            [4, p6],
          ]),
        ),
        Status.CTAP2_OK,
      );
      assert.equal((await d.info()).minPINLength, 6);

      assert.equal(
        await d.tokenOrStatus(v, Perm.cm),
        Status.CTAP2_ERR_PIN_POLICY_VIOLATION,
        'forcePINChange (6 > 4 code points) refuses new tokens',
      );
    });

    it(`protocol ${v}: a token without acfg is refused`, async () => {
      const d = await managementDevice();
      await d.setPin();
      const t = await d.token(v, Perm.cm | Perm.lbw);
      assert.equal(await config(d, Sub.enableEnterpriseAttestation, t), Status.CTAP2_ERR_PIN_AUTH_INVALID);
      assert.equal((await d.info()).options?.ep, false);
      assert.equal(await config(d, Sub.enableEnterpriseAttestation, await d.token(v, Perm.acfg)), Status.CTAP2_OK);
      assert.equal((await d.info()).options?.ep, true);
    });
  }

  it('vendorPrototype and unknown subcommands are INVALID_SUBCOMMAND; malformed parameters are CBOR errors', async () => {
    const d = await managementDevice();
    assert.equal(await config(d, Sub.vendorPrototype), Status.CTAP2_ERR_INVALID_SUBCOMMAND);
    assert.equal(await config(d, 0x05), Status.CTAP2_ERR_INVALID_SUBCOMMAND);
    assert.equal(await raw(d, new Map([[2, new Map()]])), Status.CTAP2_ERR_MISSING_PARAMETER, 'no subCommand');
    assert.equal(await raw(d, new Map<number, Encodable>([[1, 'x']])), Status.CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
    assert.equal(
      await raw(
        d,
        new Map<number, Encodable>([
          [1, 3],
          [2, new Map([[1, 'six']])],
        ]),
      ),
      Status.CTAP2_ERR_CBOR_UNEXPECTED_TYPE,
      'newMinPINLength',
    );
    assert.equal(
      await raw(
        d,
        new Map<number, Encodable>([
          [1, 3],
          [2, new Map([[2, [1, 2]]])],
        ]),
      ),
      Status.CTAP2_ERR_CBOR_UNEXPECTED_TYPE,
      'minPinLengthRPIDs',
    );
    assert.equal(
      await raw(
        d,
        new Map<number, Encodable>([
          [1, 3],
          [2, new Map([[3, 1]])],
        ]),
      ),
      Status.CTAP2_ERR_CBOR_UNEXPECTED_TYPE,
      'forceChangePin',
    );
    assert.equal(
      await raw(
        d,
        new Map<number, Encodable>([
          [1, 3],
          [2, 5],
        ]),
      ),
      Status.CTAP2_ERR_CBOR_UNEXPECTED_TYPE,
      'subCommandParams',
    );
    assert.equal(
      await raw(
        d,
        new Map<number, Encodable>([
          [1, 3],
          [2, new Map([[4, 1]])],
        ]),
      ),
      Status.CTAP2_ERR_CBOR_UNEXPECTED_TYPE,
      'pinComplexityPolicy',
    );
  });
});

describe('authenticatorConfig: setMinPINLength', () => {
  it('only increases; minPinLengthRPIDs are kept for the minPinLength extension; forceChangePin', async () => {
    const d = await managementDevice();
    await d.setPin(); // 4 code points
    const acfg = () => d.token(1, Perm.acfg);
    assert.equal(
      await config(d, Sub.setMinPINLength, await acfg(), { newMinPINLength: 3 }),
      Status.CTAP2_ERR_PIN_POLICY_VIOLATION,
    );
    assert.equal(
      await config(d, Sub.setMinPINLength, await acfg(), { newMinPINLength: 64 }),
      Status.CTAP2_ERR_PIN_POLICY_VIOLATION,
    );
    const nine = Array.from({ length: 9 }, (_, i) => `rp${i}.example`);
    assert.equal(
      await config(d, Sub.setMinPINLength, await acfg(), { minPinLengthRPIDs: nine }),
      Status.CTAP1_ERR_INVALID_PARAMETER,
    );
    assert.equal(
      await config(d, Sub.setMinPINLength, await acfg(), {
        newMinPINLength: 4,
        minPinLengthRPIDs: ['a.example', 'b.example'],
      }),
      Status.CTAP2_OK,
    );
    let state = readPinState(d.env.store);
    assert.deepEqual(state.minPinLengthRPIDs, ['a.example', 'b.example']);
    assert.equal(state.forcePINChange, false, 'the PIN is long enough');
    assert.equal(await config(d, Sub.setMinPINLength, await acfg(), {}), Status.CTAP2_OK, 'nothing to change');

    assert.equal(await config(d, Sub.setMinPINLength, await acfg(), { forceChangePin: true }), Status.CTAP2_OK);
    state = readPinState(d.env.store);
    assert.equal(state.forcePINChange, true);
    assert.deepEqual(state.minPinLengthRPIDs, ['a.example', 'b.example'], 'absent minPinLengthRPIDs keep the list');
    assert.equal((await d.info()).forcePINChange, true);
    assert.equal(await d.tokenOrStatus(2, Perm.acfg), Status.CTAP2_ERR_PIN_POLICY_VIOLATION);

    // changePIN clears forcePINChange; the new PIN must differ.
    const p = platformProtocol(2);
    assert.equal(
      await d.status(encodeClientPinRequest(changePinParams(p, await d.keyAgreement(p), PIN, PIN).params)),
      Status.CTAP2_ERR_PIN_POLICY_VIOLATION,
    );
    assert.equal(
      await d.status(encodeClientPinRequest(changePinParams(p, await d.keyAgreement(p), PIN, '4321').params)),
      Status.CTAP2_OK,
    );
    assert.equal((await d.info()).forcePINChange, false);
  });

  it('a minimum longer than the PIN forces a change to a PIN that meets it', async () => {
    const d = await managementDevice();
    await d.setPin();
    assert.equal(
      await config(d, Sub.setMinPINLength, await d.token(2, Perm.acfg), { newMinPINLength: 6 }),
      Status.CTAP2_OK,
    );
    const info = await d.info();
    assert.equal(info.minPINLength, 6);
    assert.equal(info.forcePINChange, true);
    const p = platformProtocol(1);
    assert.equal(
      await d.status(encodeClientPinRequest(changePinParams(p, await d.keyAgreement(p), PIN, '12345').params)),
      Status.CTAP2_ERR_PIN_POLICY_VIOLATION,
    );
    assert.equal(
      await d.status(encodeClientPinRequest(changePinParams(p, await d.keyAgreement(p), PIN, '123456').params)),
      Status.CTAP2_OK,
    );
    assert.equal((await d.info()).forcePINChange, false);
    assert.notEqual(typeof (await d.tokenOrStatus(1, Perm.acfg, undefined, '123456')), 'number');
  });

  it('before a PIN is set: forceChangePin is PIN_NOT_SET, and the minimum applies to setPIN', async () => {
    const d = await managementDevice();
    assert.equal(
      await config(d, Sub.setMinPINLength, undefined, { forceChangePin: true }),
      Status.CTAP2_ERR_PIN_NOT_SET,
    );
    assert.equal(await config(d, Sub.setMinPINLength, undefined, { newMinPINLength: 8 }), Status.CTAP2_OK);
    assert.equal((await d.info()).forcePINChange, false);
    const p = platformProtocol(2);
    assert.equal(
      await d.status(encodeClientPinRequest(setPinParams(p, await d.keyAgreement(p), '1234567').params)),
      Status.CTAP2_ERR_PIN_POLICY_VIOLATION,
    );
    assert.equal(
      await d.status(encodeClientPinRequest(setPinParams(p, await d.keyAgreement(p), '12345678').params)),
      Status.CTAP2_OK,
    );
  });
});

describe('authenticatorConfig: enterprise attestation and alwaysUv in makeCredential/getAssertion', () => {
  it('enterpriseAttestation: INVALID_PARAMETER until enabled; then 1 and 2 give epAtt, others INVALID_OPTION', async () => {
    const d = await managementDevice();
    assert.equal((await d.makeCredential({ enterpriseAttestation: 2 }))[0], Status.CTAP1_ERR_INVALID_PARAMETER);
    assert.equal(await config(d, Sub.enableEnterpriseAttestation), Status.CTAP2_OK);
    for (const value of [1, 2]) {
      const r = await d.makeCredential({ enterpriseAttestation: value });
      assert.equal(r[0], Status.CTAP2_OK);
      const mc = decodeMakeCredentialResponse(r);
      assert.equal(mc.epAtt, true);
      assert.equal(mc.fmt, 'packed');
      assert.ok((mc.attStmt as ReadonlyMap<string, unknown>).get('x5c'), 'a full (certificate) attestation');
    }
    assert.equal((await d.makeCredential({ enterpriseAttestation: 3 }))[0], Status.CTAP2_ERR_INVALID_OPTION);
    assert.equal(decodeMakeCredentialResponse(await d.makeCredential()).epAtt, undefined, 'not requested');
    // authenticatorReset disables it again.
    assert.equal(await d.status(encodeSimpleCommand(Command.authenticatorReset)), Status.CTAP2_OK);
    assert.equal((await d.info()).options?.ep, false);
    assert.equal((await d.makeCredential({ enterpriseAttestation: 1 }))[0], Status.CTAP1_ERR_INVALID_PARAMETER);
  });

  for (const v of VERSIONS) {
    it(`protocol ${v}: alwaysUv requires a pinUvAuthParam for makeCredential and for assertions with up`, async () => {
      const d = await managementDevice();
      await d.makeCredential({ options: { rk: true } });
      await d.setPin();
      assert.equal(await config(d, Sub.toggleAlwaysUv, await d.token(v, Perm.acfg)), Status.CTAP2_OK);

      assert.equal((await d.makeCredential())[0], Status.CTAP2_ERR_PUAT_REQUIRED, 'non-discoverable, no UV');
      const mc = await d.makeCredential({}, await d.token(v, Perm.mc));
      assert.equal(mc[0], Status.CTAP2_OK);
      assert.ok(parseAuthenticatorData(decodeMakeCredentialResponse(mc).authData).flags & Flag.UV);

      assert.equal((await assertion(d))[0], Status.CTAP2_ERR_PUAT_REQUIRED, 'up-only assertion');
      const silent = await assertion(d, { up: false });
      assert.equal(silent[0], Status.CTAP2_OK, 'up=false is not covered by alwaysUv');
      const ga = await assertion(d, undefined, await d.token(v, Perm.ga));
      assert.equal(ga[0], Status.CTAP2_OK);
      assert.ok(parseAuthenticatorData(decodeGetAssertionResponse(ga).authData).flags & Flag.UV);

      // Kept across a power cycle; reset turns it off.
      d.auth.powerCycle();
      assert.equal((await d.info()).options?.alwaysUv, true);
      assert.equal(await d.status(encodeSimpleCommand(Command.authenticatorReset)), Status.CTAP2_OK);
      assert.equal((await d.info()).options?.alwaysUv, false);
      assert.equal((await d.makeCredential())[0], Status.CTAP2_OK);
    });
  }

  it('alwaysUv without any user verification configured: PUAT_REQUIRED (set a PIN)', async () => {
    const d = await managementDevice();
    await d.makeCredential({ options: { rk: true } });
    assert.equal(await config(d, Sub.toggleAlwaysUv), Status.CTAP2_OK);
    assert.equal((await d.makeCredential())[0], Status.CTAP2_ERR_PUAT_REQUIRED);
    assert.equal((await assertion(d))[0], Status.CTAP2_ERR_PUAT_REQUIRED);
  });

  it('alwaysUv with built-in UV: an up-only assertion performs built-in UV', async () => {
    const uv = new ScriptedUv();
    const d = await managementDevice({ uv });
    await d.makeCredential({ options: { rk: true, uv: true } });
    assert.equal(uv.calls, 1);
    assert.equal(await config(d, Sub.toggleAlwaysUv, await uvToken(d)), Status.CTAP2_OK);
    const ga = await assertion(d);
    assert.equal(ga[0], Status.CTAP2_OK);
    assert.equal(uv.calls, 3, 'built-in UV ran for the assertion');
    const flags = parseAuthenticatorData(decodeGetAssertionResponse(ga).authData).flags;
    assert.ok(flags & Flag.UV && flags & Flag.UP);
    assert.equal(
      (await d.makeCredential())[0],
      Status.CTAP2_ERR_PUAT_REQUIRED,
      'makeCredential does not upgrade to built-in UV (§6.1.2 step 6.4)',
    );
    assert.equal((await d.makeCredential({ options: { uv: true } }))[0], Status.CTAP2_OK);
  });
});

/** A token by built-in UV (getPinUvAuthTokenUsingUvWithPermissions) with acfg. */
async function uvToken(d: ManagementDevice): Promise<PinUvAuthSession> {
  const p = platformProtocol(2);
  const ex = getPinUvAuthTokenUsingUvParams(p, await d.keyAgreement(p), Perm.acfg);
  const r = await d.call(encodeClientPinRequest(ex.params));
  assert.equal(r[0], Status.CTAP2_OK);
  return { protocol: p, pinUvAuthToken: decryptPinUvAuthToken(p, ex.sharedSecret, decodeClientPinResponse(r))! };
}
