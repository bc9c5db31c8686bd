/**
 * Split mode beyond the seed: which requests the front sends whole to the secure core's own
 * implementation (ctap2CommandRequest 0x0113), the core's "full path" answer when the seed messages
 * cannot answer faithfully (credProtect, alwaysUv), U2F APDUs forwarded (0x0115), and --profile.
 * Front and core in one process joined by an in-memory stream (same codec and framing as two processes).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Duplex, PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import * as cbor2 from 'cbor2';
import { createAuthenticator } from '../../src/authenticator/authenticator.js';
import { commandPolicy, defaultConfig, type AuthenticatorConfig } from '../../src/authenticator/config.js';
import { decodeResponseApdu, encodeCommandApdu } from '../../src/ctap1/apdu.js';
import { decodeRegisterResponse } from '../../src/ctap1/messages.js';
import { dispatchCtap2 } from '../../src/ctap2/dispatch.js';
import { decodeGetAssertionResponse, encodeGetAssertionRequest } from '../../src/ctap2/getAssertion.js';
import {
  decodeMakeCredentialResponse,
  encodeMakeCredentialRequest,
  type MakeCredentialRequest,
} from '../../src/ctap2/makeCredential.js';
import { parseAuthenticatorData } from '../../src/ctap2/authenticatorData.js';
import { Status } from '../../src/ctap2/status.js';
import { SecureCoreService, serveSecureCore } from '../../src/split/core/secureCore.js';
import { openSplitDevice } from '../../src/main/splitDevice.js';
import { messageRoute } from '../../src/split/front/splitAuthenticator.js';
import { profileConfig } from '../../src/main/profiles.js';
import { ApduApplication, Fido2MessageType } from '../../src/securecore/messages.js';
import { testEnv } from '../helpers/env.js';

const sha256 = (b: Uint8Array | string) => new Uint8Array(createHash('sha256').update(b).digest());
const NAME_OF = new Map<number, string>(Object.entries(Fido2MessageType).map(([n, c]) => [c, n]));
const ctx = () => ({ signal: new AbortController().signal, setStatus: () => {} });

async function splitDevice(config: Partial<AuthenticatorConfig> = {}) {
  const env = testEnv();
  const service = await SecureCoreService.create(env, defaultConfig(config));
  const seen: string[] = []; // request types as they reach the core
  const handle = service.handle.bind(service);
  service.handle = (request) => (seen.push(NAME_OF.get(request[4]! | (request[5]! << 8))!), handle(request));
  const device = openSplitDevice({
    config,
    core: () => {
      const toCore = new PassThrough();
      const toFront = new PassThrough();
      void serveSecureCore(service, Duplex.from({ readable: toCore, writable: toFront }));
      return {
        stream: Duplex.from({ readable: toFront, writable: toCore }),
        close: () => (toCore.end(), toFront.end()),
      };
    },
  });
  return { env, device, seen };
}

const mc = (extra: Partial<MakeCredentialRequest> = {}): MakeCredentialRequest => ({
  clientDataHash: sha256('create'),
  rp: { id: 'full.example' },
  user: { id: new Uint8Array([7]), name: 'dave', displayName: 'Dave' },
  pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
  options: { rk: true },
  ...extra,
});

describe('split mode: the front routes by what the seed messages carry', () => {
  it('messageRoute: extensions, uv, enterprise attestation, IDs other than 16 bytes or more than ten go whole', () => {
    const config = defaultConfig();
    const route = (request: Uint8Array) => messageRoute(request, config);
    const id16 = { type: 'public-key' as const, id: new Uint8Array(16) };
    assert.equal(route(encodeMakeCredentialRequest(mc())), 'messages');
    assert.equal(route(encodeMakeCredentialRequest(mc({ excludeList: [id16] }))), 'messages');
    assert.equal(
      route(encodeMakeCredentialRequest(mc({ rp: { id: 'full.example', name: 'Full' }, options: {} }))),
      'messages',
    );
    assert.equal(
      route(encodeMakeCredentialRequest(mc({ rp: { id: 'full.example', name: 'Full' } }))),
      'messages',
      'the RP name travels in 0x0103',
    );
    assert.equal(route(encodeMakeCredentialRequest(mc({ extensions: new Map([['credProtect', 2]]) }))), 'whole');
    assert.equal(route(encodeMakeCredentialRequest(mc({ options: { uv: true } }))), 'whole');
    assert.equal(route(encodeMakeCredentialRequest(mc({ enterpriseAttestation: 1 }))), 'whole');
    assert.equal(
      route(encodeMakeCredentialRequest(mc({ excludeList: [{ type: 'public-key', id: new Uint8Array(70) }] }))),
      'whole',
    );
    assert.equal(
      route(encodeMakeCredentialRequest(mc({ excludeList: Array.from({ length: 11 }, () => id16) }))),
      'whole',
    );
    assert.equal(
      route(encodeMakeCredentialRequest(mc({ pubKeyCredParams: [{ type: 'public-key', alg: -47 }] }))),
      'whole',
      'no supported algorithm: the core answers',
    );
    const ga = { rpId: 'full.example', clientDataHash: sha256('get') };
    assert.equal(route(encodeGetAssertionRequest({ ...ga, allowList: [id16] })), 'messages');
    assert.equal(route(encodeGetAssertionRequest(ga)), 'messages');
    assert.equal(route(encodeGetAssertionRequest({ ...ga, extensions: new Map([['credBlob', true]]) })), 'whole');
    assert.equal(route(encodeGetAssertionRequest({ ...ga, options: { uv: true } })), 'whole');
    assert.equal(
      route(encodeGetAssertionRequest({ ...ga, allowList: [{ type: 'public-key', id: new Uint8Array(17) }] })),
      'whole',
    );
    assert.equal(route(encodeGetAssertionRequest({ ...ga, rpId: 'x'.repeat(252) })), 'whole');
    assert.equal(route(new Uint8Array([0x01, 0xff])), 'messages', 'bad CBOR: the front refuses it itself');
    assert.equal(route(new Uint8Array([0x04])), 'whole');
    assert.equal(route(encodeGetAssertionRequest(ga)), 'messages');
    assert.equal(
      messageRoute(encodeGetAssertionRequest(ga), defaultConfig(profileConfig('ctap20'))),
      'whole',
      'a profile: every command whole',
    );
  });

  it('credProtect: made whole with a 16-byte handle; the seed message asks the same authenticator, which applies it', async () => {
    const { device, seen } = await splitDevice();
    const made = await device.cbor(encodeMakeCredentialRequest(mc({ extensions: new Map([['credProtect', 3]]) })));
    assert.equal(made[0], 0);
    assert.deepEqual(seen.splice(0), ['ctap2CommandRequest'], 'an extension: the whole command, no seed message');
    const auth = parseAuthenticatorData(decodeMakeCredentialResponse(made).authData);
    const id = auth.attestedCredentialData!.credentialId;
    assert.equal(id.length, 16, 'the core mints the seed’s 16-byte handles on every path');
    assert.equal((cbor2.decode(auth.extensions!) as { credProtect?: number }).credProtect, 3);

    // Plain getAssertion with the ID: the seed message; the authenticator applies credProtect 3 (no UV).
    const get = encodeGetAssertionRequest({
      rpId: 'full.example',
      clientDataHash: sha256('get'),
      allowList: [{ type: 'public-key', id }],
    });
    assert.deepEqual(
      await device.cbor(get),
      new Uint8Array([Status.CTAP2_ERR_NO_CREDENTIALS]),
      'credProtect 3 without UV',
    );
    assert.deepEqual(seen.splice(0), ['getAssertionRequest']);
    device.close();
  });

  it('a credential made on the seed path is used by the full implementation ("credBlob": true in getAssertion)', async () => {
    const { device, seen } = await splitDevice();
    const made = await device.cbor(encodeMakeCredentialRequest(mc()));
    assert.equal(made[0], 0);
    assert.ok(seen.includes('makeCredentialRequest'));
    const id = parseAuthenticatorData(decodeMakeCredentialResponse(made).authData).attestedCredentialData!.credentialId;
    seen.length = 0;
    // credBlob read in getAssertion: an extension, so the whole command; the credential has no blob.
    const r = await device.cbor(
      encodeGetAssertionRequest({
        rpId: 'full.example',
        clientDataHash: sha256('get'),
        allowList: [{ type: 'public-key', id }],
        extensions: new Map([['credBlob', true]]),
      }),
    );
    assert.equal(r[0], 0);
    assert.deepEqual(seen, ['ctap2CommandRequest']);
    const a = decodeGetAssertionResponse(r);
    assert.deepEqual(a.credential?.id, id);
    assert.deepEqual(
      (cbor2.decode(parseAuthenticatorData(a.authData).extensions!) as { credBlob?: Uint8Array }).credBlob,
      new Uint8Array(0),
    );
    device.close();
  });

  it('U2F: CTAPHID_MSG APDUs go to the core (apduRequest 0x0115); the key handle is a 16-byte handle', async () => {
    const { device, seen } = await splitDevice();
    const version = decodeResponseApdu(
      (await device.authenticator.apdu(ApduApplication.u2f, encodeCommandApdu({ ins: 0x03 }), ctx()))!,
    );
    assert.equal(version.sw, 0x9000);
    assert.equal(new TextDecoder().decode(version.data), 'U2F_V2');
    const register = await device.authenticator.apdu(
      ApduApplication.u2f,
      encodeCommandApdu({ ins: 0x01, p1: 0x03, data: new Uint8Array([...sha256('c'), ...sha256('a')]), ne: 65536 }),
      ctx(),
    );
    const r = decodeResponseApdu(register!);
    assert.equal(r.sw, 0x9000);
    assert.equal(decodeRegisterResponse(r.data).keyHandle.length, 16);
    assert.ok(seen.every((t) => t === 'apduRequest'));
    // The Filecoin application is not served by a core made without it.
    assert.equal(
      await device.authenticator.apdu(ApduApplication.filecoin, new Uint8Array([0x06, 0x00, 0x00, 0x00, 0x00]), ctx()),
      undefined,
    );
    assert.deepEqual(
      await device.filecoinApdu(new Uint8Array([0x06, 0x00, 0x00, 0x00, 0x00])),
      new Uint8Array([0x6e, 0x00]),
    );
    device.close();
  });

  for (const profile of ['ctap20', 'badge']) {
    it(`--profile ${profile}: getInfo and every request answer as the single-process device with that profile`, async () => {
      const config = profileConfig(profile);
      const { device, seen } = await splitDevice(config);
      const single = await createAuthenticator(testEnv(), defaultConfig(config));
      const requests = [
        new Uint8Array([0x04]),
        new Uint8Array([0x0c, 0xa2, 0x01, 0x18, 0x20, 0x03, 0x00]),
        new Uint8Array([0x0d, 0xa1, 0x01, 0x01]),
        new Uint8Array([0x0a, 0xa1, 0x01, 0x01]),
      ];
      for (const request of requests)
        assert.deepEqual(
          await device.cbor(request),
          await dispatchCtap2(single, request, ctx(), commandPolicy(single.core.config)),
          `request ${Buffer.from(request).toString('hex')}`,
        );
      const made = await device.cbor(encodeMakeCredentialRequest(mc({ options: {} })));
      assert.equal(made[0], 0);
      assert.ok(
        !seen.includes('makeCredentialRequest') && !seen.includes('makeCredentialExRequest'),
        'a profile’s rules are the core’s: the whole command goes',
      );
      device.close();
    });
  }
});
