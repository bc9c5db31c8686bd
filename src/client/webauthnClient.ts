/**
 * The WebAuthn client (platform role): WebAuthn L3 §5.1.3 "Create a New Credential" ([[Create]]) and
 * §5.1.4 "Use an Existing Credential to Make an Assertion" ([[DiscoverFromExternalSource]]), speaking
 * CTAP 2.1 (§6.1 authenticatorMakeCredential, §6.2 authenticatorGetAssertion, §6.4 getInfo) to one
 * authenticator through a CtapTransport, and answering in the PublicKeyCredential.toJSON() shape.
 * https://w3c.github.io/webauthn/#sctn-createCredential
 * https://w3c.github.io/webauthn/#sctn-getAssertion
 *
 * User verification (CTAP 2.1 §6.1.1 / §6.2.1 platform steps, L3 §6.3): built-in UV through
 * getPinUvAuthTokenUsingUvWithPermissions (or the uv option on devices without pinUvAuthToken), else
 * the PIN from `client.pin` (a string or a callback) through clientPIN (clientPin.ts), with the mc
 * or ga permission and the RP ID; "required" with neither is a NotAllowedError, "preferred" goes on
 * without.
 *
 * Long allow/exclude lists are split into chunks of getInfo.maxCredentialCountInList; when there is
 * more than one chunk, each is first probed with a silent (up=false) getAssertion, as Chromium does,
 * and the real request carries only the credential the probe found.
 */
import * as b64u from '../encoding/base64url.js';
import { equal, utf8 } from '../encoding/bytes.js';
import { decode as decodeCbor } from '../encoding/cbor.js';
import { sha256 } from '../crypto/hash.js';
import { spkiOf } from '../crypto/credentialKeys.js';
import { coseKeyFromMap } from '../encoding/cose.js';
import type { GetAssertionResponse } from '../ctap2/getAssertion.js';
import type { GetInfoResponse } from '../ctap2/getInfo.js';
import { extensionsOf, parseAuthenticatorData, type AuthenticatorData } from '../ctap2/authenticatorData.js';
import { Command } from '../ctap2/commands.js';
import type { CredentialDescriptor } from '../ctap2/entities.js';
import { encodeSimpleCommand } from '../ctap2/hostCodec.js';
import { decodeGetAssertionResponse, encodeGetAssertionRequest } from '../ctap2/getAssertion.js';
import { decodeGetInfoResponse } from '../ctap2/getInfo.js';
import { decodeMakeCredentialResponse, encodeMakeCredentialRequest } from '../ctap2/makeCredential.js';
import { CtapError, Status } from '../ctap2/status.js';
import {
  candidateOf,
  chooseAuthenticator,
  eligibleAuthenticators,
  isEligible,
  type AuthenticatorAttachment,
  type AuthenticatorCandidate,
  type AuthenticatorChooser,
  type AuthenticatorRequirements,
} from './authenticatorChoice.js';
import {
  anonymize,
  attestationConveyance,
  encodeAttestationObject,
  type NoneAttestationAaguid,
} from './attestation.js';
import { Ceremony, DEFAULT_TIMEOUTS, effectiveTimeout, type TimeoutRange } from './ceremony.js';
import { collectClientData } from './clientData.js';
import { randomBytes } from '../crypto/aead.js';
import {
  wrongAttestationObject,
  wrongAuthenticatorData,
  wrongClientData,
  type WrongAnswerHook,
} from './wrongAnswers.js';
import { toWebAuthnError, WebAuthnError } from './errors.js';
import { ClientPin, preferredProtocol, resolvePin, type PinSource, type SharedSecret } from './clientPin.js';
import { planCreateExtensions, planGetExtensions, type ExtensionPlan } from './extensions.js';
import { readLargeBlob, writeLargeBlob } from './largeBlob.js';
import { hmacSecretInput, prfResults } from './prf.js';
import {
  extensionOutputsToJSON,
  parseCreationOptionsFromJSON,
  parseRequestOptionsFromJSON,
  type AuthenticationResponseJSON,
  type CreationOptionsInput,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialDescriptor,
  type PublicKeyCredentialParameters,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  type RequestOptionsInput,
} from './json.js';
import { callerOrigin, resolveRpId, type CallerOrigin } from './origin.js';
import { accountOf, AutofillUi, type AutofillAccount } from './conditionalMediation.js';
import { validateRelatedOrigins, type RelatedOriginsOptions } from './relatedOrigins.js';
import {
  applySignal,
  hasCredentialManagement,
  parseSignal,
  type AllAcceptedCredentialsOptions,
  type CurrentUserDetailsOptions,
  type SignalEffect,
  type SignalKind,
  type UnknownCredentialOptions,
} from './signals.js';
import { clientCapabilities, type ClientCapabilities } from './clientCapabilities.js';
import { PinUvAuthTokenPermission, pinUvAuthenticate, type PinUvAuthToken, type UserVerifier } from './userVerifier.js';
import type { CtapTransport } from './transport.js';

/** L3 §5.4 pubKeyCredParams: "If this sequence is empty, the client selects ES256 and RS256". */
export const DEFAULT_PUB_KEY_CRED_PARAMS: readonly PublicKeyCredentialParameters[] = [
  { type: 'public-key', alg: -7 },
  { type: 'public-key', alg: -257 },
];

const NO_WRONG_ANSWERS: ReadonlySet<string> = new Set();

/** How a ceremony verifies the user: the uv option, a pinUvAuthToken, or neither. */
interface Verification {
  uv?: true;
  token?: PinUvAuthToken;
}
const NO_VERIFICATION: Readonly<Verification> = Object.freeze({});

/** clientDataHash of silent probes: a fixed value, so no signature over real client data escapes without presence. */
const PREFLIGHT_CLIENT_DATA_HASH = sha256(utf8.encode('softkey: silent pre-flight probe'));

export type UserVerificationRequirement = 'required' | 'preferred' | 'discouraged';
export type CredentialMediationRequirement = 'silent' | 'optional' | 'conditional' | 'required';

export interface AssertionCandidate {
  credentialId: Uint8Array;
  userHandle?: Uint8Array;
  name?: string;
  displayName?: string;
}

export interface WebAuthnClientOptions {
  /** The PIN for user verification through clientPIN, or a callback asking for it (also `client.pin`). */
  pin?: PinSource;
  /** Replaces the built-in clientPIN / built-in UV token logic (tests, custom platforms). */
  userVerifier?: UserVerifier;
  /** Transports to report in create() output when getInfo has none (default: []). */
  transports?: string[];
  /**
   * Conveyance "none": zero the AAGUID as well as replacing fmt and attStmt (the default:
   * WebAuthn Level 2's text, and what Chromium does), or keep it ('keep': Level 3's
   * §5.1.3 only replaces fmt and attStmt).
   */
  noneAttestationAaguid?: NoneAttestationAaguid;
  /** RP IDs allowed platform-managed enterprise attestation (CTAP 2.1 §7.1, enterpriseAttestation 2). */
  enterpriseRpIds?: readonly string[];
  /**
   * The range options.timeout is corrected into (ceremony.ts): default Chromium's, 10 s–10 min;
   * `{ min: 0 }` (TESTING_TIMEOUTS, key.client's default) keeps a short RP timeout such as 1 s.
   */
  timeouts?: Partial<TimeoutRange>;
  /**
   * Account choice when a discoverable-credential get() finds several (CTAP 2.1 §6.3
   * getNextAssertion). Default: the first, the one the authenticator returned.
   */
  selectCredential?: (candidates: AssertionCandidate[]) => number | Promise<number>;
  /**
   * More authenticators this client sees besides its transport (e.g. a platform key and a security
   * key at once); which one a ceremony uses follows authenticatorChoice.ts.
   */
  authenticators?: CtapTransport[];
  /** The user's pick when several authenticators qualify: 'platform', 'cross-platform' or a function. */
  chooseAuthenticator?: AuthenticatorChooser;
  /**
   * Related origin requests (L3 §5.11, relatedOrigins.ts): how https://RP-ID/.well-known/webauthn is
   * fetched (default: the global fetch) and the label limit; `false` turns the feature off.
   */
  relatedOrigins?: RelatedOriginsOptions | false;
  /** Told after each signal method ran on the authenticators (what it deleted or updated). */
  onSignal?: (effects: SignalEffect[]) => void;
  /**
   * Deliberately wrong answers armed for the next ceremony (wrongAnswers.ts; openSoftKey wires the
   * control API's `override`). Absent: an honest client.
   */
  wrongAnswers?: WrongAnswerHook;
}

export interface CreateContext {
  /** The caller's origin, e.g. "https://example.com" (its ASCII serialization goes into clientDataJSON). */
  origin: string;
  /** CredentialCreationOptions.mediation / CredentialRequestOptions.mediation ('conditional': see conditionalMediation.ts). */
  mediation?: CredentialMediationRequirement;
  /**
   * The top-level document's origin when the caller is a cross-origin frame whose embedder granted
   * publickey-credentials-create / -get (L3 §5.9); clientData then says crossOrigin and topOrigin.
   */
  topOrigin?: string;
  signal?: AbortSignal;
}

export type GetContext = CreateContext;

/** The context of a signal method: the caller's origin. */
export interface SignalContext {
  origin: string;
}

const typeError = (m: string) => new WebAuthnError('TypeError', m);
const notAllowed = (m: string, cause?: unknown) =>
  new WebAuthnError('NotAllowedError', m, cause === undefined ? undefined : { cause });

/** The authenticator a ceremony uses: its getInfo and its attachment. */
interface Chosen {
  info: GetInfoResponse;
  attachment: AuthenticatorAttachment;
}

function uvRequirement(value: string | undefined): UserVerificationRequirement {
  return value === 'required' || value === 'discouraged' ? value : 'preferred';
}

export class WebAuthnClient {
  /** getInfo of each authenticator, asked once and cached. */
  private readonly infos = new Map<CtapTransport, GetInfoResponse>();
  /** Each cached getInfo as an authenticator candidate (authenticatorChoice.ts). */
  private readonly candidates = new WeakMap<GetInfoResponse, AuthenticatorCandidate>();
  /** The lone authenticator's cached getInfo as a ceremony's choice (pickAuthenticator). */
  private readonly chosen = new WeakMap<GetInfoResponse, Readonly<Chosen>>();
  /** SHA-256 of the RP IDs this client checked authenticatorData against (bounded; a few per client). */
  private readonly rpIdHashes = new Map<string, Uint8Array>();
  /** This client's transport first, then options.authenticators. */
  private readonly all: CtapTransport[];
  private readonly timeouts: TimeoutRange;
  /** The PIN (or a callback asking for it) used when a ceremony needs user verification through clientPIN. */
  pin: PinSource | undefined;
  /** The simulated passkey autofill UI of conditional requests (conditionalMediation.ts). */
  readonly autofill = new AutofillUi();

  constructor(
    readonly transport: CtapTransport,
    private readonly options: WebAuthnClientOptions = {},
  ) {
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    if (this.timeouts.min > this.timeouts.max) throw new RangeError('timeouts.min is above timeouts.max');
    this.pin = options.pin;
    this.all = [transport, ...(options.authenticators ?? [])];
  }

  /**
   * Sets the device PIN (CTAP 2.1 §6.5.5.5 setPIN), or changes it (§6.5.5.6 changePIN) when one is
   * set, with `currentPin` or else what `client.pin` gives. When `client.pin` is unset or a string, it
   * becomes the new PIN.
   */
  async setPin(newPin: string, currentPin?: string): Promise<void> {
    try {
      this.forgetInfo();
      const info = await this.getInfo();
      const clientPin = new ClientPin((r) => this.transport.cbor(r), info);
      if (info.options?.clientPin === true) {
        const current = currentPin ?? (await resolvePin(this.pin, { purpose: 'current' }));
        if (current === undefined) throw notAllowed('changing the PIN needs the current PIN');
        await clientPin.changePin(current, newPin);
      } else if (info.options?.clientPin === false) {
        await clientPin.setPin(newPin);
      } else {
        throw new WebAuthnError('NotSupportedError', 'the authenticator has no clientPIN');
      }
    } catch (e) {
      throw toWebAuthnError(e);
    } finally {
      this.forgetInfo();
    }
    if (this.pin === undefined || typeof this.pin === 'string') this.pin = newPin;
  }

  /** pinRetries (CTAP 2.1 §6.5.5.2 getPINRetries). */
  async pinRetries(): Promise<number | undefined> {
    try {
      return await new ClientPin((r) => this.transport.cbor(r), await this.getInfo()).pinRetries();
    } catch (e) {
      throw toWebAuthnError(e);
    }
  }

  /** authenticatorGetInfo (of this client's transport, or another of its authenticators), asked once and cached. */
  async getInfo(signal?: AbortSignal, transport: CtapTransport = this.transport): Promise<GetInfoResponse> {
    let info = this.infos.get(transport);
    if (!info) {
      const response = await transport.cbor(
        encodeSimpleCommand(Command.authenticatorGetInfo),
        signal ? { signal } : {},
      );
      info = decodeGetInfoResponse(response);
      this.infos.set(transport, info);
    }
    return info;
  }

  /** Drops the cached getInfo (after a reset, a PIN change or a device swap). */
  forgetInfo(): void {
    this.infos.clear();
  }

  /**
   * L3 §5.1.7 isUserVerifyingPlatformAuthenticatorAvailable(): true when one of this client's
   * authenticators is a platform authenticator (getInfo plat) with built-in user verification (uv).
   */
  async isUserVerifyingPlatformAuthenticatorAvailable(): Promise<boolean> {
    for (const t of this.all) {
      const info = await this.getInfo(undefined, t).catch(() => undefined);
      if (info?.options?.plat === true && info.options.uv === true) return true;
    }
    return false;
  }

  /** L3 §5.1.6 isConditionalMediationAvailable(): this client offers passkey autofill (conditionalMediation.ts). */
  async isConditionalMediationAvailable(): Promise<boolean> {
    return true;
  }

  /** L3 §5.1.11 getClientCapabilities(): what this client and its authenticators support (clientCapabilities.ts). */
  async getClientCapabilities(): Promise<ClientCapabilities> {
    const infos: GetInfoResponse[] = [];
    for (const t of this.all) {
      const info = await this.getInfo(undefined, t).catch(() => undefined);
      if (info) infos.push(info);
    }
    return clientCapabilities(infos, { relatedOrigins: this.options.relatedOrigins !== false });
  }

  /** L3 §5.1.10 signalUnknownCredential(): the RP does not know this credential ID (signals.ts). */
  signalUnknownCredential(options: UnknownCredentialOptions, ctx: SignalContext): Promise<SignalEffect[]> {
    return this.signal('unknownCredential', options, ctx);
  }

  /** L3 §5.1.10 signalAllAcceptedCredentials(): every credential ID the RP still accepts for a user (signals.ts). */
  signalAllAcceptedCredentials(options: AllAcceptedCredentialsOptions, ctx: SignalContext): Promise<SignalEffect[]> {
    return this.signal('allAcceptedCredentials', options, ctx);
  }

  /** L3 §5.1.10 signalCurrentUserDetails(): the user's current name and display name (signals.ts). */
  signalCurrentUserDetails(options: CurrentUserDetailsOptions, ctx: SignalContext): Promise<SignalEffect[]> {
    return this.signal('currentUserDetails', options, ctx);
  }

  /**
   * A signal method: validated as L3 says (TypeError, SecurityError), then applied to every
   * authenticator that has credential management and gives a token without asking the user for
   * anything (built-in UV, or the PIN this client holds). Resolves with what changed (the page sees
   * undefined); failures on an authenticator are recorded, never thrown.
   */
  private async signal(kind: SignalKind, input: unknown, ctx: SignalContext): Promise<SignalEffect[]> {
    const request = parseSignal(kind, input);
    const caller = callerOrigin(ctx.origin);
    await this.rpIdFor(caller, request.rpId);
    const effects: SignalEffect[] = [];
    for (const [index, transport] of this.all.entries()) {
      const skip = (skipped: string) =>
        effects.push({ signal: kind, rpId: request.rpId, authenticator: index, deleted: [], updated: [], skipped });
      try {
        const info = await this.getInfo(undefined, transport);
        if (!hasCredentialManagement(info)) {
          skip('no credential management');
          continue;
        }
        const send = (r: Uint8Array) => transport.cbor(r);
        const o = info.options ?? {};
        const clientPin = new ClientPin(send, info);
        let token: PinUvAuthToken | undefined;
        if (o.uv === true && o.pinUvAuthToken === true)
          token = await clientPin.tokenFromUv(PinUvAuthTokenPermission.cm, request.rpId);
        else if (o.clientPin === true && typeof this.pin === 'string')
          token = await clientPin.tokenFromPin(this.pin, PinUvAuthTokenPermission.cm, request.rpId);
        if (!token) {
          skip('no silent user verification');
          continue;
        }
        effects.push(await applySignal(send, info, token, request, index));
      } catch (e) {
        skip(`failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    this.options.onSignal?.(effects);
    return effects;
  }

  /**
   * The RP ID of a ceremony or signal (L3 §5.1.3 step 7 / §5.1.4 step 6): the requested one when it
   * is the caller's effective domain or a registrable suffix of it, else when the RP's related
   * origins list the caller (§5.11, relatedOrigins.ts); SecurityError otherwise.
   */
  private rpIdFor(caller: CallerOrigin, requested: string | undefined, signal?: AbortSignal): string | Promise<string> {
    try {
      return resolveRpId(caller, requested);
    } catch (e) {
      if (
        requested === undefined ||
        this.options.relatedOrigins === false ||
        !(e instanceof WebAuthnError && e.name === 'SecurityError')
      )
        throw e;
      return validateRelatedOrigins(caller.origin, requested, this.options.relatedOrigins ?? {}, signal).then(
        () => requested,
      );
    }
  }

  /**
   * The authenticator a ceremony uses (authenticatorChoice.ts): the ceremony talks to it from now on.
   * None eligible: wait for the timeout (NotAllowedError), as Chromium does.
   */
  private pickAuthenticator(
    c: Ceremony,
    req: AuthenticatorRequirements,
    probe?: (info: GetInfoResponse) => Promise<boolean>,
  ): Chosen | Promise<Chosen> {
    // One authenticator whose getInfo is known (every ceremony after the first): nothing to wait for.
    const info = this.all.length === 1 ? this.infos.get(this.transport) : undefined;
    if (info && isEligible(this.candidate(0, info), req)) return this.chosenOf(info);
    return this.pickAmong(c, req, probe);
  }

  /** The lone authenticator as the ceremony's choice (kept while its getInfo is: made once, not per sign-in). */
  private chosenOf(info: GetInfoResponse): Chosen {
    let chosen = this.chosen.get(info);
    if (!chosen) this.chosen.set(info, (chosen = { info, attachment: this.candidate(0, info).attachment }));
    return chosen;
  }

  /** The candidate of authenticator `index` with this getInfo (kept while getInfo is). */
  private candidate(index: number, info: GetInfoResponse): AuthenticatorCandidate {
    let cached = this.candidates.get(info);
    if (!cached) this.candidates.set(info, (cached = candidateOf(index, info)));
    return cached;
  }

  private async pickAmong(
    c: Ceremony,
    req: AuthenticatorRequirements,
    probe?: (info: GetInfoResponse) => Promise<boolean>,
  ): Promise<Chosen> {
    const infos: GetInfoResponse[] = [];
    for (const t of this.all) infos.push(this.infos.get(t) ?? (await c.guard(this.getInfo(c.signal, t))));
    const eligible = eligibleAuthenticators(
      infos.map((info, i) => this.candidate(i, info)),
      req,
    );
    let chosen =
      this.options.chooseAuthenticator === undefined && probe && eligible.length > 1
        ? undefined
        : chooseAuthenticator(eligible, this.options.chooseAuthenticator);
    if (!chosen && eligible.length > 1) {
      // No pick given for a sign-in: the first authenticator (best first) that holds a credential, as
      // a browser lists only the accounts its authenticators have.
      for (const candidate of eligible) {
        c.use(this.all[candidate.index]!);
        if (await probe!(infos[candidate.index]!)) {
          chosen = candidate;
          break;
        }
      }
      chosen ??= eligible[0];
    }
    if (!chosen) return c.waitForever();
    c.use(this.all[chosen.index]!);
    return { info: infos[chosen.index]!, attachment: chosen.attachment };
  }

  /** navigator.credentials.create({ publicKey }) → PublicKeyCredential.toJSON(). */
  async create(
    input: CreationOptionsInput | PublicKeyCredentialCreationOptionsJSON,
    ctx: CreateContext,
  ): Promise<RegistrationResponseJSON> {
    if (ctx.signal?.aborted)
      throw new WebAuthnError('AbortError', 'the operation was aborted', { cause: ctx.signal.reason });
    const options = parseCreationOptionsFromJSON(input);
    // L3 §5.1.3 step 3 checks user.id before the origin; the 16-byte challenge minimum is ours.
    if (options.user.id.length < 1 || options.user.id.length > 64) throw typeError('user.id must be 1 to 64 bytes');
    if (options.challenge.length < 16) throw typeError('challenge must be at least 16 bytes');
    const caller = callerOrigin(ctx.origin);
    const rpIdOrCheck = this.rpIdFor(caller, options.rp.id, ctx.signal);
    const rpId = typeof rpIdOrCheck === 'string' ? rpIdOrCheck : await rpIdOrCheck;
    // L3 §5.1.3, mediation "conditional" (passkey upgrade): only after an authentication this client
    // mediated for the same origin, and with the user's consent; no user verification is asked for.
    const conditional = ctx.mediation === 'conditional';
    if (conditional && !this.autofill.recentlyAuthenticated(caller.origin)) {
      throw notAllowed(`conditional create: no recent sign-in on ${caller.origin} mediated by this client`);
    }
    if (conditional && !this.autofill.consentToConditionalCreate)
      throw notAllowed('conditional create: the user did not consent');

    let params: PublicKeyCredentialParameters[] = [...DEFAULT_PUB_KEY_CRED_PARAMS];
    if (options.pubKeyCredParams.length > 0) {
      params = options.pubKeyCredParams
        .filter((p) => p.type === 'public-key')
        .map((p) => ({ type: p.type, alg: p.alg }));
      if (params.length === 0) throw new WebAuthnError('NotSupportedError', 'no pubKeyCredParams of type public-key');
    }

    const selection = options.authenticatorSelection ?? {};
    const rkRequirement =
      selection.residentKey === 'required' ||
      selection.residentKey === 'preferred' ||
      selection.residentKey === 'discouraged'
        ? selection.residentKey
        : selection.requireResidentKey === true
          ? 'required'
          : 'discouraged';
    const uv = conditional ? 'discouraged' : uvRequirement(selection.userVerification);
    const conveyance = attestationConveyance(options.attestation);
    const topOrigin = ctx.topOrigin === undefined ? undefined : callerOrigin(ctx.topOrigin).origin;
    const wrong = this.options.wrongAnswers?.('registration') ?? NO_WRONG_ANSWERS;
    const clientData =
      wrong.size > 0
        ? wrongClientData('webauthn.create', options.challenge, caller.origin, topOrigin, wrong, randomBytes)
        : collectClientData('webauthn.create', options.challenge, caller.origin, topOrigin);
    const timeout = effectiveTimeout(options.timeout, this.timeouts);

    return await this.run(ctx.signal, timeout, async (c) => {
      const { info, attachment } = await this.pickAuthenticator(c, {
        ...(selection.authenticatorAttachment !== undefined && { required: selection.authenticatorAttachment }),
        ...(options.hints && { hints: options.hints }),
      });
      const deviceRk = info.options?.rk === true;
      if (rkRequirement === 'required' && !deviceRk)
        throw new WebAuthnError('ConstraintError', 'the authenticator cannot store discoverable credentials');
      const rk = rkRequirement === 'required' || (rkRequirement === 'preferred' && deviceRk);
      const extensions = planCreateExtensions(options.extensions, info, { rk });

      // excludeCredentials → excludeList (pre-flighted in chunks when longer than the device takes).
      let excludeList: CredentialDescriptor[] | undefined;
      const eligible = this.eligible(options.excludeCredentials ?? [], info);
      const chunks = this.chunks(eligible, info);
      if (chunks.length === 1) excludeList = chunks[0];
      else if (chunks.length > 1) {
        const found = await this.silentProbe(c, rpId, chunks);
        if (found) excludeList = [found];
      }

      const verification = await this.userVerification(c, info, uv, PinUvAuthTokenPermission.mc, rpId, {
        makeCredential: { rk },
      });
      const prf = await this.prfInput(c, info, extensions, verification.token, undefined);
      const ctapOptions: Record<string, boolean> = {};
      if (rk) ctapOptions.rk = true;
      if (verification.uv) ctapOptions.uv = true;
      let enterpriseAttestation: number | undefined;
      if (conveyance === 'enterprise' && info.options?.ep === true && this.options.enterpriseRpIds?.includes(rpId))
        enterpriseAttestation = 2;
      // WebAuthn L3 attestationFormats → CTAP 2.3 attestationFormatsPreference (0x0B), for an
      // authenticator that lists attestationFormats and when an attestation is wanted at all.
      const formats = options.attestationFormats?.filter((f) => typeof f === 'string') ?? [];
      const attestationFormatsPreference =
        conveyance !== 'none' && formats.length > 0 && info.attestationFormats ? formats : undefined;

      const request = encodeMakeCredentialRequest({
        clientDataHash: clientData.hash,
        rp: { id: rpId, name: options.rp.name },
        user: { id: options.user.id, name: options.user.name, displayName: options.user.displayName },
        pubKeyCredParams: params,
        ...(excludeList && { excludeList }),
        ...(extensions.inputs.size > 0 && { extensions: extensions.inputs }),
        ...(Object.keys(ctapOptions).length > 0 && { options: ctapOptions }),
        ...(verification.token && {
          pinUvAuthParam: pinUvAuthenticate(verification.token, clientData.hash),
          pinUvAuthProtocol: verification.token.protocol,
        }),
        ...(enterpriseAttestation !== undefined && { enterpriseAttestation }),
        ...(attestationFormatsPreference && { attestationFormatsPreference }),
      });
      let result = decodeMakeCredentialResponse(await c.send(request));

      const authData = this.checkAuthData(result.authData, rpId, wrong);
      const acd = authData.attestedCredentialData;
      if (!acd) throw new WebAuthnError('UnknownError', 'authenticatorData has no attested credential data');
      const outputs = extensionsOf(authData);
      const clientExtensionResults = extensions.outputs({
        outputs,
        largeBlobKey: result.largeBlobKey,
        prf: prf && prfResults(prf.secret, outputs?.get(prf.inputKey), prf.saltCount),
      });
      // "indirect" may be anonymized by the client; this one conveys it unaltered, like "direct".
      // Chromium keeps a platform authenticator's AAGUID under "none" (seed 001's Windows Hello sample).
      if (conveyance === 'none')
        result = anonymize(result, attachment === 'platform' ? 'keep' : (this.options.noneAttestationAaguid ?? 'zero'));

      const { alg, spki } = publicKeyOf(acd.credentialPublicKey);
      const transports = [...new Set(info.transports ?? this.options.transports ?? [])].sort();
      const id = b64u.encode(acd.credentialId);
      if (wrong.size > 0)
        result = { ...result, authData: wrongAuthenticatorData(result.authData, 'registration', wrong) };
      return {
        id,
        rawId: id,
        response: {
          clientDataJSON: b64u.encode(clientData.json),
          authenticatorData: b64u.encode(result.authData),
          transports,
          ...(spki && { publicKey: b64u.encode(spki) }),
          publicKeyAlgorithm: alg,
          attestationObject: b64u.encode(wrongAttestationObject(encodeAttestationObject(result), wrong)),
        },
        authenticatorAttachment: attachment,
        clientExtensionResults: extensionOutputsToJSON(clientExtensionResults),
        type: 'public-key',
      };
    });
  }

  /** navigator.credentials.get({ publicKey, mediation }) → PublicKeyCredential.toJSON(). */
  async get(
    input: RequestOptionsInput | PublicKeyCredentialRequestOptionsJSON,
    ctx: GetContext,
  ): Promise<AuthenticationResponseJSON> {
    if (ctx.signal?.aborted)
      throw new WebAuthnError('AbortError', 'the operation was aborted', { cause: ctx.signal.reason });
    const options = parseRequestOptionsFromJSON(input);
    const caller = callerOrigin(ctx.origin);
    // A public key credential always needs the user (user presence); silent mediation cannot produce one.
    if (ctx.mediation === 'silent') throw notAllowed('silent mediation is not possible for public key credentials');
    const rpIdOrCheck = this.rpIdFor(caller, options.rpId, ctx.signal);
    const rpId = typeof rpIdOrCheck === 'string' ? rpIdOrCheck : await rpIdOrCheck;
    if (options.challenge.length < 16) throw typeError('challenge must be at least 16 bytes');
    const uv = uvRequirement(options.userVerification);
    const topOrigin = ctx.topOrigin === undefined ? undefined : callerOrigin(ctx.topOrigin).origin;
    // An autofill request (conditional mediation) may wait for ever and never answer: a wrong answer
    // armed once is left for the next modal sign-in rather than spent on it.
    const wrong =
      ctx.mediation === 'conditional'
        ? NO_WRONG_ANSWERS
        : (this.options.wrongAnswers?.('authentication') ?? NO_WRONG_ANSWERS);
    const clientData =
      wrong.size > 0
        ? wrongClientData('webauthn.get', options.challenge, caller.origin, topOrigin, wrong, randomBytes)
        : collectClientData('webauthn.get', options.challenge, caller.origin, topOrigin);
    const allowCredentials = (options.allowCredentials ?? []).filter((d) => d.type === 'public-key');
    // L3 §5.1.4.1: with conditional mediation the timeout is ignored.
    const timeout = ctx.mediation === 'conditional' ? undefined : effectiveTimeout(options.timeout, this.timeouts);

    return await this.run(ctx.signal, timeout, async (c) => {
      // Conditional mediation (passkey autofill): the user picks an offered account first; the
      // assertion then asks that authenticator for that credential only.
      const picked =
        ctx.mediation === 'conditional'
          ? await this.autofillChoice(c, caller.origin, rpId, allowCredentials)
          : undefined;
      const chosen =
        picked ??
        this.pickAuthenticator(
          c,
          options.hints ? { hints: options.hints, allowCredentials } : { allowCredentials },
          async (probed) => {
            const eligible = this.eligible(allowCredentials, probed);
            if (allowCredentials.length > 0 && eligible.length === 0) return false;
            const chunks = allowCredentials.length > 0 ? this.chunks(eligible, probed) : [undefined];
            return (await this.silentProbe(c, rpId, chunks)) !== undefined;
          },
        );
      // Steps that answer at once (a known lone authenticator, no UV, no prf or largeBlob) are not
      // awaited: each await is a turn of the microtask queue on every sign-in.
      const { info, attachment } = chosen instanceof Promise ? await chosen : chosen;
      const extensions = planGetExtensions(options.extensions, info, { allowCredentials });

      let allowList: CredentialDescriptor[] | undefined;
      if (picked) allowList = [{ type: 'public-key', id: b64u.decode(picked.account.credentialId) }];
      else if ((options.allowCredentials ?? []).length > 0) {
        const eligible = this.eligible(allowCredentials, info);
        if (eligible.length === 0) throw notAllowed('no allowed credential can be on this authenticator');
        const chunks = this.chunks(eligible, info);
        if (chunks.length === 1) allowList = chunks[0];
        else {
          const found = await this.silentProbe(c, rpId, chunks);
          if (!found)
            throw notAllowed(
              'no allowed credential is on this authenticator',
              new CtapError(Status.CTAP2_ERR_NO_CREDENTIALS),
            );
          allowList = [found];
        }
      }

      // prf.evalByCredential: the salts depend on the credential, so single it out first.
      if (extensions.prf?.byCredential && allowList && allowList.length > 1) {
        const found = await this.silentProbe(c, rpId, [allowList]);
        if (!found)
          throw notAllowed(
            'no allowed credential is on this authenticator',
            new CtapError(Status.CTAP2_ERR_NO_CREDENTIALS),
          );
        allowList = [found];
      }

      const verifying = this.userVerification(c, info, uv, PinUvAuthTokenPermission.ga | extensions.permissions, rpId, {
        tokenWanted: extensions.permissions !== 0,
      });
      const verification = verifying instanceof Promise ? await verifying : verifying;
      const prf = extensions.prf
        ? await this.prfInput(
            c,
            info,
            extensions,
            verification.token,
            allowList?.length === 1 ? allowList[0]!.id : undefined,
          )
        : undefined;
      const request = encodeGetAssertionRequest({
        rpId,
        clientDataHash: clientData.hash,
        ...(allowList && { allowList }),
        ...(extensions.inputs.size > 0 && { extensions: extensions.inputs }),
        ...(verification.uv && { options: { uv: true } }),
        ...(verification.token && {
          pinUvAuthParam: pinUvAuthenticate(verification.token, clientData.hash),
          pinUvAuthProtocol: verification.token.protocol,
        }),
      });
      let result = decodeGetAssertionResponse(await c.send(request), allowList);
      if (!allowList && (result.numberOfCredentials ?? 1) > 1 && this.options.selectCredential) {
        result = await this.chooseAccount(c, result);
      }
      if (allowList && !allowList.some((d) => equal(d.id, result.credential.id))) {
        throw new WebAuthnError('UnknownError', 'the authenticator answered with a credential that was not allowed');
      }
      const authData = this.checkAuthData(result.authData, rpId, wrong);
      const outputs = extensionsOf(authData);
      const clientExtensionResults = extensions.outputs({
        outputs,
        largeBlobKey: result.largeBlobKey,
        prf: prf && prfResults(prf.secret, outputs?.get(prf.inputKey), prf.saltCount),
        largeBlob:
          extensions.largeBlob && result.largeBlobKey
            ? await this.largeBlobAfterAssertion(c, info, extensions, result.largeBlobKey, verification.token)
            : undefined,
      });

      const id = b64u.encode(result.credential.id);
      this.autofill.recordAuthentication(caller.origin);
      return {
        id,
        rawId: id,
        response: {
          clientDataJSON: b64u.encode(clientData.json),
          authenticatorData: b64u.encode(wrongAuthenticatorData(result.authData, 'authentication', wrong)),
          signature: b64u.encode(result.signature),
          ...(result.user && { userHandle: b64u.encode(result.user.id) }),
        },
        authenticatorAttachment: attachment,
        clientExtensionResults: extensionOutputsToJSON(clientExtensionResults),
        type: 'public-key',
      };
    });
  }

  // ---------------------------------------------------------------------------------------------

  /** Runs `body` as one ceremony: its error as a WebAuthnError (the ceremony's own when it was stopped). */
  private run<T>(
    signal: AbortSignal | undefined,
    timeoutMs: number | undefined,
    body: (c: Ceremony) => Promise<T>,
  ): Promise<T> {
    const c = new Ceremony(this.transport, signal, timeoutMs);
    // Not an async function: `body` (async) never throws, and an await here was a promise more per sign-in.
    return body(c).then(
      (v) => {
        c.close();
        return v;
      },
      (e: unknown) => {
        const error = c.error() ?? toWebAuthnError(e);
        c.close();
        throw error;
      },
    );
  }

  /**
   * Passkey autofill (conditionalMediation.ts): silent discovery on every authenticator (L3 §6.3.4
   * authenticatorSilentCredentialDiscovery, over CTAP as getAssertion with up=false and no allowList,
   * then getNextAssertion), the accounts filtered by allowCredentials when it is not empty, offered
   * to the user; resolves with the account chosen and its authenticator, now the ceremony's.
   */
  private async autofillChoice(
    c: Ceremony,
    origin: string,
    rpId: string,
    allowCredentials: readonly PublicKeyCredentialDescriptor[],
  ): Promise<{ info: GetInfoResponse; attachment: AuthenticatorAttachment; account: AutofillAccount }> {
    const accounts: AutofillAccount[] = [];
    const infos: GetInfoResponse[] = [];
    for (const [index, transport] of this.all.entries()) {
      const info = await c.guard(this.getInfo(c.signal, transport));
      infos.push(info);
      c.use(transport);
      const { attachment } = candidateOf(index, info);
      let first: GetAssertionResponse;
      try {
        first = decodeGetAssertionResponse(
          await c.send(
            encodeGetAssertionRequest({ rpId, clientDataHash: PREFLIGHT_CLIENT_DATA_HASH, options: { up: false } }),
          ),
        );
      } catch (e) {
        if (e instanceof CtapError) continue; // nothing discoverable here (NO_CREDENTIALS), or it cannot tell
        throw e;
      }
      const found = [first];
      for (let i = 1; i < (first.numberOfCredentials ?? 1); i++) {
        found.push(
          decodeGetAssertionResponse(await c.send(encodeSimpleCommand(Command.authenticatorGetNextAssertion))),
        );
      }
      for (const r of found) {
        if (allowCredentials.length > 0 && !allowCredentials.some((d) => equal(d.id, r.credential.id))) continue;
        accounts.push(accountOf(r.credential.id, r.user, index, attachment));
      }
    }
    const account = await c.guard(this.autofill.offer(origin, rpId, accounts, c.signal));
    c.use(this.all[account.authenticator]!);
    return { info: infos[account.authenticator]!, attachment: account.attachment, account };
  }

  /** Descriptors the device can take: type public-key, ID no longer than getInfo.maxCredentialIdLength. */
  private eligible(list: readonly PublicKeyCredentialDescriptor[], info: GetInfoResponse): CredentialDescriptor[] {
    const maxId = info.maxCredentialIdLength;
    const out: CredentialDescriptor[] = [];
    for (const d of list)
      if (d.type === 'public-key' && (maxId === undefined || d.id.length <= maxId))
        out.push({ type: 'public-key', id: d.id });
    return out;
  }

  /** Chunks of getInfo.maxCredentialCountInList (CTAP 2.1 §6.4: absent means one at a time). */
  private chunks(list: CredentialDescriptor[], info: GetInfoResponse): CredentialDescriptor[][] {
    const size = Math.max(1, info.maxCredentialCountInList ?? 1);
    if (list.length > 0 && list.length <= size) return [list]; // one chunk (a sign-in's usual allowList): the list itself
    const out: CredentialDescriptor[][] = [];
    for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
    return out;
  }

  /**
   * Silent getAssertion (up=false) over each chunk in turn; the first credential the device
   * recognises, or undefined when every chunk answers NO_CREDENTIALS.
   * Limitation: no pinUvAuthParam is sent, so credProtect level 3 credentials are not found here.
   */
  private async silentProbe(
    c: Ceremony,
    rpId: string,
    chunks: Array<CredentialDescriptor[] | undefined>,
  ): Promise<CredentialDescriptor | undefined> {
    for (const chunk of chunks) {
      let response: GetAssertionResponse;
      try {
        response = decodeGetAssertionResponse(
          await c.send(
            encodeGetAssertionRequest({
              rpId,
              clientDataHash: PREFLIGHT_CLIENT_DATA_HASH,
              ...(chunk && { allowList: chunk }),
              options: { up: false },
            }),
          ),
          chunk,
        );
      } catch (e) {
        if (e instanceof CtapError && e.status === Status.CTAP2_ERR_NO_CREDENTIALS) continue;
        throw e;
      }
      const id = response.credential.id;
      return chunk?.find((d) => equal(d.id, id)) ?? { type: 'public-key', id };
    }
    return undefined;
  }

  /**
   * Decides how user verification happens (CTAP 2.1 §6.1.1 / §6.2.1 platform steps, L3 §6.3):
   *   - wanted when "required", when "preferred" and the device is protected by UV (a PIN set or
   *     built-in UV), when makeCredential would otherwise fail (a protected device without
   *     makeCredUvNotRqd, or a discoverable credential, or alwaysUv), or when an extension needs a
   *     token (largeBlob write: lbw);
   *   - built-in UV first: a token through getPinUvAuthTokenUsingUvWithPermissions when the device
   *     has pinUvAuthToken, else the `uv` option; when built-in UV fails and a PIN is set, the PIN;
   *   - the PIN from `client.pin` → getPinUvAuthTokenUsingPinWithPermissions (getPinToken on CTAP 2.0);
   *   - neither: "required" → NotAllowedError, otherwise on without UV.
   */
  private userVerification(
    c: Ceremony,
    info: GetInfoResponse,
    requirement: UserVerificationRequirement,
    permission: number,
    rpId: string,
    why: { makeCredential?: { rk: boolean }; tokenWanted?: boolean },
  ): Verification | Promise<Verification> {
    const o = info.options ?? {};
    const protectedByUv = o.clientPin === true || o.uv === true;
    const mc = why.makeCredential;
    const mcNeedsUv =
      mc !== undefined && (o.alwaysUv === true || (protectedByUv && (o.makeCredUvNotRqd !== true || mc.rk)));
    // alwaysUv (CTAP 2.1 §7.2.3): every makeCredential and getAssertion needs user verification.
    const needed = requirement === 'required' || mcNeedsUv || o.alwaysUv === true;
    const wanted =
      needed || (requirement === 'preferred' && protectedByUv) || (why.tokenWanted === true && protectedByUv);
    if (!wanted) return NO_VERIFICATION;
    return this.verifyUser(c, info, requirement, permission, rpId, needed);
  }

  /** userVerification when it is wanted; `needed`: going on without it is not allowed. */
  private async verifyUser(
    c: Ceremony,
    info: GetInfoResponse,
    requirement: UserVerificationRequirement,
    permission: number,
    rpId: string,
    needed: boolean,
  ): Promise<Verification> {
    const o = info.options ?? {};
    const pinSet = o.clientPin === true;
    const builtInUv = o.uv === true;
    const tokens = o.pinUvAuthToken === true;

    if (this.options.userVerifier) {
      if (pinSet || (tokens && builtInUv)) {
        const token = await c.guard(
          this.options.userVerifier.getPinUvAuthToken(permission, rpId, { signal: c.signal }),
        );
        if (token) return { token };
      }
      if (builtInUv) return { uv: true };
      if (requirement === 'required') throw notAllowed('user verification is required but not available');
      return {};
    }

    const clientPin = () => new ClientPin((r) => c.send(r), info);
    if (builtInUv) {
      if (!tokens) return { uv: true };
      try {
        return { token: await clientPin().tokenFromUv(permission, rpId) };
      } catch (e) {
        const uvFailed =
          e instanceof CtapError &&
          (e.status === Status.CTAP2_ERR_UV_INVALID || e.status === Status.CTAP2_ERR_UV_BLOCKED);
        if (!(uvFailed && pinSet)) throw e;
      }
    }
    if (pinSet) {
      const retries = typeof this.pin === 'function' ? await clientPin().pinRetries() : undefined;
      const pin = await c.guard(
        resolvePin(this.pin, { purpose: 'verify', rpId, ...(retries !== undefined && { retries }) }),
      );
      if (pin !== undefined) return { token: await clientPin().tokenFromPin(pin, permission, rpId) };
      if (needed) throw notAllowed('user verification needs the PIN, and none was given');
      return {};
    }
    if (requirement === 'required') throw notAllowed('user verification is required but not available');
    return {};
  }

  /**
   * prf: a shared secret with the authenticator (getKeyAgreement under the token's protocol, else the
   * preferred one) and the hmac-secret / hmac-secret-mc input for the salts, set into the plan's inputs.
   */
  private async prfInput(
    c: Ceremony,
    info: GetInfoResponse,
    plan: ExtensionPlan,
    token: PinUvAuthToken | undefined,
    credentialId: Uint8Array | undefined,
  ): Promise<{ secret: SharedSecret; inputKey: string; saltCount: number } | undefined> {
    const salts = plan.prf?.salts(credentialId);
    if (!plan.prf || !salts) return undefined;
    const protocol = token
      ? preferredProtocol({ ...info, pinUvAuthProtocols: [token.protocol] })
      : preferredProtocol(info);
    if (!protocol) return undefined;
    const secret = await new ClientPin((r) => c.send(r), info, protocol).sharedSecret();
    plan.inputs.set(plan.prf.inputKey, hmacSecretInput(secret, salts));
    return { secret, inputKey: plan.prf.inputKey, saltCount: salts.length };
  }

  /** largeBlob read or write (L3 §10.1.5) once the assertion gave the credential's largeBlobKey. */
  private async largeBlobAfterAssertion(
    c: Ceremony,
    info: GetInfoResponse,
    plan: ExtensionPlan,
    largeBlobKey: Uint8Array | undefined,
    token: PinUvAuthToken | undefined,
  ): Promise<{ blob?: Uint8Array; written?: boolean } | undefined> {
    const lb = plan.largeBlob;
    if (!lb || !largeBlobKey) return undefined;
    const send = (r: Uint8Array) => c.send(r);
    if ('read' in lb) {
      const blob = await readLargeBlob(send, info, largeBlobKey);
      return blob ? { blob } : {};
    }
    const o = info.options ?? {};
    if (!token && (o.clientPin === true || o.uv === true || o.alwaysUv === true)) return { written: false };
    try {
      await writeLargeBlob(send, info, largeBlobKey, lb.write, token);
      return { written: true };
    } catch (e) {
      if (e instanceof CtapError) return { written: false };
      throw e;
    }
  }

  private async chooseAccount(c: Ceremony, first: GetAssertionResponse): Promise<GetAssertionResponse> {
    const all = [first];
    for (let i = 1; i < first.numberOfCredentials!; i++) {
      all.push(decodeGetAssertionResponse(await c.send(encodeSimpleCommand(Command.authenticatorGetNextAssertion))));
    }
    const candidates = all.map((r) => ({
      credentialId: r.credential.id,
      ...(r.user && { userHandle: r.user.id }),
      ...(r.user?.name !== undefined && { name: r.user.name }),
      ...(r.user?.displayName !== undefined && { displayName: r.user.displayName }),
    }));
    const index = await c.guard(Promise.resolve(this.options.selectCredential!(candidates)));
    const chosen = all[index];
    if (!chosen) throw notAllowed('no account was chosen');
    return chosen;
  }

  private rpIdHash(rpId: string): Uint8Array {
    let h = this.rpIdHashes.get(rpId);
    if (!h) {
      if (this.rpIdHashes.size >= 64) this.rpIdHashes.clear();
      this.rpIdHashes.set(rpId, (h = sha256(utf8.encode(rpId))));
    }
    return h;
  }

  /** The authenticator's answer parsed; an armed `rp-id-hash` wrong answer is let through, not refused. */
  private checkAuthData(raw: Uint8Array, rpId: string, wrong: ReadonlySet<string>): AuthenticatorData {
    let parsed: AuthenticatorData;
    try {
      parsed = parseAuthenticatorData(raw);
    } catch (e) {
      throw new WebAuthnError('UnknownError', 'the authenticator returned malformed authenticatorData', { cause: e });
    }
    if (!equal(parsed.rpIdHash, this.rpIdHash(rpId)) && !wrong.has('rp-id-hash')) {
      throw new WebAuthnError('UnknownError', 'authenticatorData is for another RP ID');
    }
    return parsed;
  }
}

/** COSE alg and SPKI DER of a credential public key (L3 getPublicKey(): SPKI only for known key types). */
function publicKeyOf(coseKey: Uint8Array): { alg: number; spki?: Uint8Array } {
  const map = decodeCbor(coseKey);
  if (!(map instanceof Map) || typeof map.get(3) !== 'number')
    throw new WebAuthnError('UnknownError', 'credential public key has no alg');
  const alg = map.get(3) as number;
  try {
    return { alg, spki: spkiOf(coseKeyFromMap(map)) };
  } catch {
    return { alg };
  }
}
