/**
 * A test device for the CTAP 2.1 management commands (credentialManagement, largeBlobs,
 * authenticatorConfig): an Authenticator over the test Env, driven through dispatchCtap2 bytes, with
 * the platform side of clientPIN to set a PIN and obtain pinUvAuthTokens with permissions.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createAuthenticator } from '../../src/authenticator/authenticator.js';
import { defaultConfig, type AuthenticatorConfig } from '../../src/authenticator/config.js';
import type { Env, UserVerification } from '../../src/authenticator/env.js';
import { Command } from '../../src/ctap2/commands.js';
import {
  ClientPinSubCommand as Sub,
  decodeClientPinResponse,
  encodeClientPinRequest,
} from '../../src/ctap2/clientPin.js';
import { dispatchCtap2 } from '../../src/ctap2/dispatch.js';
import {
  decryptPinUvAuthToken,
  encodeSimpleCommand,
  getKeyAgreementParams,
  getPinTokenParams,
  getPinUvAuthTokenUsingPinParams,
  pinUvAuthParamFor,
  setPinParams,
} from '../../src/ctap2/hostCodec.js';
import { decodeGetInfoResponse } from '../../src/ctap2/getInfo.js';
import {
  decodeMakeCredentialResponse,
  encodeMakeCredentialRequest,
  type MakeCredentialRequest,
} from '../../src/ctap2/makeCredential.js';
import type { PinUvAuthSession } from '../../src/ctap2/hostCodec.js';
import {
  platformProtocol,
  type PinUvAuthProtocolVersion,
  type PlatformPinUvAuthProtocol,
} from '../../src/ctap2/pinUvAuthProtocol.js';
import { parseAuthenticatorData } from '../../src/ctap2/authenticatorData.js';
import { Status } from '../../src/ctap2/status.js';
import type { Encodable } from '../../src/encoding/cbor.js';
import { testContext, testEnv } from '../helpers/env.js';

export const PIN = '1234';
export const VERSIONS: PinUvAuthProtocolVersion[] = [2, 1];
export const sha256 = (s: string | Uint8Array) => new Uint8Array(createHash('sha256').update(s).digest());

export class ScriptedUv implements UserVerification {
  available = true;
  calls = 0;
  async verify(): Promise<'verified' | 'failed' | 'timeout'> {
    this.calls++;
    return 'verified';
  }
}

/** The test Env; its store may be any CredentialStore (MemoryStore by default). */
export type TestEnv = Omit<ReturnType<typeof testEnv>, 'store'> & Env;

export async function managementDevice(
  options: { env?: TestEnv; config?: Partial<AuthenticatorConfig>; uv?: UserVerification } = {},
) {
  const env: TestEnv = options.env ?? testEnv();
  if (options.uv) env.uv = options.uv;
  const auth = await createAuthenticator(env, defaultConfig(options.config));
  const call = (request: Uint8Array) => dispatchCtap2(auth, request, testContext());
  const status = async (request: Uint8Array) => (await call(request))[0]!;
  const info = async () => decodeGetInfoResponse(await call(encodeSimpleCommand(Command.authenticatorGetInfo)));
  const keyAgreement = async (p: PlatformPinUvAuthProtocol) =>
    decodeClientPinResponse(await call(encodeClientPinRequest(getKeyAgreementParams(p)))).keyAgreement!;

  const setPin = async (version: PinUvAuthProtocolVersion = 2, pin = PIN) => {
    const p = platformProtocol(version);
    const s = await status(encodeClientPinRequest(setPinParams(p, await keyAgreement(p), pin).params));
    assert.equal(s, Status.CTAP2_OK, 'setPIN');
  };

  /**
   * A pinUvAuthToken with `permissions` (getPinUvAuthTokenUsingPinWithPermissions), or with the
   * default mc|ga of getPinToken when permissions is undefined; a status number on failure.
   */
  const tokenOrStatus = async (
    version: PinUvAuthProtocolVersion,
    permissions?: number,
    rpId?: string,
    pin = PIN,
  ): Promise<PinUvAuthSession | number> => {
    const p = platformProtocol(version);
    const ka = await keyAgreement(p);
    const ex =
      permissions === undefined
        ? getPinTokenParams(p, ka, pin)
        : getPinUvAuthTokenUsingPinParams(p, ka, pin, permissions, rpId);
    const r = await call(encodeClientPinRequest(ex.params));
    if (r[0] !== Status.CTAP2_OK) return r[0]!;
    const pinUvAuthToken = decryptPinUvAuthToken(p, ex.sharedSecret, decodeClientPinResponse(r));
    assert.ok(pinUvAuthToken);
    return { protocol: p, pinUvAuthToken };
  };
  const token = async (
    version: PinUvAuthProtocolVersion,
    permissions?: number,
    rpId?: string,
    pin = PIN,
  ): Promise<PinUvAuthSession> => {
    const t = await tokenOrStatus(version, permissions, rpId, pin);
    if (typeof t === 'number') assert.fail(`expected a pinUvAuthToken, got status 0x${t.toString(16)}`);
    return t;
  };

  /** makeCredential; with a session, authenticated by pinUvAuthParam. Returns the raw response. */
  const makeCredential = (over: Partial<MakeCredentialRequest> = {}, session?: PinUvAuthSession) => {
    const params: MakeCredentialRequest = {
      clientDataHash: sha256('client data'),
      rp: { id: 'example.com', name: 'Example' },
      user: { id: new Uint8Array([1, 2, 3, 4]), name: 'alice', displayName: 'Alice' },
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      ...over,
    };
    if (session) {
      params.pinUvAuthParam = pinUvAuthParamFor(
        session.protocol as PlatformPinUvAuthProtocol,
        session.pinUvAuthToken,
        params.clientDataHash,
      );
      params.pinUvAuthProtocol = session.protocol.version;
    }
    return call(encodeMakeCredentialRequest(params));
  };

  /** A discoverable credential (PIN-less device, or with an mc token); returns its credential ID. */
  const residentCredential = async (
    rpId: string,
    userId: number[],
    session?: PinUvAuthSession,
    extensions?: ReadonlyMap<string, Encodable>,
  ) => {
    const r = await makeCredential(
      {
        rp: { id: rpId, name: `RP ${rpId}` },
        user: { id: new Uint8Array(userId), name: `user${userId.join('')}`, displayName: `User ${userId.join('')}` },
        options: { rk: true },
        ...(extensions && { extensions }),
      },
      session,
    );
    assert.equal(r[0], Status.CTAP2_OK, `makeCredential for ${rpId}`);
    return parseAuthenticatorData(decodeMakeCredentialResponse(r).authData).attestedCredentialData!.credentialId;
  };

  return {
    env,
    auth,
    call,
    status,
    info,
    keyAgreement,
    setPin,
    token,
    tokenOrStatus,
    makeCredential,
    residentCredential,
  };
}

export type ManagementDevice = Awaited<ReturnType<typeof managementDevice>>;

export { Sub as ClientPinSub };
