/**
 * authenticatorGetAssertion in the ctap20 profile follows CTAP 2.0 §5.2's "user" member where
 * CTAP 2.1 §6.2.2 differs (found by the SoloKeys fido2-tests suite, docs/conformance.md): the
 * user's name and displayName come back only when user verification was done and more than one
 * account answers; a single account returns its id only. The default profile returns them after
 * user verification whatever the count (§6.2.2 step 12).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Command } from '../../src/ctap2/commands.js';
import {
  decryptPinUvAuthToken,
  encodeSimpleCommand,
  getKeyAgreementParams,
  getPinTokenParams,
  pinUvAuthParamFor,
} from '../../src/ctap2/hostCodec.js';
import { decodeClientPinResponse, encodeClientPinRequest } from '../../src/ctap2/clientPin.js';
import { decodeGetAssertionResponse, encodeGetAssertionRequest } from '../../src/ctap2/getAssertion.js';
import { decodeMakeCredentialResponse, encodeMakeCredentialRequest } from '../../src/ctap2/makeCredential.js';
import { parseAuthenticatorData } from '../../src/ctap2/authenticatorData.js';
import { platformProtocol } from '../../src/ctap2/pinUvAuthProtocol.js';
import { Status } from '../../src/ctap2/status.js';
import { openSoftKey, type SoftKey } from '../../src/main/softkey.js';

const RP = 'ctap20.example';
const opened: SoftKey[] = [];
after(async () => {
  for (const k of opened) await k.close();
});
async function key(profile?: string): Promise<SoftKey> {
  const k = await openSoftKey({ dataDir: ':memory:', ...(profile !== undefined && { profile }) });
  opened.push(k);
  return k;
}

/** CTAP 2.0 getPinToken (0x05) with PIN protocol 1, the PIN set on the device first. */
async function pinToken(k: SoftKey, pin: string): Promise<Uint8Array> {
  k.setDevicePin(pin);
  const p1 = platformProtocol(1);
  const ka = decodeClientPinResponse(await k.cbor(encodeClientPinRequest(getKeyAgreementParams(p1)))).keyAgreement!;
  const ex = getPinTokenParams(p1, ka, pin);
  const resp = await k.cbor(encodeClientPinRequest(ex.params));
  assert.equal(resp[0], Status.CTAP2_OK);
  return decryptPinUvAuthToken(p1, ex.sharedSecret, decodeClientPinResponse(resp))!;
}
const auth = (token: Uint8Array | undefined, cdh: Uint8Array) =>
  token ? { pinUvAuthParam: pinUvAuthParamFor(platformProtocol(1), token, cdh), pinUvAuthProtocol: 1 } : {};

async function makeCredential(k: SoftKey, i: number, rk: boolean, token?: Uint8Array): Promise<Uint8Array> {
  const clientDataHash = new Uint8Array(32).fill(i);
  const r = await k.cbor(
    encodeMakeCredentialRequest({
      clientDataHash,
      rp: { id: RP },
      user: { id: new Uint8Array([i]), name: `user${i}`, displayName: `User ${i}` },
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      ...(rk && { options: { rk: true } }),
      ...auth(token, clientDataHash),
    }),
  );
  assert.equal(r[0], Status.CTAP2_OK, `makeCredential ${i}`);
  return parseAuthenticatorData(decodeMakeCredentialResponse(r).authData).attestedCredentialData!.credentialId;
}

async function getAssertion(k: SoftKey, ids: Uint8Array[] | undefined, token?: Uint8Array) {
  const clientDataHash = new Uint8Array(32).fill(0x55);
  const allowList = ids?.map((id) => ({ type: 'public-key' as const, id }));
  const r = await k.cbor(
    encodeGetAssertionRequest({
      rpId: RP,
      clientDataHash,
      ...(allowList && { allowList }),
      ...auth(token, clientDataHash),
    }),
  );
  assert.equal(r[0], Status.CTAP2_OK);
  return decodeGetAssertionResponse(r, allowList);
}

describe('getAssertion user entity in the ctap20 profile (CTAP 2.0 §5.2)', () => {
  it('with a pinToken, a single discoverable account returns its user id only; two return name and displayName', async () => {
    const k = await key('ctap20');
    const token = await pinToken(k, '1234');
    await makeCredential(k, 1, true, token);
    const single = await getAssertion(k, undefined, token);
    assert.deepEqual(single.user, { id: new Uint8Array([1]) });
    assert.equal(single.numberOfCredentials, undefined);

    await makeCredential(k, 2, true, token);
    const many = await getAssertion(k, undefined, token);
    assert.equal(many.numberOfCredentials, 2);
    assert.equal(typeof many.user?.name, 'string');
    assert.equal(typeof many.user?.displayName, 'string');
    const next = decodeGetAssertionResponse(await k.cbor(encodeSimpleCommand(Command.authenticatorGetNextAssertion)));
    assert.equal(typeof next.user?.name, 'string');
  });
});
