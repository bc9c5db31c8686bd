/**
 * The secure core of `softkey start --split` (issue #6, seed 004): the process that holds the
 * credential store, the vault (wrapping key, attestation key), the presence prompts and every
 * private key. It answers the seed's three operations (authenticate credential, make credential,
 * get assertion: seed 004 "FIDO2 messages details") and softkey's extension set (docs/split.md),
 * message by message, over one local stream; and whole CTAP2 commands (0x0113) and APDUs (0x0115,
 * U2F and the Filecoin app) with the single-process implementation over the same Core.
 *
 * Credentials made here have the seed's 16-byte IDs: random handles. Each handle names a vault
 * entry holding the credential's sealed private key (store/credentialId.ts: AES-GCM under the
 * wrapping key, bound to the RP ID hash), so a reset, which replaces the wrapping key, makes every
 * earlier handle unusable. Discoverable credentials also get their row in the store.
 */
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createAuthenticator, type Authenticator } from '../authenticator/authenticator.js';
import { configSettings } from '../authenticator/authenticatorConfig.js';
import { commandPolicy, defaultConfig, type AuthenticatorConfig } from '../authenticator/config.js';
import type { Core, ResolvedCredential } from '../authenticator/core.js';
import { U2fAuthenticator } from '../authenticator/u2f.js';
import { dispatchCtap1 } from '../ctap1/dispatch.js';
import { dispatchCtap2 } from '../ctap2/dispatch.js';
import type { Env } from '../authenticator/env.js';
import { reset } from '../authenticator/reset.js';
import { selection } from '../authenticator/selection.js';
import { clientPin } from '../authenticator/clientPin.js';
import { consumePinUvAuthToken, ensureUserPresence, isProtectedByUv, pinUvAuthPreamble, verifyPinUvAuthParam } from '../authenticator/pinUvAuth.js';
import { isPinSet } from '../authenticator/pinUvAuthToken.js';
import { generateCredentialKey } from '../crypto/credentialKeys.js';
import type { RequestContext } from '../ctap2/api.js';
import { buildAuthenticatorData, Flag } from '../ctap2/authenticatorData.js';
import { PinUvAuthTokenPermission } from '../ctap2/commands.js';
import { keyAgreementCoseKey, parseKeyAgreementKey } from '../ctap2/pinUvAuthProtocol.js';
import type { ClientPinRequest } from '../ctap2/requests/clientPin.js';
import { CtapError, Status } from '../ctap2/status.js';
import { concat, equal } from '../encoding/bytes.js';
import { CoseAlg, encodeCoseKey, type CredentialAlg } from '../encoding/cose.js';
import { derToRawSignature } from '../securecore/ecdsaSignature.js';
import { MessageFramer } from '../securecore/framing.js';
import {
  ApduApplication,
  AttestationKind,
  CREDENTIAL_ID_LENGTH,
  decodeMessage,
  encodeMessage,
  ErrorCode,
  Fido2MessageType,
  SecureCoreMessageError,
  type AssertionExResponse,
  type ClientPinRequest as ClientPinMessage,
  type GetAssertionExRequest,
  type GetAssertionRequest,
  type PinUvAuth,
  type MakeCredentialExRequest,
  type MakeCredentialRequest,
  type SecureCoreMessage,
} from '../securecore/messages.js';
import { credentialIdsFor } from '../store/credentialIds.js';
import { openDataDir } from '../store/dataDir.js';
import { StoreError, StoreFullError } from '../store/storeErrors.js';
import { systemClock, systemRng } from './device.js';
import { presenceFor, reviewFor } from './presence.js';
import { createWalletApp, type WalletApp } from './wallet.js';
import { profileConfig } from './profiles.js';
import type { SecureCoreSettings } from './splitDevice.js';


/** CTAP statuses the core's handlers throw → the messages' error codes. */
const ERROR_CODE_OF = new Map<number, number>([
  [Status.CTAP2_ERR_OPERATION_DENIED, ErrorCode.operationDenied],
  [Status.CTAP2_ERR_USER_ACTION_TIMEOUT, ErrorCode.userNotPresent],
  [Status.CTAP2_ERR_KEEPALIVE_CANCEL, ErrorCode.cancelled],
  [Status.CTAP2_ERR_KEY_STORE_FULL, ErrorCode.storageExhausted],
  [Status.CTAP2_ERR_NO_CREDENTIALS, ErrorCode.noCredentials],
  [Status.CTAP2_ERR_NOT_ALLOWED, ErrorCode.notAllowed],
  [Status.CTAP2_ERR_UNSUPPORTED_ALGORITHM, ErrorCode.unsupportedAlgorithm],
]);

/** Codes each response can carry (the seed's tables are narrower than the extension set's). */
const MAX_CODE: Partial<Record<SecureCoreMessage['type'], number>> = { makeCredentialRequest: 3, getAssertionRequest: 4 };

const ZERO_16 = new Uint8Array(16);

interface Pending {
  credentials: ResolvedCredential[];
  next: number;
  rpIdHash: Uint8Array;
  clientDataHash: Uint8Array;
  flags: number;
  uv: boolean;
  issuedAt: number;
}

/** The seed and Ex messages cannot answer this request faithfully: the front sends the CTAP2 command (0x0113). */
class FullPathRequired extends Error {}

const pinInput = (p: PinUvAuth | undefined) => (p ? { pinUvAuthParam: p.param, ...(p.protocol !== 0 && { pinUvAuthProtocol: p.protocol }) } : {});

export class SecureCoreService {
  private pending: Pending | undefined;
  /** Aborted by a cancelRequest while the request in progress waits for the user. */
  private current = new AbortController();

  readonly core: Core;
  private readonly u2f: U2fAuthenticator;
  private readonly policy: ReturnType<typeof commandPolicy>;

  private walletApp: WalletApp | undefined;

  private constructor(
    readonly authenticator: Authenticator,
    /** Makes the Filecoin app (its seed is in this process's vault) on its first APDU; none: not served. */
    private readonly makeWallet?: () => WalletApp,
  ) {
    this.core = authenticator.core;
    this.u2f = new U2fAuthenticator(this.core);
    this.policy = commandPolicy(this.core.config);
  }

  /** Makes the device attestation identity on first start (like the single-process device). */
  static async create(env: Env, config: AuthenticatorConfig, makeWallet?: () => WalletApp): Promise<SecureCoreService> {
    // Every credential the core makes has a seed-sized 16-byte ID (a vault handle), unless the profile has slots.
    const format = {
      vaultHandles: true,
      ...(config.credentialSlots !== undefined && { credentialSlots: config.credentialSlots }),
    };
    return new SecureCoreService(await createAuthenticator({ ...env, credentialIds: env.credentialIds ?? credentialIdsFor(env, format) }, config), makeWallet);
  }

  /**
   * Whether the seed and Ex messages answer as the full implementation would: not with a profile
   * (its command, option and credential-slot rules live there), nor with alwaysUv on (§6.1.2 step 6).
   */
  private seedPathApplies(): boolean {
    return this.core.config.profile === 'default' && this.core.config.credentialSlots === undefined && !configSettings(this.core).alwaysUv;
  }

  /** A credential the seed path may use: credProtect (§12.1) is applied by the full implementation. */
  private seedCredential(c: ResolvedCredential | undefined): ResolvedCredential | undefined {
    if (c && c.payload.credProtect > 1) throw new FullPathRequired();
    return c;
  }

  /** One request message → one response message (none for a cancelRequest). Never throws. */
  async handle(request: Uint8Array): Promise<Uint8Array> {
    let m: SecureCoreMessage;
    try {
      m = decodeMessage(request);
    } catch (e) {
      if (!(e instanceof SecureCoreMessageError)) throw e;
      return encodeMessage({ type: 'errorResponse', errorCode: ErrorCode.invalidRequest, ctapStatus: 0 });
    }
    if (m.type === 'cancelRequest') {
      this.cancel();
      return new Uint8Array(0); // a notification: no answer
    }
    if (m.type !== 'getNextAssertionRequest') this.pending = undefined;
    // Any command but credentialManagement ends a credential enumeration (§6.8.3).
    if (m.type !== 'ctap2CommandRequest') this.authenticator.beforeCommand(-1);
    this.current = new AbortController();
    try {
      return encodeMessage(await this.answer(m));
    } catch (e) {
      if (e instanceof FullPathRequired) return encodeMessage({ type: 'errorResponse', errorCode: ErrorCode.fullPath, ctapStatus: 0 });
      if (e instanceof CtapError) {
        const code = ERROR_CODE_OF.get(e.status);
        return encodeMessage(code !== undefined ? this.errorAnswer(m, code) : { type: 'errorResponse', errorCode: ErrorCode.ctapStatus, ctapStatus: e.status });
      }
      if (e instanceof RangeError) return encodeMessage(this.errorAnswer(m, ErrorCode.invalidRequest)); // a value that does not fit its field
      if (e instanceof StoreFullError) return encodeMessage(this.errorAnswer(m, ErrorCode.storageExhausted)); // a full disk
      console.error('[softkey secure core] internal error:', e instanceof StoreError ? e.message : e);
      return encodeMessage(this.errorAnswer(m, ErrorCode.other));
    }
  }

  /** Ends the prompt of the request in progress (CTAPHID_CANCEL at the front). */
  cancel(): void {
    this.current.abort();
  }

  private get ctx(): RequestContext {
    return { signal: this.current.signal, setStatus: () => {} };
  }

  private async answer(m: SecureCoreMessage): Promise<SecureCoreMessage> {
    const { core } = this;
    const seedPath = ['authenticateCredentialRequest', 'makeCredentialRequest', 'makeCredentialExRequest', 'getAssertionRequest', 'getAssertionExRequest'].includes(m.type);
    if (seedPath && !this.seedPathApplies()) throw new FullPathRequired();
    switch (m.type) {
      case 'ctap2CommandRequest': {
        // The full implementation, as the single-process device runs it (profile command policy included).
        const out = await dispatchCtap2(this.authenticator, concat(new Uint8Array([m.command]), m.parameters), this.ctx, {
          onInternalError: (e) => console.error('[softkey secure core] internal error:', e),
          ...this.policy,
        });
        return { type: 'ctap2CommandResponse', status: out[0]!, response: out.subarray(1) };
      }
      case 'apduRequest': {
        const unavailable = { type: 'apduResponse' as const, application: m.application, apdu: new Uint8Array(0) };
        if (m.application === ApduApplication.filecoin) {
          this.walletApp ??= this.makeWallet?.();
          return this.walletApp ? { ...unavailable, apdu: await this.walletApp.exchange(m.apdu, this.current.signal) } : unavailable;
        }
        if (!this.u2f.available) return unavailable;
        const apdu = await dispatchCtap1(this.u2f, m.apdu, this.ctx, { onInternalError: (e) => console.error('[softkey secure core] internal error:', e) });
        return { type: 'apduResponse', application: m.application, apdu };
      }
      case 'authenticateCredentialRequest': {
        const found = this.seedCredential(this.resolve(m.credentialId, core.rpIdHash(m.rpId)));
        return { type: 'authenticateCredentialResponse', credentialId: m.credentialId, userHandle: found?.resident?.userId ?? new Uint8Array(0), found: found !== undefined };
      }
      case 'makeCredentialRequest':
      case 'makeCredentialExRequest':
        return this.makeCredential(m);
      case 'getAssertionRequest':
      case 'getAssertionExRequest':
        return this.getAssertion(m);
      case 'getNextAssertionRequest':
        return this.getNextAssertion();
      case 'clientPinRequest':
        return this.clientPin(m);
      case 'deviceInfoRequest': {
        const mode = core.config.attestation;
        // Split mode's seed 004 deviceInfo carries none, self or basic (one certificate) only.
        if (mode !== 'packed' && mode !== 'self' && mode !== 'none') throw new Error(`split mode cannot attest with "${mode}" (packed, self or none)`);
        return {
          type: 'deviceInfoResponse',
          aaguid: mode === 'none' ? ZERO_16 : core.config.aaguid,
          attestation: AttestationKind[mode === 'packed' ? 'basic' : mode],
          certificate: mode === 'packed' ? core.attestation.certificate : new Uint8Array(0),
          pinSet: isPinSet(core),
        };
      }
      case 'resetRequest':
        await reset(core, this.ctx);
        return { type: 'resetResponse', errorCode: ErrorCode.success };
      case 'powerCycleRequest':
        core.powerCycle();
        return { type: 'powerCycleResponse', errorCode: ErrorCode.success };
      case 'selectionRequest':
        await selection(core, this.ctx);
        return { type: 'selectionResponse', errorCode: ErrorCode.success };
      default:
        return { type: 'errorResponse', errorCode: ErrorCode.invalidRequest, ctapStatus: 0 }; // a response sent as a request
    }
  }

  /** The request's own response carrying `code`, or errorResponse when that response cannot. */
  private errorAnswer(m: SecureCoreMessage, code: number): SecureCoreMessage {
    const id = new Uint8Array(CREDENTIAL_ID_LENGTH);
    const none = { credentialId: id, rpIdHash: new Uint8Array(32), count: 0, flags: 0, errorCode: code };
    if (code > (MAX_CODE[m.type] ?? ErrorCode.cancelled)) return { type: 'errorResponse', errorCode: code, ctapStatus: 0 };
    switch (m.type) {
      case 'makeCredentialRequest':
        return { type: 'makeCredentialResponse', ...none, x: new Uint8Array(32), y: new Uint8Array(32), attestSignature: new Uint8Array(64), aaguid: ZERO_16, credentialIdLength: 0 };
      case 'makeCredentialExRequest':
        return { type: 'makeCredentialExResponse', ...none, aaguid: ZERO_16, publicKey: new Uint8Array(0), signature: new Uint8Array(0) };
      case 'getAssertionRequest':
        return { type: 'getAssertionResponse', ...none, userHandle: new Uint8Array(0), attestSignature: new Uint8Array(64), aaguid: ZERO_16 };
      case 'getAssertionExRequest':
      case 'getNextAssertionRequest':
        return {
          type: m.type === 'getAssertionExRequest' ? 'getAssertionExResponse' : 'getNextAssertionResponse',
          ...none,
          userHandle: new Uint8Array(0),
          numberOfCredentials: 0,
          userName: '',
          displayName: '',
          signature: new Uint8Array(0),
        };
      case 'resetRequest':
        return { type: 'resetResponse', errorCode: code };
      case 'selectionRequest':
        return { type: 'selectionResponse', errorCode: code };
      default:
        return { type: 'errorResponse', errorCode: code, ctapStatus: 0 };
    }
  }

  /** A 16-byte handle of this RP whose key still opens (and, if discoverable, whose row exists). */
  private resolve(id: Uint8Array, rpIdHash: Uint8Array): ResolvedCredential | undefined {
    return id.length === CREDENTIAL_ID_LENGTH ? this.core.resolve(id, rpIdHash) : undefined;
  }

  /** CTAP 2.1 §6.1.2, the steps that need the core: UV by token, user presence, key, storage, signature. */
  private async makeCredential(m: MakeCredentialRequest | MakeCredentialExRequest): Promise<SecureCoreMessage> {
    const { core } = this;
    const { env, config } = core;
    const seed = m.type === 'makeCredentialRequest';
    const alg = seed ? CoseAlg.ES256 : m.alg;
    const rk = seed || m.rk; // every credential of the seed's device is stored on it
    const who = m.displayName || m.userName || 'this user';
    const prompt = { operation: 'makeCredential' as const, rpId: m.rpId, userName: m.userName, userDisplayName: m.displayName, message: `Register with ${m.rpId} as ${who}?` };
    // Steps 1–2, 3, 7, 11.
    const protocol = seed ? undefined : await pinUvAuthPreamble(core, pinInput(m.pinUvAuth), this.ctx, prompt);
    if (!(config.algorithms as number[]).includes(alg)) throw new CtapError(Status.CTAP2_ERR_UNSUPPORTED_ALGORITHM);
    if (rk && protocol === undefined && isProtectedByUv(core)) {
      if (isPinSet(core)) throw new CtapError(Status.CTAP2_ERR_PUAT_REQUIRED, 'rk with a PIN set needs a pinUvAuthParam');
      throw new CtapError(Status.CTAP2_ERR_OPERATION_DENIED, 'rk needs user verification');
    }
    if (protocol) verifyPinUvAuthParam(core, protocol, (m as MakeCredentialExRequest).pinUvAuth!.param, m.clientDataHash, PinUvAuthTokenPermission.mc, m.rpId);
    const uv = protocol !== undefined;
    const rpIdHash = core.rpIdHash(m.rpId);
    if (rk && env.store.countResident() >= config.maxResidentCredentials) {
      if (!env.store.listResident(m.rpId).some((c) => equal(c.userId, m.userHandle))) throw new CtapError(Status.CTAP2_ERR_KEY_STORE_FULL);
    }
    // Steps 13–14.
    await ensureUserPresence(core, uv, false, prompt, this.ctx);
    consumePinUvAuthToken(core);

    const key = generateCredentialKey(alg as CredentialAlg);
    const payload = { discoverable: rk, u2f: false, alg: alg as CredentialAlg, credProtect: 1 as const, secret: key.secret };
    const id = core.newCredentialId(rpIdHash, payload);
    const publicKey = encodeCoseKey(key.publicKey);
    if (rk) {
      env.store.putResident({
        credentialId: id,
        rpId: m.rpId,
        userId: m.userHandle,
        ...(m.userName && { userName: m.userName }),
        ...(m.displayName && { userDisplayName: m.displayName }),
        alg,
        publicKey,
        credProtect: 1,
        createdAt: env.clock.now(),
      });
    }

    // The signed bytes: authenticator data as the front will rebuild them from this response.
    const aaguid = config.attestation === 'none' ? ZERO_16 : config.aaguid;
    const flags = Flag.UP | Flag.AT | (uv ? Flag.UV : 0);
    const authData = buildAuthenticatorData({ rpIdHash, flags, signCount: 0, attestedCredentialData: { aaguid, credentialId: id, credentialPublicKey: publicKey } });
    const signed = concat(authData, m.clientDataHash);
    const signature =
      config.attestation === 'packed' ? core.attestationSign(signed) : config.attestation === 'self' ? core.sign({ id, payload }, signed) : new Uint8Array(0);
    const common = { credentialId: id, rpIdHash, count: 0, flags, aaguid, errorCode: ErrorCode.success };
    if (!seed) return { type: 'makeCredentialExResponse', ...common, publicKey, signature };
    const pub = key.publicKey as { x: Uint8Array; y: Uint8Array };
    return {
      type: 'makeCredentialResponse',
      ...common,
      x: pub.x,
      y: pub.y,
      attestSignature: signature.length > 0 ? derToRawSignature(signature) : new Uint8Array(64),
      credentialIdLength: CREDENTIAL_ID_LENGTH,
    };
  }

  /** CTAP 2.1 §6.2.2, the steps that need the core: UV by token, credentials, user presence, counter, signature. */
  private async getAssertion(m: GetAssertionRequest | GetAssertionExRequest): Promise<SecureCoreMessage> {
    const { core } = this;
    const prompt = { operation: 'getAssertion' as const, rpId: m.rpId, message: `Sign in to ${m.rpId}?` };
    const protocol = m.type === 'getAssertionExRequest' ? await pinUvAuthPreamble(core, pinInput(m.pinUvAuth), this.ctx, prompt) : undefined;
    if (protocol) verifyPinUvAuthParam(core, protocol, (m as GetAssertionExRequest).pinUvAuth!.param, m.clientDataHash, PinUvAuthTokenPermission.ga, m.rpId);
    const uv = protocol !== undefined;
    const rpIdHash = core.rpIdHash(m.rpId);
    let credentials: ResolvedCredential[];
    if (m.allowList.length > 0) {
      const first = m.allowList.map((id) => this.seedCredential(this.resolve(id, rpIdHash))).find((c) => c !== undefined);
      credentials = first ? [first] : [];
    } else {
      credentials = core.env.store.listResident(m.rpId).flatMap((r) => this.seedCredential(this.resolve(r.credentialId, rpIdHash)) ?? []);
    }
    const first = credentials[0];
    if (!first) throw new CtapError(Status.CTAP2_ERR_NO_CREDENTIALS);
    // The seed's response has a 64-byte ECDSA r ‖ s: other algorithms are asked again with getAssertionEx.
    if (m.type === 'getAssertionRequest' && first.payload.alg !== CoseAlg.ES256) {
      return this.errorAnswer(m, ErrorCode.notApplicable);
    }
    if (!m.silent) {
      await ensureUserPresence(core, uv, false, prompt, this.ctx);
      consumePinUvAuthToken(core);
    }
    const flags = (m.silent ? 0 : Flag.UP) | (uv ? Flag.UV : 0);
    const a = this.assert(first, rpIdHash, m.clientDataHash, flags, uv);
    if (m.type === 'getAssertionRequest') {
      const { credentialId, userHandle, count, errorCode } = a;
      const aaguid = core.config.attestation === 'none' ? ZERO_16 : core.config.aaguid;
      return { type: 'getAssertionResponse', credentialId, userHandle, rpIdHash, count, flags, attestSignature: derToRawSignature(a.signature), aaguid, errorCode };
    }
    const many = m.allowList.length === 0 && credentials.length > 1;
    if (many) this.pending = { credentials, next: 1, rpIdHash, clientDataHash: m.clientDataHash, flags, uv, issuedAt: core.env.clock.now() };
    return { type: 'getAssertionExResponse', ...a, numberOfCredentials: many ? Math.min(credentials.length, 0xff) : 0 };
  }

  /** CTAP 2.1 §6.3: the next credential of the last discoverable getAssertionEx, same flags, no prompt. */
  private getNextAssertion(): AssertionExResponse {
    const p = this.pending;
    const now = this.core.env.clock.now();
    if (!p || p.next >= p.credentials.length || now - p.issuedAt > this.core.config.nextAssertionTimeoutMs) {
      this.pending = undefined;
      throw new CtapError(Status.CTAP2_ERR_NOT_ALLOWED);
    }
    const cred = this.resolve(p.credentials[p.next++]!.id, p.rpIdHash);
    p.issuedAt = now;
    if (!cred) throw new CtapError(Status.CTAP2_ERR_NOT_ALLOWED);
    return { type: 'getNextAssertionResponse', ...this.assert(cred, p.rpIdHash, p.clientDataHash, p.flags, p.uv), numberOfCredentials: 0 };
  }

  private assert(cred: ResolvedCredential, rpIdHash: Uint8Array, clientDataHash: Uint8Array, flags: number, uv: boolean) {
    const count = this.core.env.store.incrementCounter(cred.id);
    const authData = buildAuthenticatorData({ rpIdHash, flags, signCount: count });
    const signature = this.core.sign(cred, concat(authData, clientDataHash));
    const r = cred.resident;
    // User-identifying information only after user verification (§6.2.2 step 12).
    return {
      credentialId: cred.id,
      userHandle: r?.userId ?? new Uint8Array(0),
      rpIdHash,
      count,
      flags,
      errorCode: ErrorCode.success,
      userName: (uv && r?.userName) || '',
      displayName: (uv && r?.userDisplayName) || '',
      signature,
    };
  }

  /** CTAP 2.1 §6.5 authenticatorClientPIN, run by the single-process device's own code. */
  private async clientPin(m: ClientPinMessage): Promise<SecureCoreMessage> {
    const req: ClientPinRequest = { subCommand: m.subCommand };
    if (m.pinUvAuthProtocol !== 0) req.pinUvAuthProtocol = m.pinUvAuthProtocol;
    if (m.keyAgreement) req.keyAgreement = keyAgreementCoseKey(m.keyAgreement.x, m.keyAgreement.y);
    if (m.pinUvAuthParam) req.pinUvAuthParam = m.pinUvAuthParam;
    if (m.newPinEnc) req.newPinEnc = m.newPinEnc;
    if (m.pinHashEnc) req.pinHashEnc = m.pinHashEnc;
    if (m.permissions !== undefined) req.permissions = m.permissions;
    if (m.rpId !== undefined) req.rpId = m.rpId;
    try {
      const r = await clientPin(this.core, req, this.ctx);
      const point = r.keyAgreement && parseKeyAgreementKey(r.keyAgreement);
      return {
        type: 'clientPinResponse',
        status: 0,
        ...(point && { keyAgreement: point }),
        ...(r.pinUvAuthToken && { pinUvAuthToken: r.pinUvAuthToken }),
        ...(r.pinRetries !== undefined && { pinRetries: r.pinRetries }),
        ...(r.powerCycleState !== undefined && { powerCycleState: r.powerCycleState }),
        ...(r.uvRetries !== undefined && { uvRetries: r.uvRetries }),
      };
    } catch (e) {
      if (e instanceof CtapError) return { type: 'clientPinResponse', status: e.status };
      throw e;
    }
  }
}

/**
 * Serves a SecureCoreService on a stream (the child's end of the pipe the front made): messages
 * framed by their envelope, answered one at a time in order. Resolves when the stream closes.
 */
export function serveSecureCore(service: SecureCoreService, stream: Duplex): Promise<void> {
  const framer = new MessageFramer();
  let queue = Promise.resolve();
  return new Promise((resolve) => {
    stream.on('data', (chunk: Buffer) => {
      let messages: Uint8Array[];
      try {
        messages = framer.push(new Uint8Array(chunk));
      } catch (e) {
        console.error('[softkey secure core] stream out of step, closing:', (e as Error).message);
        stream.destroy();
        return;
      }
      for (const message of messages) {
        // A cancel goes past the queue: it is for the request being answered now.
        if (message[4] === (Fido2MessageType.cancelRequest & 0xff) && message[5] === Fido2MessageType.cancelRequest >> 8) {
          service.cancel();
          continue;
        }
        queue = queue.then(async () => {
          const response = await service.handle(message);
          if (!stream.destroyed && response.length > 0) stream.write(response);
        });
      }
    });
    stream.on('close', () => void queue.then(() => resolve()));
    stream.on('error', () => {});
  });
}

/** `softkey secure-core`: serves the stream on fd 3 until the front closes it. */
export async function runSecureCore(s: SecureCoreSettings & { config?: Partial<AuthenticatorConfig> }): Promise<void> {
  const opened = openDataDir(s.dataDir);
  try {
    const env: Env = {
      clock: systemClock,
      rng: systemRng,
      presence: presenceFor(s.presence, s.userActionTimeoutMs !== undefined ? { timeoutMs: s.userActionTimeoutMs } : {}),
      store: opened.store,
      vault: opened.vault,
    };
    const timeout = s.userActionTimeoutMs !== undefined ? { timeoutMs: s.userActionTimeoutMs } : {};
    const makeWallet = () => createWalletApp({ vault: opened.vault, review: reviewFor(s.presence, timeout) });
    const service = await SecureCoreService.create(env, defaultConfig({ ...profileConfig(s.profile ?? 'default'), ...s.config, ...(s.attestation && { attestation: s.attestation }) }), makeWallet);
    await serveSecureCore(service, new Socket({ fd: 3, readable: true, writable: true }));
  } finally {
    opened.close();
  }
}
