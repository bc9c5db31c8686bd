/**
 * The CTAP2 authenticator: composes one handler per command over a shared Core.
 */
import { createAttestationIdentity } from '../crypto/attestationCertificate.js';
import type { Ctap2Authenticator, RequestContext } from '../ctap2/api.js';
import type { ClientPinResponse, ClientPinRequest } from '../ctap2/clientPin.js';
import type { GetAssertionResponse, GetAssertionRequest } from '../ctap2/getAssertion.js';
import type { GetInfoResponse } from '../ctap2/getInfo.js';
import type { MakeCredentialResponse, MakeCredentialRequest } from '../ctap2/makeCredential.js';
import type { ConfigRequest } from '../ctap2/authenticatorConfig.js';
import type { CredentialManagementRequest, CredentialManagementResponse } from '../ctap2/credentialManagement.js';
import type { LargeBlobsRequest, LargeBlobsResponse } from '../ctap2/largeBlobs.js';
import { Command } from '../ctap2/commands.js';
import { CtapError, Status } from '../ctap2/status.js';
import { StoreFullError } from '../store/storeErrors.js';
import { authenticatorConfig } from './authenticatorConfig.js';
import { credentialManagement } from './credentialManagement.js';
import { largeBlobs } from './largeBlobs.js';
import { defaultConfig, type AuthenticatorConfig } from './config.js';
import { withExtensionInputs } from './extensions/supported.js';
import { Core, SECRET_ATTESTATION_CERT, SECRET_ATTESTATION_KEY } from './core.js';
import type { Env } from './env.js';
import { toHex } from '../encoding/bytes.js';
import { clientPin } from './clientPin.js';
import { getAssertion, getNextAssertion } from './getAssertion.js';
import { getInfo } from './getInfo.js';
import { makeCredential } from './makeCredential.js';
import { reset } from './reset.js';
import { selection } from './selection.js';

/**
 * A full file system under the store: CTAP 2.1 §6.1.2 step 17 answers "not enough storage for the
 * credential" with CTAP2_ERR_KEY_STORE_FULL, and §6.10.2 a large-blob array that cannot be stored
 * with CTAP2_ERR_LARGE_BLOB_STORAGE_FULL; any other command whose write fails for lack of space gets
 * KEY_STORE_FULL too, rather than CTAP1_ERR_OTHER.
 */
function storageFull<T>(run: () => Promise<T>, full: (e: unknown) => never = keyStoreFull): Promise<T> {
  // A rejection handler rather than an async wrapper: one promise fewer on every command. A
  // synchronous throw (an extension input decoded before the command runs) still rejects.
  let running: Promise<T>;
  try {
    running = run();
  } catch (e) {
    running = Promise.reject(e);
  }
  return running.catch(full);
}

/** The rejection handlers of storageFull, made once rather than per command. */
const fullAs =
  (status: number) =>
  (e: unknown): never => {
    if (e instanceof StoreFullError) throw new CtapError(status, e.message);
    throw e;
  };
const keyStoreFull = fullAs(Status.CTAP2_ERR_KEY_STORE_FULL);
const largeBlobStorageFull = fullAs(Status.CTAP2_ERR_LARGE_BLOB_STORAGE_FULL);

export class Authenticator implements Ctap2Authenticator {
  constructor(readonly core: Core) {}

  getInfo(): GetInfoResponse {
    return getInfo(this.core);
  }
  // Extension inputs are decoded first; those of extensions the profile does not offer are ignored (supported.ts).
  makeCredential(req: MakeCredentialRequest, ctx: RequestContext): Promise<MakeCredentialResponse> {
    return storageFull(() =>
      makeCredential(this.core, withExtensionInputs(this.core.config, req, 'makeCredential'), ctx),
    );
  }
  getAssertion(req: GetAssertionRequest, ctx: RequestContext): Promise<GetAssertionResponse> {
    return storageFull(() => getAssertion(this.core, withExtensionInputs(this.core.config, req, 'getAssertion'), ctx));
  }
  getNextAssertion(ctx: RequestContext): Promise<GetAssertionResponse> {
    return storageFull(() => getNextAssertion(this.core, ctx));
  }
  clientPin(req: ClientPinRequest, ctx: RequestContext): Promise<ClientPinResponse> {
    return storageFull(() => clientPin(this.core, req, ctx));
  }
  reset(ctx: RequestContext): Promise<void> {
    return storageFull(() => reset(this.core, ctx));
  }
  selection(ctx: RequestContext): Promise<void> {
    return selection(this.core, ctx);
  }
  credentialManagement(req: CredentialManagementRequest, ctx: RequestContext): Promise<CredentialManagementResponse> {
    return storageFull(() => credentialManagement(this.core, req, ctx));
  }
  largeBlobs(req: LargeBlobsRequest, ctx: RequestContext): Promise<LargeBlobsResponse> {
    return storageFull(() => largeBlobs(this.core, req, ctx), largeBlobStorageFull);
  }
  authenticatorConfig(req: ConfigRequest, ctx: RequestContext): Promise<void> {
    return storageFull(() => authenticatorConfig(this.core, req, ctx));
  }
  /** Any command but credentialManagement ends a credential enumeration (§6.8.3, §6.8.4). */
  beforeCommand(command: number): void {
    if (
      command !== Command.authenticatorCredentialManagement &&
      command !== Command.authenticatorCredentialManagementPreview
    ) {
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
  makeCore: (
    env: Env,
    config: AuthenticatorConfig,
    attestation: { secret: Uint8Array; certificate: Uint8Array },
  ) => Core = (e, c, a) => new Core(e, c, a),
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
