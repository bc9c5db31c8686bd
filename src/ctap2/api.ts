/**
 * The CTAP2 authenticator API (CTAP 2.1 §6): typed requests in, typed responses out.
 * src/authenticator implements it; ctap2/dispatch.ts turns bytes into calls and back.
 */
import type { ClientPinRequest, ClientPinResponse } from './clientPin.js';
import type { ConfigRequest } from './authenticatorConfig.js';
import type { CredentialManagementRequest, CredentialManagementResponse } from './credentialManagement.js';
import type { LargeBlobsRequest, LargeBlobsResponse } from './largeBlobs.js';
import type { GetAssertionRequest, GetAssertionResponse } from './getAssertion.js';
import type { GetInfoResponse } from './getInfo.js';
import type { MakeCredentialRequest, MakeCredentialResponse } from './makeCredential.js';

export interface RequestContext {
  /** Aborted on CTAPHID_CANCEL: a pending presence prompt must end with CTAP2_ERR_KEEPALIVE_CANCEL. */
  readonly signal: AbortSignal;
  /** 'upneeded' while waiting for the user (shown in KEEPALIVE). */
  setStatus(status: 'processing' | 'upneeded'): void;
}

export interface Ctap2Authenticator {
  getInfo(): GetInfoResponse;
  makeCredential(req: MakeCredentialRequest, ctx: RequestContext): Promise<MakeCredentialResponse>;
  getAssertion(req: GetAssertionRequest, ctx: RequestContext): Promise<GetAssertionResponse>;
  getNextAssertion(ctx: RequestContext): Promise<GetAssertionResponse>;
  clientPin(req: ClientPinRequest, ctx: RequestContext): Promise<ClientPinResponse>;
  reset(ctx: RequestContext): Promise<void>;
  selection(ctx: RequestContext): Promise<void>;
  credentialManagement(req: CredentialManagementRequest, ctx: RequestContext): Promise<CredentialManagementResponse>;
  largeBlobs(req: LargeBlobsRequest, ctx: RequestContext): Promise<LargeBlobsResponse>;
  authenticatorConfig(req: ConfigRequest, ctx: RequestContext): Promise<void>;
  /** Called with each command byte before its handler: stateful commands drop their state (§6.8). */
  beforeCommand?(command: number): void;
}
