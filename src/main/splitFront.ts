/**
 * The front of `softkey start --split` (issue #6, seed 004): CTAP 2.1 §6.1 authenticatorMakeCredential,
 * §6.2 authenticatorGetAssertion, §6.3 getNextAssertion, §6.4 getInfo, §6.6 reset and §6.9 selection
 * for a device whose keys live in a secure core. It checks requests, assembles authenticator data
 * from the core's answers, and never holds a private key: the core creates keys, prompts the
 * user, keeps counters and signs (the bytes it signs are the authenticator data this front
 * rebuilds from the answer, so both must build them the same way: ctap2/authenticatorData.ts).
 *
 * Which message carries a request (docs/split.md):
 *   makeCredential ES256, rk            → seed makeCredentialRequest (0x0003)
 *   makeCredential otherwise            → makeCredentialExRequest (0x0103)
 *   excludeList entries                 → seed authenticateCredentialRequest (0x0001) each
 *   getAssertion with an allowList      → seed getAssertionRequest (0x0005), silent when up=false;
 *                                          error 0x03 (signature does not fit) → getAssertionExRequest
 *   getAssertion without an allowList   → getAssertionExRequest (0x0105), which counts credentials
 *   pinUvAuthParam present               → the Ex messages, which carry it to the core (UV by token)
 *   clientPIN                            → clientPinRequest (0x0111)
 * Everything else (extensions, built-in UV, getInfo, credentialManagement, largeBlobs, config, a
 * profile, an errorCode 0x0b "full path" answer) goes whole to the core (0x0113), routed by
 * splitDevice.ts; U2F and Filecoin APDUs go with apduRequest (0x0115).
 */
import type { AuthenticatorConfig } from '../authenticator/config.js';
import { sha256 } from '../crypto/hash.js';
import type {
  ClientPinResponse,
  Ctap2Authenticator,
  GetAssertionResponse,
  GetInfoResponse,
  MakeCredentialResponse,
  RequestContext,
} from '../ctap2/api.js';
import { buildAuthenticatorData } from '../ctap2/authenticatorData.js';
import type { GetAssertionRequest } from '../ctap2/requests/getAssertion.js';
import type { MakeCredentialRequest } from '../ctap2/requests/makeCredential.js';
import { ClientPinSubCommand, Command } from '../ctap2/commands.js';
import type { ClientPinRequest } from '../ctap2/requests/clientPin.js';
import { CtapError, Status } from '../ctap2/status.js';
import { concat, equal, utf8 } from '../encoding/bytes.js';
import type { Encodable } from '../encoding/cbor.js';
import type { CborMap, CborValue } from '../encoding/cbor.js';
import { CoseAlg, CoseCrv, CoseKty, encodeCoseKey, type CredentialAlg } from '../encoding/cose.js';
import { rawToDerSignature } from '../securecore/ecdsaSignature.js';
import {
  AttestationKind,
  CREDENTIAL_ID_LENGTH,
  ErrorCode,
  MAX_ALLOW_LIST,
  MAX_BODY_LENGTH,
  RPID_SIZE,
  USER_NAME_SIZE,
  type AssertionExResponse,
  type ClientPinRequest as ClientPinMessage,
  type DeviceInfoResponse,
  type PinUvAuth,
  type SecureCoreMessage,
} from '../securecore/messages.js';
import { CoreUnavailableError, type SecureCoreLink } from './splitLink.js';

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
function keyAgreementPoint(m: CborMap): { x: Uint8Array; y: Uint8Array } | undefined {
  const [x, y] = [m.get(-2), m.get(-3)];
  if (m.get(1) !== CoseKty.EC2 || m.get(-1) !== CoseCrv['P-256']) return undefined;
  return x instanceof Uint8Array && y instanceof Uint8Array && x.length === 32 && y.length === 32 ? { x, y } : undefined;
}
function keyAgreementKey(p: { x: Uint8Array; y: Uint8Array }): Map<number, CborValue> {
  return new Map<number, CborValue>([[1, CoseKty.EC2], [3, CoseAlg['ECDH-ES+HKDF-256']], [-1, CoseCrv['P-256']], [-2, p.x], [-3, p.y]]);
}

/** Longest prefix of `s` whose UTF-8 fits `max` bytes, cut between characters (CTAP 2.1 §6.1.2 allows truncating names). */
function truncateUtf8(s: string | undefined, max: number): string {
  let out = '';
  for (const ch of (s ?? '').replace(/\0/g, '')) {
    if (utf8.encode(out + ch).length > max) break;
    out += ch;
  }
  return out;
}

export class SplitAuthenticator implements Ctap2Authenticator {
  private deviceInfo: DeviceInfoResponse | undefined;
  /** Set when the core answered errorCode fullPath: the request goes again as a whole CTAP2 command. */
  private fullPathWanted = false;

  constructor(
    private readonly link: SecureCoreLink,
    readonly config: AuthenticatorConfig,
  ) {}

  /** The seed path's own view (the device answers getInfo from the core with 0x0113: docs/split.md). */
  getInfo(): GetInfoResponse {
    const { config } = this;
    return {
      versions: config.versions.filter((v) => v !== 'U2F_V2'),
      extensions: [],
      aaguid: config.aaguid, // as the single-process device (attested credential data carries zeros with attestation none)
      options: { rk: true, up: true, plat: false, clientPin: this.deviceInfo?.pinSet === true, pinUvAuthToken: true, makeCredUvNotRqd: true },
      maxMsgSize: config.maxMsgSize,
      pinUvAuthProtocols: [...SPLIT_PIN_UV_AUTH_PROTOCOLS],
      maxCredentialCountInList: MAX_ALLOW_LIST,
      maxCredentialIdLength: CREDENTIAL_ID_LENGTH,
      transports: config.transports,
      algorithms: config.algorithms.map((alg) => ({ type: 'public-key' as const, alg })),
      firmwareVersion: config.firmwareVersion,
    };
  }

  async makeCredential(req: MakeCredentialRequest, ctx: RequestContext): Promise<MakeCredentialResponse> {
    // Steps 1–2 (pinUvAuthParam) and 11 (its verification) are the core's: pinUvAuth goes with the Ex message.
    const pinUvAuth = this.pinUvAuth(req);
    // Step 3: the first supported algorithm.
    const alg = req.pubKeyCredParams.find((p) => p.type === 'public-key' && (this.config.algorithms as number[]).includes(p.alg))?.alg as CredentialAlg | undefined;
    if (alg === undefined) throw new CtapError(Status.CTAP2_ERR_UNSUPPORTED_ALGORITHM);
    // Step 5: options.
    if (req.options.get('up') === false) throw new CtapError(Status.CTAP2_ERR_INVALID_OPTION, 'up=false in makeCredential');
    if (req.options.get('uv') === true) throw new CtapError(Status.CTAP2_ERR_INVALID_OPTION, 'no built-in user verification');
    const rk = req.options.get('rk') === true;
    const rpId = this.fitRpId(req.rp.id);
    const rpIdHash = sha256(utf8.encode(rpId));

    // Step 12: excludeList, each 16-byte ID asked with the seed's authenticate-credential message.
    for (const d of req.excludeList ?? []) {
      if (d.type !== 'public-key' || d.id.length !== CREDENTIAL_ID_LENGTH) continue;
      const r = await this.ask({ type: 'authenticateCredentialRequest', rpId, credentialId: d.id });
      if (r.type === 'authenticateCredentialResponse' && r.found) {
        await this.askStatus({ type: 'selectionRequest' }, ctx); // user presence first, then the error
        throw new CtapError(Status.CTAP2_ERR_CREDENTIAL_EXCLUDED);
      }
    }

    const fields = {
      rpId,
      userHandle: req.user.id,
      userName: truncateUtf8(req.user.name, USER_NAME_SIZE - 1),
      displayName: truncateUtf8(req.user.displayName, USER_NAME_SIZE - 1),
      clientDataHash: req.clientDataHash,
    };
    const r = await this.prompting(
      ctx,
      false,
      alg === CoseAlg.ES256 && rk && !pinUvAuth ? { type: 'makeCredentialRequest', ...fields } : { type: 'makeCredentialExRequest', ...fields, alg, rk, ...(pinUvAuth && { pinUvAuth }) },
    );
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
    if (!equal(r.rpIdHash, rpIdHash) || r.credentialId.length !== CREDENTIAL_ID_LENGTH) throw this.unexpected(r);

    // Steps 17–19: authenticator data, attestation statement.
    const authData = buildAuthenticatorData({
      rpIdHash,
      flags: r.flags,
      signCount: r.count,
      attestedCredentialData: { aaguid: r.aaguid, credentialId: r.credentialId, credentialPublicKey: publicKey },
    });
    const info = await this.info();
    if (info.attestation === AttestationKind.none) return { fmt: 'none', authData, attStmt: new Map() };
    const attStmt = new Map<string, Encodable>([
      ['alg', info.attestation === AttestationKind.basic ? CoseAlg.ES256 : alg],
      ['sig', signature],
    ]);
    if (info.attestation === AttestationKind.basic) attStmt.set('x5c', [info.certificate]);
    return { fmt: 'packed', authData, attStmt };
  }

  async getAssertion(req: GetAssertionRequest, ctx: RequestContext): Promise<GetAssertionResponse> {
    const pinUvAuth = this.pinUvAuth(req);
    if (req.options.has('rk')) throw new CtapError(Status.CTAP2_ERR_UNSUPPORTED_OPTION, 'rk in getAssertion');
    if (req.options.get('uv') === true) throw new CtapError(Status.CTAP2_ERR_INVALID_OPTION, 'no built-in user verification');
    const silent = req.options.get('up') === false;
    const rpId = this.fitRpId(req.rpId);
    const rpIdHash = sha256(utf8.encode(rpId));
    const base = { rpId, clientDataHash: req.clientDataHash, silent };

    const ex = { type: 'getAssertionExRequest' as const, ...base, ...(pinUvAuth && { pinUvAuth }) };
    if (!req.allowList) return this.assertion(await this.prompting(ctx, silent, { ...ex, allowList: [] }), rpIdHash);

    // Only 16-byte IDs can be this core's. More than the seed's ten: keep the ones the core has.
    let ids = req.allowList.filter((d) => d.type === 'public-key' && d.id.length === CREDENTIAL_ID_LENGTH).map((d) => d.id);
    if (ids.length > MAX_ALLOW_LIST) {
      const known: Uint8Array[] = [];
      for (const id of ids) {
        const r = await this.ask({ type: 'authenticateCredentialRequest', rpId, credentialId: id });
        if (r.type === 'authenticateCredentialResponse' && r.found) known.push(id);
      }
      ids = known.slice(0, MAX_ALLOW_LIST);
    }
    if (ids.length === 0) throw new CtapError(Status.CTAP2_ERR_NO_CREDENTIALS);
    if (pinUvAuth) return this.assertion(await this.prompting(ctx, silent, { ...ex, allowList: ids }), rpIdHash);
    const r = await this.prompting(ctx, silent, { type: 'getAssertionRequest', ...base, allowList: ids });
    if (r.type !== 'getAssertionResponse') throw this.unexpected(r);
    if (r.errorCode === ErrorCode.notApplicable) {
      // Not an ES256 credential: its signature does not fit the seed's 64 bytes.
      return this.assertion(await this.prompting(ctx, silent, { ...ex, allowList: ids }), rpIdHash);
    }
    this.check(r.errorCode);
    if (!equal(r.rpIdHash, rpIdHash)) throw this.unexpected(r);
    const response: GetAssertionResponse = {
      credential: { type: 'public-key', id: r.credentialId },
      authData: buildAuthenticatorData({ rpIdHash, flags: r.flags, signCount: r.count }),
      signature: rawToDerSignature(r.attestSignature),
    };
    if (r.userHandle.length > 0) response.user = { id: r.userHandle };
    return response;
  }

  async getNextAssertion(): Promise<GetAssertionResponse> {
    const r = await this.ask({ type: 'getNextAssertionRequest' });
    return this.assertion(r, undefined);
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
    const m: ClientPinMessage = { type: 'clientPinRequest', pinUvAuthProtocol: req.pinUvAuthProtocol ?? 0, subCommand: req.subCommand };
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
    if (req.rpId !== undefined) m.rpId = this.fitRpId(req.rpId);
    // getPinUvAuthTokenUsingUvWithPermissions would prompt; the others answer at once.
    const r = await this.prompting(ctx, req.subCommand !== ClientPinSubCommand.getPinUvAuthTokenUsingUvWithPermissions, m);
    if (r.type !== 'clientPinResponse') throw this.unexpected(r);
    if (req.subCommand === ClientPinSubCommand.setPIN || req.subCommand === ClientPinSubCommand.changePIN) await this.refreshInfo();
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

  /** Whether the last request through this front wants the full implementation instead (and clears it). */
  takeFullPath(): boolean {
    const wanted = this.fullPathWanted;
    this.fullPathWanted = false;
    return wanted;
  }

  /** A whole CTAP2 request (command byte + CBOR) for the core's own implementation (0x0113) → status ‖ CBOR. */
  async forward(request: Uint8Array, ctx: RequestContext): Promise<Uint8Array> {
    try {
      if (request.length - 1 > MAX_BODY_LENGTH) throw new CtapError(Status.CTAP1_ERR_INVALID_LENGTH, 'request too long for the secure core');
      const m: SecureCoreMessage = { type: 'ctap2CommandRequest', command: request[0]!, parameters: request.subarray(1) };
      const r = await this.prompting(ctx, request[0] === Command.authenticatorGetInfo, m);
      if (r.type !== 'ctap2CommandResponse') throw this.unexpected(r);
      if (request[0] === Command.authenticatorClientPIN || request[0] === Command.authenticatorReset) this.deviceInfo = undefined;
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

  private async assertion(r: SecureCoreMessage, rpIdHash: Uint8Array | undefined): Promise<GetAssertionResponse> {
    if (r.type !== 'getAssertionExResponse' && r.type !== 'getNextAssertionResponse') throw this.unexpected(r);
    this.check(r.errorCode);
    const a: AssertionExResponse = r;
    if (rpIdHash && !equal(a.rpIdHash, rpIdHash)) throw this.unexpected(r);
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

  /** pinUvAuthParam and its protocol for the core (0 = protocol absent); one longer than 32 bytes cannot verify. */
  private pinUvAuth(req: { pinUvAuthParam?: Uint8Array; pinUvAuthProtocol?: number }): PinUvAuth | undefined {
    if (req.pinUvAuthParam === undefined) return undefined;
    if (req.pinUvAuthParam.length > 32) throw new CtapError(Status.CTAP2_ERR_PIN_AUTH_INVALID, 'pinUvAuthParam longer than 32 bytes');
    if ((req.pinUvAuthProtocol ?? 0) > 0xff) throw new CtapError(Status.CTAP1_ERR_INVALID_PARAMETER, 'pinUvAuthProtocol');
    return { protocol: req.pinUvAuthProtocol ?? 0, param: req.pinUvAuthParam };
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
      if (r.errorCode === ErrorCode.fullPath) {
        this.fullPathWanted = true;
        throw new CtapError(Status.CTAP1_ERR_OTHER, 'the secure core asks for the full CTAP2 command');
      }
      if (r.errorCode === ErrorCode.ctapStatus && r.ctapStatus !== 0) throw new CtapError(r.ctapStatus, 'secure core');
      this.check(r.errorCode);
      throw this.unexpected(r);
    }
    return r;
  }

  private check(errorCode: number): void {
    if (errorCode === ErrorCode.success) return;
    throw new CtapError(CTAP_STATUS_OF_ERROR.get(errorCode) ?? Status.CTAP1_ERR_OTHER, `secure core error code ${errorCode}`);
  }

  private unexpected(r: SecureCoreMessage): CtapError {
    return new CtapError(Status.CTAP1_ERR_OTHER, `unexpected secure core answer ${r.type}`);
  }

  private fitRpId(rpId: string): string {
    if (utf8.encode(rpId).length > RPID_SIZE - 1 || rpId.includes('\0')) throw new CtapError(Status.CTAP1_ERR_INVALID_LENGTH, `RP ID longer than ${RPID_SIZE - 1} bytes`);
    return rpId;
  }
}
