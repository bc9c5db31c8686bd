/**
 * The front of `softkey start --split` (issue #6, seed 004): it maps CTAP 2.1 §6.1
 * authenticatorMakeCredential, §6.2 getAssertion, §6.3 getNextAssertion, §6.5 clientPIN, §6.6 reset
 * and §6.9 selection onto the secure core's messages and assembles authenticator data from the
 * answers. It decides nothing of the spec's: the core runs the one authenticator on every request.
 * It never holds a private key (the bytes the core signs are the authenticator data this front
 * rebuilds from the answer, both with ctap2/authenticatorData.ts).
 *
 * Which message carries a request (docs/split.md):
 *   makeCredential ES256, rk, nothing else             → seed makeCredentialRequest (0x0003)
 *   makeCredential otherwise                           → makeCredentialExRequest (0x0103)
 *   getAssertion with an allowList                     → seed getAssertionRequest (0x0005), silent when up=false;
 *                                                         error 0x03 (signature does not fit) → getAssertionExRequest
 *   getAssertion without an allowList, or with a PIN   → getAssertionExRequest (0x0105)
 *   clientPIN                                          → clientPinRequest (0x0111)
 * A request the messages cannot carry (messageRoute: extensions, options they have no field for,
 * credential IDs other than 16 bytes or more than ten, long RP IDs or user handles) goes whole to
 * the core (0x0113), as does every other command; U2F and Filecoin APDUs go with apduRequest (0x0115).
 */
import type { Ctap2Authenticator, RequestContext } from '../../ctap2/api.js';
import type { ClientPinResponse, ClientPinRequest } from '../../ctap2/clientPin.js';
import type { GetAssertionResponse } from '../../ctap2/getAssertion.js';
import type { GetInfoResponse } from '../../ctap2/getInfo.js';
import type { MakeCredentialResponse } from '../../ctap2/makeCredential.js';
import { buildAuthenticatorData } from '../../ctap2/authenticatorData.js';
import { decodeGetAssertionRequest, type GetAssertionRequest } from '../../ctap2/getAssertion.js';
import { dispatchCtap2 } from '../../ctap2/dispatch.js';
import { decodeMakeCredentialRequest, type MakeCredentialRequest } from '../../ctap2/makeCredential.js';
import { Command } from '../../ctap2/commands.js';
import { ClientPinSubCommand } from '../../ctap2/clientPin.js';
import { CtapError, Status } from '../../ctap2/status.js';
import { concat, utf8 } from '../../encoding/bytes.js';
import type { Encodable, CborKey, CborValue } from '../../encoding/cbor.js';
import { CoseAlg, CoseCrv, CoseKty, encodeCoseKey, type CredentialAlg } from '../../encoding/cose.js';
import { rawToDerSignature } from '../../securecore/ecdsaSignature.js';
import {
  AttestationKind,
  CREDENTIAL_ID_LENGTH,
  ErrorCode,
  MAX_ALLOW_LIST,
  MAX_BODY_LENGTH,
  RPID_SIZE,
  truncateUtf8,
  USER_HANDLE_SIZE,
  USER_NAME_SIZE,
  type AssertionExResponse,
  type ClientPinRequest as ClientPinMessage,
  type DeviceInfoResponse,
  type PinUvAuth,
  type SecureCoreMessage,
} from '../../securecore/messages.js';
import { CoreUnavailableError, type SecureCoreLink } from './coreLink.js';

/** The messages' error codes → CTAP status (issue #6's table, plus the extension set's). */
export const CTAP_STATUS_OF_ERROR: ReadonlyMap<number, number> = new Map([
  [ErrorCode.operationDenied, Status.CTAP2_ERR_OPERATION_DENIED],
  [ErrorCode.userNotPresent, Status.CTAP2_ERR_USER_ACTION_TIMEOUT],
  [ErrorCode.storageExhausted, Status.CTAP2_ERR_KEY_STORE_FULL],
  [ErrorCode.noCredentials, Status.CTAP2_ERR_NO_CREDENTIALS],
  [ErrorCode.notAllowed, Status.CTAP2_ERR_NOT_ALLOWED],
  [ErrorCode.unsupportedAlgorithm, Status.CTAP2_ERR_UNSUPPORTED_ALGORITHM],
  [ErrorCode.invalidRequest, Status.CTAP1_ERR_INVALID_PARAMETER],
  [ErrorCode.other, Status.CTAP1_ERR_OTHER],
  [ErrorCode.cancelled, Status.CTAP2_ERR_KEEPALIVE_CANCEL],
]);

/**
 * The PIN/UV auth protocols the core speaks (ctap2/pinUvAuthProtocol.ts PIN_UV_AUTH_PROTOCOLS; a
 * test checks they agree). Not imported: that module brings the key-agreement crypto along.
 */
export const SPLIT_PIN_UV_AUTH_PROTOCOLS = [2, 1] as const;

/** A P-256 key-agreement COSE_Key (§6.5.6 getPublicKey) as the point the messages carry, and back. */
function keyAgreementPoint(m: ReadonlyMap<CborKey, CborValue>): { x: Uint8Array; y: Uint8Array } | undefined {
  const [x, y] = [m.get(-2), m.get(-3)];
  if (m.get(1) !== CoseKty.EC2 || m.get(-1) !== CoseCrv['P-256']) return undefined;
  return x instanceof Uint8Array && y instanceof Uint8Array && x.length === 32 && y.length === 32
    ? { x, y }
    : undefined;
}
function keyAgreementKey(p: { x: Uint8Array; y: Uint8Array }): Map<number, CborValue> {
  return new Map<number, CborValue>([
    [1, CoseKty.EC2],
    [3, CoseAlg['ECDH-ES+HKDF-256']],
    [-1, CoseCrv['P-256']],
    [-2, p.x],
    [-3, p.y],
  ]);
}

/**
 * What the front knows of the device: the profile's name and algorithms, and what getInfo's seed
 * view reports (the authenticator's FrontConfig has these fields; the front imports none of it).
 */
export interface FrontConfig {
  profile: string;
  algorithms: readonly number[];
  versions: readonly string[];
  aaguid: Uint8Array;
  maxMsgSize: number;
  transports: readonly string[];
  firmwareVersion?: number;
}

/** The commands the front maps onto messages (with the default profile); the others go whole. */
const FRONT_COMMANDS = new Set<number>([
  Command.authenticatorMakeCredential,
  Command.authenticatorGetAssertion,
  Command.authenticatorReset,
  Command.authenticatorGetNextAssertion,
  Command.authenticatorSelection,
  Command.authenticatorClientPIN,
]);

const fitsRpId = (rpId: string) => utf8.encode(rpId).length <= RPID_SIZE - 1 && !rpId.includes('\0');
const fitsPinUvAuth = (r: { pinUvAuthParam?: Uint8Array; pinUvAuthProtocol?: number }) =>
  (r.pinUvAuthParam?.length ?? 0) <= 32 && (r.pinUvAuthProtocol ?? 0) <= 0xff;
/** Credential descriptors the 16-byte ID fields carry: ten at most, every one a 16-byte public-key ID. */
const fitsIds = (list: MakeCredentialRequest['excludeList']) =>
  list === undefined ||
  (list.length <= MAX_ALLOW_LIST && list.every((d) => d.type === 'public-key' && d.id.length === CREDENTIAL_ID_LENGTH));

/** The algorithm makeCredential will use (§6.1.2 step 3, the profile's list), when the messages can name it. */
function algorithmOf(req: MakeCredentialRequest, config: FrontConfig): CredentialAlg | undefined {
  return req.pubKeyCredParams.find((p) => p.type === 'public-key' && (config.algorithms as number[]).includes(p.alg))
    ?.alg as CredentialAlg | undefined;
}

/** The message that carries a makeCredential, or undefined: the request goes whole (0x0113). */
export function makeCredentialMessage(req: MakeCredentialRequest, config: FrontConfig): SecureCoreMessage | undefined {
  const alg = algorithmOf(req, config);
  const rk = req.options?.rk === true;
  const plain =
    alg !== undefined &&
    req.extensions === undefined &&
    req.enterpriseAttestation === undefined &&
    req.attestationFormatsPreference === undefined &&
    Object.entries(req.options ?? {}).every(([k, v]) => k === 'rk' || (k === 'up' && v)) &&
    fitsRpId(req.rp.id) &&
    req.user.id.length <= USER_HANDLE_SIZE &&
    fitsIds(req.excludeList) &&
    fitsPinUvAuth(req);
  if (!plain) return undefined;
  const fields = {
    rpId: req.rp.id,
    userHandle: req.user.id,
    userName: truncateUtf8(req.user.name, USER_NAME_SIZE - 1),
    displayName: truncateUtf8(req.user.displayName, USER_NAME_SIZE - 1),
    clientDataHash: req.clientDataHash,
  };
  const pinUvAuth = pinUvAuthOf(req);
  const excludeList = (req.excludeList ?? []).map((d) => d.id);
  const rpName = truncateUtf8(req.rp.name, USER_NAME_SIZE - 1); // kept with a discoverable credential (§6.8)
  if (alg === CoseAlg.ES256 && rk && !pinUvAuth && excludeList.length === 0 && !rpName)
    return { type: 'makeCredentialRequest', ...fields };
  return { type: 'makeCredentialExRequest', ...fields, alg, rk, excludeList, rpName, ...(pinUvAuth && { pinUvAuth }) };
}

/** The message that carries a getAssertion, or undefined: the request goes whole (0x0113). */
export function getAssertionMessage(req: GetAssertionRequest): SecureCoreMessage | undefined {
  const plain =
    req.extensions === undefined &&
    Object.keys(req.options ?? {}).every((k) => k === 'up') &&
    (req.allowList === undefined || (req.allowList.length > 0 && fitsIds(req.allowList))) &&
    fitsRpId(req.rpId) &&
    fitsPinUvAuth(req);
  if (!plain) return undefined;
  const pinUvAuth = pinUvAuthOf(req);
  const base = {
    rpId: req.rpId,
    clientDataHash: req.clientDataHash,
    silent: req.options?.up === false,
    allowList: (req.allowList ?? []).map((d) => d.id),
  };
  if (req.allowList && !pinUvAuth) return { type: 'getAssertionRequest', ...base };
  return { type: 'getAssertionExRequest', ...base, ...(pinUvAuth && { pinUvAuth }) };
}

/** pinUvAuthParam and its protocol for the core (0 = protocol absent). */
function pinUvAuthOf(req: { pinUvAuthParam?: Uint8Array; pinUvAuthProtocol?: number }): PinUvAuth | undefined {
  return req.pinUvAuthParam === undefined
    ? undefined
    : { protocol: req.pinUvAuthProtocol ?? 0, param: req.pinUvAuthParam };
}

/**
 * Whether a CTAP2 request goes whole to the core (0x0113) rather than as messages; a request that does not
 * decode is the front's to refuse. The front decodes no extension inputs: a request with an extensions map
 * goes whole, where the core's decoders read it.
 */
export function messageRoute(request: Uint8Array, config: FrontConfig): 'messages' | 'whole' {
  const command = request[0];
  if (command === undefined || config.profile !== 'default' || !FRONT_COMMANDS.has(command)) return 'whole';
  try {
    if (command === Command.authenticatorMakeCredential)
      return makeCredentialMessage(decodeMakeCredentialRequest(request.subarray(1)), config) ? 'messages' : 'whole';
    if (command === Command.authenticatorGetAssertion)
      return getAssertionMessage(decodeGetAssertionRequest(request.subarray(1))) ? 'messages' : 'whole';
  } catch {
    return 'messages'; // dispatch answers the decoder's status
  }
  return 'messages';
}

export class SplitAuthenticator implements Ctap2Authenticator {
  private deviceInfo: DeviceInfoResponse | undefined;
  /** The last getAssertion went whole: so does getNextAssertion (its answers may carry extension outputs). */
  private assertionsWhole = false;

  constructor(
    private readonly link: SecureCoreLink,
    readonly config: FrontConfig,
  ) {}

  /** The seed path's own view (the device answers getInfo from the core with 0x0113: docs/split.md). */
  getInfo(): GetInfoResponse {
    const { config } = this;
    return {
      versions: config.versions.filter((v) => v !== 'U2F_V2'),
      extensions: [],
      aaguid: config.aaguid, // as the single-process device (attested credential data carries zeros with attestation none)
      options: {
        rk: true,
        up: true,
        plat: false,
        clientPin: this.deviceInfo?.pinSet === true,
        pinUvAuthToken: true,
        makeCredUvNotRqd: true,
      },
      maxMsgSize: config.maxMsgSize,
      pinUvAuthProtocols: [...SPLIT_PIN_UV_AUTH_PROTOCOLS],
      maxCredentialCountInList: MAX_ALLOW_LIST,
      maxCredentialIdLength: CREDENTIAL_ID_LENGTH,
      transports: [...config.transports],
      algorithms: config.algorithms.map((alg) => ({ type: 'public-key' as const, alg })),
      ...(config.firmwareVersion !== undefined && { firmwareVersion: config.firmwareVersion }),
    };
  }

  /**
   * A CTAP2 request (command byte ‖ CBOR) → status ‖ CBOR: mapped onto the messages when they
   * carry it (messageRoute), otherwise whole to the core's authenticator (0x0113).
   */
  async cbor(request: Uint8Array, ctx: RequestContext, onInternalError?: (e: unknown) => void): Promise<Uint8Array> {
    const command = request[0];
    let whole = messageRoute(request, this.config) === 'whole';
    if (command === Command.authenticatorGetAssertion) this.assertionsWhole = whole;
    if (command === Command.authenticatorGetNextAssertion) whole ||= this.assertionsWhole;
    if (whole) return this.forward(request, ctx);
    return dispatchCtap2(this, request, ctx, { ...(onInternalError && { onInternalError }) });
  }

  /** §6.1: the request as a seed or Ex message (messageRoute checked that one carries it); authData from the answer. */
  async makeCredential(req: MakeCredentialRequest, ctx: RequestContext): Promise<MakeCredentialResponse> {
    const m = makeCredentialMessage(req, this.config);
    if (!m)
      throw new CtapError(
        Status.CTAP1_ERR_OTHER,
        'the messages cannot carry this makeCredential: it goes whole (cbor())',
      );
    const r = await this.prompting(ctx, false, m);
    let publicKey: Uint8Array;
    let signature: Uint8Array;
    if (r.type === 'makeCredentialResponse') {
      this.check(r.errorCode);
      publicKey = encodeCoseKey({ kty: 'EC2', alg: CoseAlg.ES256, x: r.x, y: r.y });
      signature = rawToDerSignature(r.attestSignature);
    } else if (r.type === 'makeCredentialExResponse') {
      this.check(r.errorCode);
      publicKey = r.publicKey;
      signature = r.signature;
    } else {
      throw this.unexpected(r);
    }
    if (r.credentialId.length !== CREDENTIAL_ID_LENGTH) throw this.unexpected(r);

    // Steps 17–19: authenticator data (the RP ID hash is the core's), attestation statement.
    const authData = buildAuthenticatorData({
      rpIdHash: r.rpIdHash,
      flags: r.flags,
      signCount: r.count,
      attestedCredentialData: { aaguid: r.aaguid, credentialId: r.credentialId, credentialPublicKey: publicKey },
    });
    const info = await this.info();
    if (info.attestation === AttestationKind.none) return { fmt: 'none', authData, attStmt: new Map() };
    const alg = m.type === 'makeCredentialExRequest' ? m.alg : CoseAlg.ES256;
    const attStmt = new Map<string, Encodable>([
      ['alg', info.attestation === AttestationKind.basic ? CoseAlg.ES256 : alg],
      ['sig', signature],
    ]);
    if (info.attestation === AttestationKind.basic) attStmt.set('x5c', [info.certificate]);
    return { fmt: 'packed', authData, attStmt };
  }

  /** §6.2: the request as a seed or Ex message (messageRoute checked that one carries it); authData from the answer. */
  async getAssertion(req: GetAssertionRequest, ctx: RequestContext): Promise<GetAssertionResponse> {
    const m = getAssertionMessage(req);
    if (!m)
      throw new CtapError(
        Status.CTAP1_ERR_OTHER,
        'the messages cannot carry this getAssertion: it goes whole (cbor())',
      );
    const silent = req.options?.up === false;
    if (m.type !== 'getAssertionRequest') return this.assertion(await this.prompting(ctx, silent, m));
    const r = await this.prompting(ctx, silent, m);
    if (r.type !== 'getAssertionResponse') throw this.unexpected(r);
    if (r.errorCode === ErrorCode.notApplicable) {
      // Not an ES256 credential: its signature does not fit the seed's 64 bytes.
      return this.assertion(await this.prompting(ctx, silent, { ...m, type: 'getAssertionExRequest' }));
    }
    this.check(r.errorCode);
    const response: GetAssertionResponse = {
      credential: { type: 'public-key', id: r.credentialId },
      authData: buildAuthenticatorData({ rpIdHash: r.rpIdHash, flags: r.flags, signCount: r.count }),
      signature: rawToDerSignature(r.attestSignature),
    };
    if (r.userHandle.length > 0) response.user = { id: r.userHandle };
    return response;
  }

  async getNextAssertion(): Promise<GetAssertionResponse> {
    const r = await this.ask({ type: 'getNextAssertionRequest' });
    return this.assertion(r);
  }

  async reset(ctx: RequestContext): Promise<void> {
    await this.askStatus({ type: 'resetRequest' }, ctx);
    await this.refreshInfo(); // no PIN any more
  }

  async selection(ctx: RequestContext): Promise<void> {
    await this.askStatus({ type: 'selectionRequest' }, ctx);
  }

  /** CTAP 2.1 §6.5: the PIN, its retries and the pinUvAuthToken live in the core; this maps the fields. */
  async clientPin(req: ClientPinRequest, ctx: RequestContext): Promise<ClientPinResponse> {
    const invalid = (why: string) => new CtapError(Status.CTAP1_ERR_INVALID_PARAMETER, why);
    if (req.subCommand > 0xff) throw new CtapError(Status.CTAP2_ERR_INVALID_SUBCOMMAND);
    if ((req.pinUvAuthProtocol ?? 0) > 0xff) throw invalid('pinUvAuthProtocol');
    const m: ClientPinMessage = {
      type: 'clientPinRequest',
      pinUvAuthProtocol: req.pinUvAuthProtocol ?? 0,
      subCommand: req.subCommand,
    };
    if (req.keyAgreement) {
      const point = keyAgreementPoint(req.keyAgreement);
      if (!point) throw invalid('keyAgreement is not a P-256 COSE_Key');
      m.keyAgreement = point;
    }
    const sized = (v: Uint8Array, max: number, what: string) => {
      if (v.length > max) throw invalid(`${what} longer than ${max} bytes`);
      return v;
    };
    if (req.pinUvAuthParam) m.pinUvAuthParam = sized(req.pinUvAuthParam, 32, 'pinUvAuthParam');
    if (req.newPinEnc) m.newPinEnc = sized(req.newPinEnc, 80, 'newPinEnc');
    if (req.pinHashEnc) m.pinHashEnc = sized(req.pinHashEnc, 32, 'pinHashEnc');
    if (req.permissions !== undefined) {
      if (req.permissions > 0xffffffff) throw invalid('permissions');
      m.permissions = req.permissions;
    }
    if (req.rpId !== undefined) {
      if (!fitsRpId(req.rpId))
        throw new CtapError(Status.CTAP1_ERR_INVALID_LENGTH, `RP ID longer than ${RPID_SIZE - 1} bytes`);
      m.rpId = req.rpId;
    }
    // getPinUvAuthTokenUsingUvWithPermissions would prompt; the others answer at once.
    const r = await this.prompting(
      ctx,
      req.subCommand !== ClientPinSubCommand.getPinUvAuthTokenUsingUvWithPermissions,
      m,
    );
    if (r.type !== 'clientPinResponse') throw this.unexpected(r);
    if (req.subCommand === ClientPinSubCommand.setPIN || req.subCommand === ClientPinSubCommand.changePIN)
      await this.refreshInfo();
    if (r.status !== 0) throw new CtapError(r.status, 'clientPIN in the secure core');
    return {
      ...(r.keyAgreement && { keyAgreement: keyAgreementKey(r.keyAgreement) }),
      ...(r.pinUvAuthToken && { pinUvAuthToken: r.pinUvAuthToken }),
      ...(r.pinRetries !== undefined && { pinRetries: r.pinRetries }),
      ...(r.powerCycleState !== undefined && { powerCycleState: r.powerCycleState }),
      ...(r.uvRetries !== undefined && { uvRetries: r.uvRetries }),
    };
  }
  credentialManagement(): Promise<never> {
    return Promise.reject(new CtapError(Status.CTAP1_ERR_INVALID_COMMAND, 'no credentialManagement in split mode'));
  }
  largeBlobs(): Promise<never> {
    return Promise.reject(new CtapError(Status.CTAP1_ERR_INVALID_COMMAND, 'no largeBlobs in split mode'));
  }
  authenticatorConfig(): Promise<never> {
    return Promise.reject(new CtapError(Status.CTAP1_ERR_INVALID_COMMAND, 'no authenticatorConfig in split mode'));
  }

  /** A whole CTAP2 request (command byte + CBOR) for the core's own implementation (0x0113) → status ‖ CBOR. */
  async forward(request: Uint8Array, ctx: RequestContext): Promise<Uint8Array> {
    try {
      if (request.length - 1 > MAX_BODY_LENGTH)
        throw new CtapError(Status.CTAP1_ERR_INVALID_LENGTH, 'request too long for the secure core');
      const m: SecureCoreMessage = {
        type: 'ctap2CommandRequest',
        command: request[0]!,
        parameters: request.subarray(1),
      };
      const r = await this.prompting(ctx, request[0] === Command.authenticatorGetInfo, m);
      if (r.type !== 'ctap2CommandResponse') throw this.unexpected(r);
      if (request[0] === Command.authenticatorClientPIN || request[0] === Command.authenticatorReset)
        this.deviceInfo = undefined;
      return concat(new Uint8Array([r.status]), r.response);
    } catch (e) {
      if (e instanceof CtapError) return new Uint8Array([e.status]);
      throw e;
    }
  }

  /** An APDU for one of the core's applications (0x0115) → its response APDU, or undefined when the application is not available. */
  async apdu(application: number, apdu: Uint8Array, ctx: RequestContext): Promise<Uint8Array | undefined> {
    if (apdu.length > MAX_BODY_LENGTH) return undefined;
    const r = await this.prompting(ctx, false, { type: 'apduRequest', application, apdu });
    if (r.type !== 'apduResponse') throw this.unexpected(r);
    return r.apdu.length > 0 ? r.apdu : undefined;
  }

  /** A re-plug: the core drops its volatile state (getNextAssertion, reset window restarts). */
  powerCycle(): Promise<void> {
    return this.ask({ type: 'powerCycleRequest' }).then(
      () => undefined,
      () => undefined, // a core that is down starts fresh anyway
    );
  }

  private async assertion(r: SecureCoreMessage): Promise<GetAssertionResponse> {
    if (r.type !== 'getAssertionExResponse' && r.type !== 'getNextAssertionResponse') throw this.unexpected(r);
    this.check(r.errorCode);
    const a: AssertionExResponse = r;
    const response: GetAssertionResponse = {
      credential: { type: 'public-key', id: a.credentialId },
      authData: buildAuthenticatorData({ rpIdHash: a.rpIdHash, flags: a.flags, signCount: a.count }),
      signature: a.signature,
    };
    if (a.userHandle.length > 0) {
      response.user = { id: a.userHandle };
      if (a.userName) response.user.name = a.userName;
      if (a.displayName) response.user.displayName = a.displayName;
    }
    if (a.numberOfCredentials > 1) response.numberOfCredentials = a.numberOfCredentials;
    return response;
  }

  /** A request the core may prompt for: UPNEEDED meanwhile, and CTAPHID_CANCEL becomes a cancelRequest. */
  private async prompting(ctx: RequestContext, silent: boolean, m: SecureCoreMessage): Promise<SecureCoreMessage> {
    if (silent) return this.ask(m);
    if (ctx.signal.aborted) throw new CtapError(Status.CTAP2_ERR_KEEPALIVE_CANCEL);
    const cancel = () => this.link.notify({ type: 'cancelRequest' });
    ctx.signal.addEventListener('abort', cancel, { once: true });
    ctx.setStatus('upneeded');
    try {
      return await this.ask(m);
    } finally {
      ctx.signal.removeEventListener('abort', cancel);
      ctx.setStatus('processing');
    }
  }

  private async askStatus(m: SecureCoreMessage, ctx: RequestContext): Promise<void> {
    const r = await this.prompting(ctx, false, m);
    if (r.type !== 'resetResponse' && r.type !== 'selectionResponse') throw this.unexpected(r);
    this.check(r.errorCode);
  }

  /** Asks the core for its device info (starting it): a core that cannot start fails here. */
  async ready(): Promise<void> {
    await this.info();
  }

  private async info(): Promise<DeviceInfoResponse> {
    return this.deviceInfo ?? this.refreshInfo();
  }

  /** Device info again (getInfo's clientPin option follows the PIN state in the core). */
  private async refreshInfo(): Promise<DeviceInfoResponse> {
    const r = await this.ask({ type: 'deviceInfoRequest' });
    if (r.type !== 'deviceInfoResponse') throw this.unexpected(r);
    return (this.deviceInfo = r);
  }

  /** One exchange; a core that died answers CTAP1_ERR_OTHER (the next request starts a new one). */
  private async ask(m: SecureCoreMessage): Promise<SecureCoreMessage> {
    let r: SecureCoreMessage;
    try {
      r = await this.link.request(m);
    } catch (e) {
      if (e instanceof CoreUnavailableError) throw new CtapError(Status.CTAP1_ERR_OTHER, e.message);
      throw e;
    }
    if (r.type === 'errorResponse') {
      if (r.errorCode === ErrorCode.ctapStatus && r.ctapStatus !== 0) throw new CtapError(r.ctapStatus, 'secure core');
      this.check(r.errorCode);
      throw this.unexpected(r);
    }
    return r;
  }

  private check(errorCode: number): void {
    if (errorCode === ErrorCode.success) return;
    throw new CtapError(
      CTAP_STATUS_OF_ERROR.get(errorCode) ?? Status.CTAP1_ERR_OTHER,
      `secure core error code ${errorCode}`,
    );
  }

  private unexpected(r: SecureCoreMessage): CtapError {
    return new CtapError(Status.CTAP1_ERR_OTHER, `unexpected secure core answer ${r.type}`);
  }
}
