/**
 * The CTAP2 authenticator API (CTAP 2.1 §6): typed requests in, typed responses out.
 * src/authenticator implements it; ctap2/dispatch.ts turns bytes into calls and back.
 */
import type { CborValue, Encodable } from '../encoding/cbor.js';
import type { ClientPinRequest } from './requests/clientPin.js';
import type { ConfigRequest } from './requests/authenticatorConfig.js';
import type { CredentialManagementRequest, CredentialManagementResponse } from './requests/credentialManagement.js';
import type { LargeBlobsRequest, LargeBlobsResponse } from './requests/largeBlobs.js';
import type { GetAssertionRequest } from './requests/getAssertion.js';
import type { MakeCredentialRequest, PublicKeyCredentialUserEntity } from './requests/makeCredential.js';
import type { ExtensionInputDecoder } from './requests/extensions.js';

export interface RequestContext {
  /** Aborted on CTAPHID_CANCEL: a pending presence prompt must end with CTAP2_ERR_KEEPALIVE_CANCEL. */
  readonly signal: AbortSignal;
  /** 'upneeded' while waiting for the user (shown in KEEPALIVE). */
  setStatus(status: 'processing' | 'upneeded'): void;
}

/**
 * fmt and attStmt (WebAuthn L3 §6.5.4): attStmt is a map, or for fmt "compound" (§8.9) an array of
 * { fmt, attStmt } maps.
 */
export interface AttestationStatement {
  fmt: string;
  attStmt: ReadonlyMap<string, Encodable> | readonly Encodable[];
}

export interface MakeCredentialResponse extends AttestationStatement {
  authData: Uint8Array;
  epAtt?: boolean;
  largeBlobKey?: Uint8Array;
}

export interface GetAssertionResponse {
  credential: { type: 'public-key'; id: Uint8Array };
  authData: Uint8Array;
  signature: Uint8Array;
  user?: PublicKeyCredentialUserEntity;
  numberOfCredentials?: number;
  userSelected?: boolean;
  largeBlobKey?: Uint8Array;
}

export interface GetInfoResponse {
  versions: string[];
  extensions?: string[];
  aaguid: Uint8Array;
  options?: Record<string, boolean>;
  maxMsgSize?: number;
  pinUvAuthProtocols?: number[];
  maxCredentialCountInList?: number;
  maxCredentialIdLength?: number;
  transports?: string[];
  algorithms?: Array<{ type: 'public-key'; alg: number }>;
  maxSerializedLargeBlobArray?: number;
  forcePINChange?: boolean;
  minPINLength?: number;
  firmwareVersion?: number;
  maxCredBlobLength?: number;
  maxRPIDsForSetMinPINLength?: number;
  preferredPlatformUvAttempts?: number;
  uvModality?: number;
  remainingDiscoverableCredentials?: number;
  // CTAP 2.3 §6.4.
  attestationFormats?: string[];
  uvCountSinceLastPinEntry?: number;
  longTouchForReset?: boolean;
  encIdentifier?: Uint8Array;
  transportsForReset?: string[];
  pinComplexityPolicy?: boolean;
  pinComplexityPolicyURL?: Uint8Array;
  maxPINLength?: number;
  encCredStoreState?: Uint8Array;
  authenticatorConfigCommands?: number[];
}

/** §6.5 authenticatorClientPIN response (every member optional; setPIN/changePIN return none). */
export interface ClientPinResponse {
  /** The authenticator's key-agreement key, a COSE_Key. */
  keyAgreement?: Map<number, CborValue>;
  /** The pinUvAuthToken, encrypted to the shared secret. */
  pinUvAuthToken?: Uint8Array;
  pinRetries?: number;
  powerCycleState?: boolean;
  uvRetries?: number;
}

export interface Ctap2Authenticator {
  /**
   * The decoders of the extension inputs it implements (authenticator/extensions/list.ts), used by
   * dispatch.ts to decode makeCredential and getAssertion; none: every extension input is ignored.
   */
  readonly extensionDecoders?: readonly ExtensionInputDecoder[];
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
