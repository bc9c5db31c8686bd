/**
 * The WebAuthn L3 option dictionaries in their two forms — binary (§5.4 PublicKeyCredentialCreationOptions,
 * §5.5 PublicKeyCredentialRequestOptions: BufferSource fields) and JSON (…OptionsJSON: base64url
 * strings) — and the response JSON of PublicKeyCredential.toJSON() (§5.1.8, RegistrationResponseJSON /
 * AuthenticationResponseJSON).
 *
 * parseCreationOptionsFromJSON / parseRequestOptionsFromJSON follow §5.1.9 / §5.1.10: they accept
 * either form field by field (a string is base64url, a BufferSource is copied) and return the binary
 * form with Uint8Array fields. A malformed base64url string is an EncodingError, a missing required
 * member a TypeError.
 */
import * as b64u from '../encoding/base64url.js';
import { WebAuthnError } from './errors.js';

export type Base64URLString = string;
export type BufferSourceLike = ArrayBuffer | ArrayBufferView;
export type Bin = Base64URLString | BufferSourceLike;

export interface PublicKeyCredentialRpEntity {
  id?: string;
  name: string;
}
export interface PublicKeyCredentialUserEntity<B = Uint8Array> {
  id: B;
  name: string;
  displayName: string;
}
export interface PublicKeyCredentialParameters {
  type: string;
  alg: number;
}
export interface PublicKeyCredentialDescriptor<B = Uint8Array> {
  type: string;
  id: B;
  transports?: string[];
}
export interface AuthenticatorSelectionCriteria {
  authenticatorAttachment?: string;
  residentKey?: string;
  requireResidentKey?: boolean;
  userVerification?: string;
}
export interface AuthenticationExtensionsPRFValues<B = Uint8Array> {
  first: B;
  second?: B;
}
export interface AuthenticationExtensionsClientInputs<B = Uint8Array> {
  credProps?: boolean;
  /** CTAP 2.1 §12.1 credProtect. */
  credentialProtectionPolicy?: string;
  enforceCredentialProtectionPolicy?: boolean;
  /** CTAP 2.1 §12.2 credBlob. */
  credBlob?: B;
  getCredBlob?: boolean;
  /** CTAP 2.1 §12.4 minPinLength. */
  minPinLength?: boolean;
  /** L3 §10.1.5 largeBlob. */
  largeBlob?: { support?: string; read?: boolean; write?: B };
  /** L3 §10.1.4 prf. */
  prf?: {
    eval?: AuthenticationExtensionsPRFValues<B>;
    evalByCredential?: Record<string, AuthenticationExtensionsPRFValues<B>>;
  };
  appid?: string;
  appidExclude?: string;
  [other: string]: unknown;
}

export interface PublicKeyCredentialCreationOptions<B = Uint8Array> {
  rp: PublicKeyCredentialRpEntity;
  user: PublicKeyCredentialUserEntity<B>;
  challenge: B;
  pubKeyCredParams: PublicKeyCredentialParameters[];
  timeout?: number;
  excludeCredentials?: PublicKeyCredentialDescriptor<B>[];
  authenticatorSelection?: AuthenticatorSelectionCriteria;
  hints?: string[];
  attestation?: string;
  attestationFormats?: string[];
  extensions?: AuthenticationExtensionsClientInputs<B>;
}
export type PublicKeyCredentialCreationOptionsJSON = PublicKeyCredentialCreationOptions<Base64URLString>;

export interface PublicKeyCredentialRequestOptions<B = Uint8Array> {
  challenge: B;
  timeout?: number;
  rpId?: string;
  allowCredentials?: PublicKeyCredentialDescriptor<B>[];
  userVerification?: string;
  hints?: string[];
  extensions?: AuthenticationExtensionsClientInputs<B>;
}
export type PublicKeyCredentialRequestOptionsJSON = PublicKeyCredentialRequestOptions<Base64URLString>;

/** What create()/get() accept: the JSON form, the binary form, or a field-wise mix. */
export type CreationOptionsInput = PublicKeyCredentialCreationOptions<Bin>;
export type RequestOptionsInput = PublicKeyCredentialRequestOptions<Bin>;

// ---- responses (L3 §5.1.8 toJSON) --------------------------------------------------------------

export interface AuthenticationExtensionsClientOutputsJSON {
  credProps?: { rk?: boolean };
  prf?: { enabled?: boolean; results?: { first: Base64URLString; second?: Base64URLString } };
  largeBlob?: { supported?: boolean; blob?: Base64URLString; written?: boolean };
  credBlob?: boolean;
  getCredBlob?: Base64URLString;
  minPinLength?: number;
  appid?: boolean;
  appidExclude?: boolean;
  [other: string]: unknown;
}

export interface AuthenticatorAttestationResponseJSON {
  clientDataJSON: Base64URLString;
  authenticatorData: Base64URLString;
  transports: string[];
  /** SPKI DER of the credential public key; absent when the algorithm has no SPKI form we know. */
  publicKey?: Base64URLString;
  publicKeyAlgorithm: number;
  attestationObject: Base64URLString;
}

export interface RegistrationResponseJSON {
  id: Base64URLString;
  rawId: Base64URLString;
  response: AuthenticatorAttestationResponseJSON;
  authenticatorAttachment?: 'platform' | 'cross-platform';
  clientExtensionResults: AuthenticationExtensionsClientOutputsJSON;
  type: 'public-key';
}

export interface AuthenticatorAssertionResponseJSON {
  clientDataJSON: Base64URLString;
  authenticatorData: Base64URLString;
  signature: Base64URLString;
  userHandle?: Base64URLString;
}

export interface AuthenticationResponseJSON {
  id: Base64URLString;
  rawId: Base64URLString;
  response: AuthenticatorAssertionResponseJSON;
  authenticatorAttachment?: 'platform' | 'cross-platform';
  clientExtensionResults: AuthenticationExtensionsClientOutputsJSON;
  type: 'public-key';
}

// ---- parsing -----------------------------------------------------------------------------------

const typeError = (what: string) => new WebAuthnError('TypeError', what);

/**
 * A base64url string or a BufferSource, as a fresh Uint8Array. A string's bytes are decoded into
 * memory of their own (a short one's into Node's Buffer pool: read it with byteOffset/byteLength).
 */
export function bytesOf(value: unknown, field: string): Uint8Array {
  if (typeof value === 'string') {
    try {
      return b64u.decode(value);
    } catch {
      throw new WebAuthnError('EncodingError', `${field} is not base64url`);
    }
  }
  if (value instanceof ArrayBuffer) return new Uint8Array(value.slice(0));
  if (ArrayBuffer.isView(value))
    return new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
  throw typeError(`${field} must be a BufferSource or a base64url string`);
}

/** bytesOf for a base64url string, its error message made only when it fails. */
function ownBytesOfBase64url(value: string, field: string, i: number): Uint8Array {
  try {
    return b64u.decode(value);
  } catch {
    throw new WebAuthnError('EncodingError', `${field}[${i}].id is not base64url`);
  }
}

function object(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw typeError(`${field} must be an object`);
  return value as Record<string, unknown>;
}

function optString(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw typeError(`${field} must be a string`);
  return value;
}

function optNumber(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw typeError(`${field} must be a number`);
  return value;
}

function descriptors(value: unknown, field: string): PublicKeyCredentialDescriptor[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw typeError(`${field} must be a sequence`);
  return value.map((item, i) => {
    // The member names of error messages are made only for an error (this runs on every sign-in).
    if (typeof item !== 'object' || item === null || Array.isArray(item))
      throw typeError(`${field}[${i}] must be an object`);
    const d = item as Record<string, unknown>;
    if (d.type === undefined) throw typeError(`${field}[${i}].type is required`);
    if (typeof d.type !== 'string') throw typeError(`${field}[${i}].type must be a string`);
    const out: PublicKeyCredentialDescriptor = {
      type: d.type,
      id: typeof d.id === 'string' ? ownBytesOfBase64url(d.id, field, i) : bytesOf(d.id, `${field}[${i}].id`),
    };
    if (d.transports !== undefined) {
      if (!Array.isArray(d.transports) || !d.transports.every((t) => typeof t === 'string'))
        throw typeError(`${field}[${i}].transports`);
      out.transports = [...d.transports];
    }
    return out;
  });
}

function prfValues(value: unknown, field: string): AuthenticationExtensionsPRFValues {
  const v = object(value, field);
  const out: AuthenticationExtensionsPRFValues = { first: bytesOf(v.first, `${field}.first`) };
  if (v.second !== undefined) out.second = bytesOf(v.second, `${field}.second`);
  return out;
}

/** Extension inputs: the byte-valued members L3 and CTAP 2.1 define become Uint8Array; others are copied. */
function extensions(value: unknown): AuthenticationExtensionsClientInputs | undefined {
  if (value === undefined) return undefined;
  const e = { ...object(value, 'extensions') } as AuthenticationExtensionsClientInputs;
  if (e.credBlob !== undefined) e.credBlob = bytesOf(e.credBlob, 'extensions.credBlob');
  if (e.largeBlob !== undefined) {
    const lb = { ...object(e.largeBlob, 'extensions.largeBlob') } as NonNullable<
      AuthenticationExtensionsClientInputs['largeBlob']
    >;
    if (lb.write !== undefined) lb.write = bytesOf(lb.write, 'extensions.largeBlob.write');
    e.largeBlob = lb;
  }
  if (e.prf !== undefined) {
    const p = object(e.prf, 'extensions.prf');
    const prf: NonNullable<AuthenticationExtensionsClientInputs['prf']> = {};
    if (p.eval !== undefined) prf.eval = prfValues(p.eval, 'extensions.prf.eval');
    if (p.evalByCredential !== undefined) {
      const byCred = object(p.evalByCredential, 'extensions.prf.evalByCredential');
      prf.evalByCredential = Object.fromEntries(
        Object.entries(byCred).map(([k, v]) => [k, prfValues(v, `extensions.prf.evalByCredential.${k}`)]),
      );
    }
    e.prf = prf;
  }
  return e;
}

export function parseCreationOptionsFromJSON(
  input: CreationOptionsInput | PublicKeyCredentialCreationOptionsJSON,
): PublicKeyCredentialCreationOptions {
  const o = object(input, 'options');
  const rp = object(o.rp, 'rp');
  const user = object(o.user, 'user');
  if (o.challenge === undefined) throw typeError('challenge is required');
  if (!Array.isArray(o.pubKeyCredParams)) throw typeError('pubKeyCredParams must be a sequence');
  const out: PublicKeyCredentialCreationOptions = {
    rp: { name: optString(rp.name, 'rp.name') ?? '' },
    user: {
      id: bytesOf(user.id, 'user.id'),
      name: optString(user.name, 'user.name') ?? '',
      displayName: optString(user.displayName, 'user.displayName') ?? '',
    },
    challenge: bytesOf(o.challenge, 'challenge'),
    pubKeyCredParams: o.pubKeyCredParams.map((p, i) => {
      const q = object(p, `pubKeyCredParams[${i}]`);
      const alg = optNumber(q.alg, `pubKeyCredParams[${i}].alg`);
      if (alg === undefined || !Number.isInteger(alg)) throw typeError(`pubKeyCredParams[${i}].alg must be an integer`);
      return { type: optString(q.type, `pubKeyCredParams[${i}].type`) ?? '', alg };
    }),
  };
  const rpId = optString(rp.id, 'rp.id');
  if (rpId !== undefined) out.rp.id = rpId;
  const timeout = optNumber(o.timeout, 'timeout');
  if (timeout !== undefined) out.timeout = timeout;
  const exclude = descriptors(o.excludeCredentials, 'excludeCredentials');
  if (exclude) out.excludeCredentials = exclude;
  if (o.authenticatorSelection !== undefined)
    out.authenticatorSelection = { ...object(o.authenticatorSelection, 'authenticatorSelection') };
  if (Array.isArray(o.hints)) out.hints = [...(o.hints as string[])];
  const attestation = optString(o.attestation, 'attestation');
  if (attestation !== undefined) out.attestation = attestation;
  if (Array.isArray(o.attestationFormats)) out.attestationFormats = [...(o.attestationFormats as string[])];
  const ext = extensions(o.extensions);
  if (ext) out.extensions = ext;
  return out;
}

export function parseRequestOptionsFromJSON(
  input: RequestOptionsInput | PublicKeyCredentialRequestOptionsJSON,
): PublicKeyCredentialRequestOptions {
  const o = object(input, 'options');
  if (o.challenge === undefined) throw typeError('challenge is required');
  const out: PublicKeyCredentialRequestOptions = { challenge: bytesOf(o.challenge, 'challenge') };
  const timeout = optNumber(o.timeout, 'timeout');
  if (timeout !== undefined) out.timeout = timeout;
  const rpId = optString(o.rpId, 'rpId');
  if (rpId !== undefined) out.rpId = rpId;
  const allow = descriptors(o.allowCredentials, 'allowCredentials');
  if (allow) out.allowCredentials = allow;
  const uv = optString(o.userVerification, 'userVerification');
  if (uv !== undefined) out.userVerification = uv;
  if (Array.isArray(o.hints)) out.hints = [...(o.hints as string[])];
  const ext = extensions(o.extensions);
  if (ext) out.extensions = ext;
  return out;
}

/** Client extension outputs to their JSON form (§5.1.8: ArrayBuffer members become base64url). */
export function extensionOutputsToJSON(outputs: Record<string, unknown>): AuthenticationExtensionsClientOutputsJSON {
  for (const _ in outputs) return convertOutputs(outputs);
  return {}; // no extension asked for (most ceremonies)
}

function convertOutputs(outputs: Record<string, unknown>): AuthenticationExtensionsClientOutputsJSON {
  const convert = (v: unknown): unknown => {
    if (v instanceof Uint8Array) return b64u.encode(v);
    if (Array.isArray(v)) return v.map(convert);
    if (typeof v === 'object' && v !== null)
      return Object.fromEntries(
        Object.entries(v)
          .filter(([, x]) => x !== undefined)
          .map(([k, x]) => [k, convert(x)]),
      );
    return v;
  };
  return convert(outputs) as AuthenticationExtensionsClientOutputsJSON;
}
