/**
 * The secure core of `softkey start --split` (issue #6, seed 004): the process that holds the
 * credential store, the vault (wrapping key, attestation key), the presence prompts and every
 * private key. It drives the one authenticator (src/authenticator): each of the seed's messages
 * (authenticate credential, make credential, get assertion: seed 004 "FIDO2 messages details") and
 * of softkey's extension set (docs/split.md) becomes a typed CTAP2 request for it, and its typed
 * answer becomes the message's fields (authData fields, the seed's 64-byte r ‖ s signature). Whole
 * CTAP2 commands (0x0113) and APDUs (0x0115, U2F and the Filecoin app) reach the same authenticator.
 *
 * Credentials made here have the seed's 16-byte IDs: vault handles (store/credentialIds.ts), which
 * the single-process device on the same data directory reads too, as this core reads its IDs.
 */
import type { Duplex } from 'node:stream';
import { createAuthenticator, type Authenticator } from '../../authenticator/authenticator.js';
import { commandPolicy, type AuthenticatorConfig } from '../../authenticator/config.js';
import type { Core } from '../../authenticator/core.js';
import type { Env } from '../../authenticator/env.js';
import { isPinSet } from '../../authenticator/pinUvAuthToken.js';
import { U2fAuthenticator } from '../../authenticator/u2f.js';
import { dispatchCtap1 } from '../../ctap1/dispatch.js';
import type { RequestContext } from '../../ctap2/api.js';
import type {
  GetAssertionResponse as Ctap2GetAssertionResponse,
  GetAssertionRequest as Ctap2GetAssertionRequest,
} from '../../ctap2/getAssertion.js';
import { buildAuthenticatorData, parseAuthenticatorData } from '../../ctap2/authenticatorData.js';
import { dispatchCtap2 } from '../../ctap2/dispatch.js';
import { keyAgreementCoseKey, parseKeyAgreementKey } from '../../ctap2/pinUvAuthProtocol.js';
import type { ClientPinRequest } from '../../ctap2/clientPin.js';
import type { MakeCredentialRequest as Ctap2MakeCredentialRequest } from '../../ctap2/makeCredential.js';
import { CtapError, Status } from '../../ctap2/status.js';
import { concat, equal } from '../../encoding/bytes.js';
import { CoseAlg, decodeCoseKey } from '../../encoding/cose.js';
import { derToRawSignature } from '../../securecore/ecdsaSignature.js';
import { MessageFramer } from '../../securecore/framing.js';
import {
  ApduApplication,
  AttestationKind,
  CREDENTIAL_ID_LENGTH,
  decodeMessage,
  encodeMessage,
  ErrorCode,
  Fido2MessageType,
  SecureCoreMessageError,
  truncateUtf8,
  USER_NAME_SIZE,
  type AssertionExResponse,
  type ClientPinRequest as ClientPinMessage,
  type GetAssertionExRequest,
  type GetAssertionRequest,
  type PinUvAuth,
  type MakeCredentialExRequest,
  type MakeCredentialRequest,
  type SecureCoreMessage,
} from '../../securecore/messages.js';
import { credentialIdsFor } from '../../store/credentialIds.js';
import type { FrontPrompts } from './frontPrompts.js';
import { StoreError, StoreFullError } from '../../store/storeErrors.js';

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
const MAX_CODE: Partial<Record<SecureCoreMessage['type'], number>> = {
  makeCredentialRequest: 3,
  getAssertionRequest: 4,
};

const ZERO_16 = new Uint8Array(16);

/** The Filecoin app as the core serves it (main/wallet.ts makes it over the core's vault). */
export interface CoreWallet {
  exchange(apdu: Uint8Array, signal: AbortSignal): Promise<Uint8Array>;
}

const pinInput = (p: PinUvAuth | undefined) =>
  p ? { pinUvAuthParam: p.param, ...(p.protocol !== 0 && { pinUvAuthProtocol: p.protocol }) } : {};
const descriptors = (ids: Uint8Array[]) => ids.map((id) => ({ type: 'public-key' as const, id }));
const EMPTY = new Uint8Array(0);

export class SecureCoreService {
  /** Aborted by a cancelRequest while the request in progress waits for the user. */
  private current = new AbortController();

  readonly core: Core;
  private readonly u2f: U2fAuthenticator;
  private readonly policy: ReturnType<typeof commandPolicy>;

  private walletApp: CoreWallet | undefined;

  private constructor(
    readonly authenticator: Authenticator,
    /** Makes the Filecoin app (its seed is in this process's vault) on its first APDU; none: not served. */
    private readonly makeWallet?: () => CoreWallet,
  ) {
    this.core = authenticator.core;
    this.u2f = new U2fAuthenticator(this.core);
    this.policy = commandPolicy(this.core.config);
  }

  /** Makes the device attestation identity on first start (like the single-process device). */
  static async create(
    env: Env,
    config: AuthenticatorConfig,
    makeWallet?: () => CoreWallet,
  ): Promise<SecureCoreService> {
    // Every credential the core makes has a seed-sized 16-byte ID (a vault handle), unless the profile has slots.
    const format = {
      vaultHandles: true,
      ...(config.credentialSlots !== undefined && { credentialSlots: config.credentialSlots }),
    };
    return new SecureCoreService(
      await createAuthenticator({ ...env, credentialIds: env.credentialIds ?? credentialIdsFor(env, format) }, config),
      makeWallet,
    );
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
    // Any command but credentialManagement ends a credential enumeration (§6.8.3).
    if (m.type !== 'ctap2CommandRequest') this.authenticator.beforeCommand(-1);
    this.current = new AbortController();
    try {
      return encodeMessage(await this.answer(m));
    } catch (e) {
      if (e instanceof CtapError) {
        const code = ERROR_CODE_OF.get(e.status);
        return encodeMessage(
          code !== undefined
            ? this.errorAnswer(m, code)
            : { type: 'errorResponse', errorCode: ErrorCode.ctapStatus, ctapStatus: e.status },
        );
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
    switch (m.type) {
      case 'ctap2CommandRequest': {
        // The full implementation, as the single-process device runs it (profile command policy included).
        const out = await dispatchCtap2(
          this.authenticator,
          concat(new Uint8Array([m.command]), m.parameters),
          this.ctx,
          {
            onInternalError: (e) => console.error('[softkey secure core] internal error:', e),
            ...this.policy,
          },
        );
        return { type: 'ctap2CommandResponse', status: out[0]!, response: out.subarray(1) };
      }
      case 'apduRequest': {
        const unavailable = { type: 'apduResponse' as const, application: m.application, apdu: new Uint8Array(0) };
        if (m.application === ApduApplication.filecoin) {
          this.walletApp ??= this.makeWallet?.();
          return this.walletApp
            ? { ...unavailable, apdu: await this.walletApp.exchange(m.apdu, this.current.signal) }
            : unavailable;
        }
        if (!this.u2f.available) return unavailable;
        const apdu = await dispatchCtap1(this.u2f, m.apdu, this.ctx, {
          onInternalError: (e) => console.error('[softkey secure core] internal error:', e),
        });
        return { type: 'apduResponse', application: m.application, apdu };
      }
      case 'authenticateCredentialRequest': {
        const found = core.resolve(m.credentialId, core.rpIdHash(m.rpId));
        return {
          type: 'authenticateCredentialResponse',
          credentialId: m.credentialId,
          userHandle: found?.resident?.userId ?? new Uint8Array(0),
          found: found !== undefined,
        };
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
        if (mode !== 'packed' && mode !== 'self' && mode !== 'none')
          throw new Error(`split mode cannot attest with "${mode}" (packed, self or none)`);
        return {
          type: 'deviceInfoResponse',
          aaguid: mode === 'none' ? ZERO_16 : core.config.aaguid,
          attestation: AttestationKind[mode === 'packed' ? 'basic' : mode],
          certificate: mode === 'packed' ? core.attestation.certificate : new Uint8Array(0),
          pinSet: isPinSet(core),
        };
      }
      case 'resetRequest':
        await this.authenticator.reset(this.ctx);
        return { type: 'resetResponse', errorCode: ErrorCode.success };
      case 'powerCycleRequest':
        core.powerCycle();
        return { type: 'powerCycleResponse', errorCode: ErrorCode.success };
      case 'selectionRequest':
        await this.authenticator.selection(this.ctx);
        return { type: 'selectionResponse', errorCode: ErrorCode.success };
      default:
        return { type: 'errorResponse', errorCode: ErrorCode.invalidRequest, ctapStatus: 0 }; // a response sent as a request
    }
  }

  /** The request's own response carrying `code`, or errorResponse when that response cannot. */
  private errorAnswer(m: SecureCoreMessage, code: number): SecureCoreMessage {
    const id = new Uint8Array(CREDENTIAL_ID_LENGTH);
    const none = { credentialId: id, rpIdHash: new Uint8Array(32), count: 0, flags: 0, errorCode: code };
    if (code > (MAX_CODE[m.type] ?? ErrorCode.cancelled))
      return { type: 'errorResponse', errorCode: code, ctapStatus: 0 };
    switch (m.type) {
      case 'makeCredentialRequest':
        return {
          type: 'makeCredentialResponse',
          ...none,
          x: new Uint8Array(32),
          y: new Uint8Array(32),
          attestSignature: new Uint8Array(64),
          aaguid: ZERO_16,
          credentialIdLength: 0,
        };
      case 'makeCredentialExRequest':
        return {
          type: 'makeCredentialExResponse',
          ...none,
          aaguid: ZERO_16,
          publicKey: new Uint8Array(0),
          signature: new Uint8Array(0),
        };
      case 'getAssertionRequest':
        return {
          type: 'getAssertionResponse',
          ...none,
          userHandle: new Uint8Array(0),
          attestSignature: new Uint8Array(64),
          aaguid: ZERO_16,
        };
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

  /**
   * Seed make credential (0x0003: ES256, discoverable) and makeCredentialEx (0x0103) → the one
   * authenticator's makeCredential (CTAP 2.1 §6.1.2) → the response's fields. The front rebuilds
   * the authenticator data from them, so the answer must be exactly what those fields build.
   */
  private async makeCredential(m: MakeCredentialRequest | MakeCredentialExRequest): Promise<SecureCoreMessage> {
    const seed = m.type === 'makeCredentialRequest';
    const req: Ctap2MakeCredentialRequest = {
      clientDataHash: m.clientDataHash,
      rp: { id: m.rpId, ...(!seed && m.rpName && { name: m.rpName }) },
      user: {
        id: m.userHandle,
        ...(m.userName && { name: m.userName }),
        ...(m.displayName && { displayName: m.displayName }),
      },
      pubKeyCredParams: [{ type: 'public-key', alg: seed ? CoseAlg.ES256 : m.alg }],
      options: { rk: seed || m.rk }, // every credential of the seed's device is stored on it
      ...(!seed && m.excludeList.length > 0 && { excludeList: descriptors(m.excludeList) }),
      ...pinInput(seed ? undefined : m.pinUvAuth),
    };
    const r = await this.authenticator.makeCredential(req, this.ctx);
    const ad = parseAuthenticatorData(r.authData);
    const att = ad.attestedCredentialData;
    if (!att || att.credentialId.length !== CREDENTIAL_ID_LENGTH)
      throw new Error('the credential ID does not fit the 16-byte field');
    const rebuilt = buildAuthenticatorData({
      rpIdHash: ad.rpIdHash,
      flags: ad.flags,
      signCount: ad.signCount,
      attestedCredentialData: {
        aaguid: att.aaguid,
        credentialId: att.credentialId,
        credentialPublicKey: att.credentialPublicKey,
      },
    });
    if (!equal(rebuilt, r.authData)) throw new Error('the authenticator data has more than the messages carry');
    const sig: unknown = r.attStmt instanceof Map ? r.attStmt.get('sig') : undefined;
    const signature = sig instanceof Uint8Array ? sig : EMPTY;
    const common = {
      credentialId: att.credentialId,
      rpIdHash: ad.rpIdHash,
      count: ad.signCount,
      flags: ad.flags,
      aaguid: att.aaguid,
      errorCode: ErrorCode.success,
    };
    if (!seed) return { type: 'makeCredentialExResponse', ...common, publicKey: att.credentialPublicKey, signature };
    const pub = decodeCoseKey(att.credentialPublicKey) as { x: Uint8Array; y: Uint8Array };
    return {
      type: 'makeCredentialResponse',
      ...common,
      x: pub.x,
      y: pub.y,
      attestSignature: signature.length > 0 ? derToRawSignature(signature) : new Uint8Array(64),
      credentialIdLength: CREDENTIAL_ID_LENGTH,
    };
  }

  /**
   * Seed get assertion (0x0005) and getAssertionEx (0x0105) → the one authenticator's
   * getAssertion (CTAP 2.1 §6.2.2). The seed's response has a 64-byte ECDSA r ‖ s: when an
   * allowList credential of this RP has another algorithm, error 3 ("N/A") before anything is
   * asked of the user, and the front asks again with getAssertionEx.
   */
  private async getAssertion(m: GetAssertionRequest | GetAssertionExRequest): Promise<SecureCoreMessage> {
    const { core } = this;
    if (m.type === 'getAssertionRequest') {
      const rpIdHash = core.rpIdHash(m.rpId);
      const algs =
        m.allowList.length > 0
          ? m.allowList.flatMap((id) => core.resolve(id, rpIdHash)?.payload.alg ?? [])
          : core.env.store.listResident(m.rpId).map((r) => r.alg);
      if (algs.some((alg) => alg !== CoseAlg.ES256)) return this.errorAnswer(m, ErrorCode.notApplicable);
    }
    const req: Ctap2GetAssertionRequest = {
      rpId: m.rpId,
      clientDataHash: m.clientDataHash,
      ...(m.allowList.length > 0 && { allowList: descriptors(m.allowList) }),
      options: m.silent ? { up: false } : {},
      ...pinInput(m.type === 'getAssertionExRequest' ? m.pinUvAuth : undefined),
    };
    const r = await this.authenticator.getAssertion(req, this.ctx);
    if (m.type === 'getAssertionExRequest') return this.assertionEx('getAssertionExResponse', r);
    const a = this.assertionFields(r);
    if (a.credentialId.length !== CREDENTIAL_ID_LENGTH)
      throw new Error('the credential ID does not fit the 16-byte field');
    const aaguid = core.config.attestation === 'none' ? ZERO_16 : core.config.aaguid;
    return {
      type: 'getAssertionResponse',
      ...a,
      attestSignature: derToRawSignature(r.signature),
      aaguid,
      errorCode: ErrorCode.success,
    };
  }

  /** getNextAssertion (0x0107) → the one authenticator's §6.3 (its state from the last getAssertion, by any path). */
  private async getNextAssertion(): Promise<SecureCoreMessage> {
    return this.assertionEx('getNextAssertionResponse', await this.authenticator.getNextAssertion(this.ctx));
  }

  /** The fields the front rebuilds an assertion's authenticator data from (nothing else may be in it). */
  private assertionFields(r: Ctap2GetAssertionResponse) {
    const ad = parseAuthenticatorData(r.authData);
    if (
      !equal(buildAuthenticatorData({ rpIdHash: ad.rpIdHash, flags: ad.flags, signCount: ad.signCount }), r.authData)
    ) {
      throw new Error('the authenticator data has more than the messages carry');
    }
    return {
      credentialId: r.credential.id,
      userHandle: r.user?.id ?? EMPTY,
      rpIdHash: ad.rpIdHash,
      count: ad.signCount,
      flags: ad.flags,
    };
  }

  private assertionEx(type: AssertionExResponse['type'], r: Ctap2GetAssertionResponse): AssertionExResponse {
    return {
      type,
      ...this.assertionFields(r),
      errorCode: ErrorCode.success,
      numberOfCredentials: r.numberOfCredentials ?? 0,
      // Names only with user verification (the authenticator decided); cut to the 64-byte fields.
      userName: truncateUtf8(r.user?.name, USER_NAME_SIZE - 1),
      displayName: truncateUtf8(r.user?.displayName, USER_NAME_SIZE - 1),
      signature: r.signature,
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
      const r = await this.authenticator.clientPin(req, this.ctx);
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

/** The message type in bytes 4–5 of a framed message. */
const typeOf = (message: Uint8Array) => message[4]! | (message[5]! << 8);

/**
 * Serves a SecureCoreService on a stream (the child's end of the pipe the front made): messages
 * framed by their envelope, answered one at a time in order. A cancelRequest and the front's
 * answers to prompts (promptResponse, for `prompts`: frontPrompts.ts) go past the queue, to the
 * request in progress. Resolves when the stream closes.
 */
export function serveSecureCore(service: SecureCoreService, stream: Duplex, prompts?: FrontPrompts): Promise<void> {
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
        // A cancel and a prompt's answer go past the queue: they are for the request being answered now.
        if (typeOf(message) === Fido2MessageType.cancelRequest) {
          service.cancel();
          continue;
        }
        if (typeOf(message) === Fido2MessageType.promptResponse) {
          try {
            const answer = decodeMessage(message);
            if (answer.type === 'promptResponse') prompts?.answer(answer);
          } catch (e) {
            console.error('[softkey secure core] a prompt answer that does not decode:', (e as Error).message);
          }
          continue;
        }
        queue = queue.then(async () => {
          const response = await service.handle(message);
          if (!stream.destroyed && response.length > 0) stream.write(response);
        });
      }
    });
    stream.on('close', () => {
      prompts?.close(); // nobody can answer a prompt any more
      void queue.then(() => resolve());
    });
    stream.on('error', () => {});
  });
}
