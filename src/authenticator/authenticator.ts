/**
 * The CTAP2 authenticator: composes one handler per command over a shared Core.
 */
import { createAttestationIdentity } from '../crypto/attestationCertificate.js';
import type { ClientPinResponse, Ctap2Authenticator, GetAssertionResponse, GetInfoResponse, MakeCredentialResponse, RequestContext } from '../ctap2/api.js';
import type { ClientPinRequest } from '../ctap2/requests/clientPin.js';
import type { ConfigRequest } from '../ctap2/requests/authenticatorConfig.js';
import type { CredentialManagementRequest, CredentialManagementResponse } from '../ctap2/requests/credentialManagement.js';
import type { LargeBlobsRequest, LargeBlobsResponse } from '../ctap2/requests/largeBlobs.js';
import { Command } from '../ctap2/commands.js';
import { authenticatorConfig } from './authenticatorConfig.js';
import { credentialManagement } from './credentialManagement.js';
import { largeBlobs } from './largeBlobs.js';
import type { GetAssertionRequest } from '../ctap2/requests/getAssertion.js';
import type { MakeCredentialRequest } from '../ctap2/requests/makeCredential.js';
import { allowedExtensionInputs, defaultConfig, type AuthenticatorConfig } from './config.js';
import { Core, SECRET_ATTESTATION_CERT, SECRET_ATTESTATION_KEY } from './core.js';
import type { Env } from './env.js';
import { toHex } from '../encoding/bytes.js';
import { clientPin } from './clientPin.js';
import { getAssertion, getNextAssertion } from './getAssertion.js';
import { getInfo } from './getInfo.js';
import { makeCredential } from './makeCredential.js';
import { reset } from './reset.js';
import { selection } from './selection.js';

function withExtensions<R extends { extensions?: E }, E>(req: R, extensions: E | undefined): R {
  if (extensions === req.extensions) return req;
  const { extensions: _dropped, ...rest } = req;
  return (extensions === undefined ? rest : { ...rest, extensions }) as R;
}

export class Authenticator implements Ctap2Authenticator {
  constructor(readonly core: Core) {}

  getInfo(): GetInfoResponse {
    return getInfo(this.core);
  }
  // Inputs of extensions the profile does not offer are ignored (config.ts allowedExtensionInputs).
  makeCredential(req: MakeCredentialRequest, ctx: RequestContext): Promise<MakeCredentialResponse> {
    return makeCredential(this.core, withExtensions(req, allowedExtensionInputs(this.core.config, req.extensions)), ctx);
  }
  getAssertion(req: GetAssertionRequest, ctx: RequestContext): Promise<GetAssertionResponse> {
    return getAssertion(this.core, withExtensions(req, allowedExtensionInputs(this.core.config, req.extensions)), ctx);
  }
  getNextAssertion(ctx: RequestContext): Promise<GetAssertionResponse> {
    return getNextAssertion(this.core, ctx);
  }
  clientPin(req: ClientPinRequest, ctx: RequestContext): Promise<ClientPinResponse> {
    return clientPin(this.core, req, ctx);
  }
  reset(ctx: RequestContext): Promise<void> {
    return reset(this.core, ctx);
  }
  selection(ctx: RequestContext): Promise<void> {
    return selection(this.core, ctx);
  }
  credentialManagement(req: CredentialManagementRequest, ctx: RequestContext): Promise<CredentialManagementResponse> {
    return credentialManagement(this.core, req, ctx);
  }
  largeBlobs(req: LargeBlobsRequest, ctx: RequestContext): Promise<LargeBlobsResponse> {
    return largeBlobs(this.core, req, ctx);
  }
  authenticatorConfig(req: ConfigRequest, ctx: RequestContext): Promise<void> {
    return authenticatorConfig(this.core, req, ctx);
  }
  /** Any command but credentialManagement ends a credential enumeration (§6.8.3, §6.8.4). */
  beforeCommand(command: number): void {
    if (command !== Command.authenticatorCredentialManagement && command !== Command.authenticatorCredentialManagementPreview) {
      this.core.runtime.credentialManagement = undefined;
    }
  }
  powerCycle(): void {
    this.core.powerCycle();
  }
}

/** Creates the authenticator; makes the device attestation identity on first start. */
export async function createAuthenticator(
  env: Env,
  config: AuthenticatorConfig = defaultConfig(),
  makeCore: (env: Env, config: AuthenticatorConfig, attestation: { secret: Uint8Array; certificate: Uint8Array }) => Core = (e, c, a) => new Core(e, c, a),
): Promise<Authenticator> {
  // One attestation identity per AAGUID: the certificate carries the AAGUID (profiles differ).
  const keyName = `${SECRET_ATTESTATION_KEY}:${toHex(config.aaguid)}`;
  const certName = `${SECRET_ATTESTATION_CERT}:${toHex(config.aaguid)}`;
  let secret = env.vault.get(keyName);
  let certificate = env.vault.get(certName);
  if (!secret || !certificate) {
    const identity = await createAttestationIdentity({
      aaguid: config.aaguid,
      serialNumber: env.rng.bytes(16),
      notBefore: new Date(env.clock.now() - 24 * 3600 * 1000),
    });
    env.vault.set(keyName, identity.secret);
    env.vault.set(certName, identity.certificate);
    secret = identity.secret;
    certificate = identity.certificate;
  }
  return new Authenticator(makeCore(env, config, { secret, certificate }));
}
