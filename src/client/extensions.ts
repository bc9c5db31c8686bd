/**
 * Client extension processing (WebAuthn L3 §9, §10; CTAP 2.1 §12): client inputs → authenticator
 * extension inputs, and authenticator outputs → client extension outputs.
 *
 *   credProps            L3 §10.1.3   client-only: { rk }
 *   credProtect          CTAP §12.1   credentialProtectionPolicy / enforceCredentialProtectionPolicy → credProtect
 *   credBlob/getCredBlob CTAP §12.2   credBlob bytes → credBlob: boolean; getCredBlob → bytes
 *   minPinLength         CTAP §12.4   minPinLength: true → minPinLength: uint
 *   largeBlob            L3 §10.1.5   create: largeBlobKey (discoverable credentials) → { supported };
 *                                     get: read → { blob? }, write → { written } through
 *                                     authenticatorLargeBlobs (largeBlob.ts), write needs an lbw token
 *   prf                  L3 §10.1.4   over hmac-secret: create → { enabled, results? } (results through
 *                                     hmac-secret-mc when listed); get → { results? } (prf.ts)
 *   appid                L3 §10.1.1   this client never uses a FIDO AppID: { appid: false }
 * An extension the authenticator does not list in getInfo is not sent to it; its client output is
 * what the spec says for "not supported" (or absent). Unknown client extensions are ignored.
 */
import * as b64u from '../encoding/base64url.js';
import type { CborMap, Encodable } from '../encoding/cbor.js';
import type { GetInfoResponse } from '../ctap2/getInfo.js';
import { WebAuthnError } from './errors.js';
import type {
  AuthenticationExtensionsClientInputs,
  AuthenticationExtensionsPRFValues,
  PublicKeyCredentialDescriptor,
} from './json.js';
import { prfSalts } from './prf.js';
import { PinUvAuthTokenPermission } from './userVerifier.js';

/** CTAP 2.1 §12.1 credProtect levels by their WebAuthn names. */
export const CredentialProtectionPolicy: Readonly<Record<string, number>> = {
  userVerificationOptional: 1,
  userVerificationOptionalWithCredentialIDList: 2,
  userVerificationRequired: 3,
};

/** CTAP 2.1 §6.4: "If maxCredBlobLength is absent, the authenticator supports 32 bytes". */
const DEFAULT_MAX_CRED_BLOB_LENGTH = 32;

export interface AuthenticatorExtensionResult {
  /** The decoded extensions map of authenticatorData, if any. */
  outputs: CborMap | undefined;
  /** largeBlobKey from the makeCredential / getAssertion response. */
  largeBlobKey?: Uint8Array | undefined;
  /** The decrypted hmac-secret / hmac-secret-mc output, when prf asked for one. */
  prf?: AuthenticationExtensionsPRFValues | undefined;
  /** What the largeBlob read or write after the assertion found or did. */
  largeBlob?: { blob?: Uint8Array; written?: boolean } | undefined;
}

/** prf evaluation: salts for the hmac-secret input under `inputKey`, once the credential is known. */
export interface PrfEvaluation {
  inputKey: 'hmac-secret' | 'hmac-secret-mc';
  /** The salts for this credential (get: evalByCredential, else eval), or undefined for none. */
  salts(credentialId: Uint8Array | undefined): Uint8Array[] | undefined;
  /** evalByCredential is in play: the client must know the credential before asking. */
  byCredential: boolean;
}

export interface ExtensionPlan {
  /** The authenticator extension inputs (CTAP `extensions` parameter); empty when none. */
  inputs: Map<string, Encodable>;
  prf?: PrfEvaluation;
  /** largeBlob on get: read the blob, or write these bytes, after the assertion. */
  largeBlob?: { read: true } | { write: Uint8Array };
  /** pinUvAuthToken permissions beyond mc/ga (lbw for a largeBlob write). */
  permissions: number;
  /** Client extension outputs (binary form) from the authenticator's result. */
  outputs(result: AuthenticatorExtensionResult): Record<string, unknown>;
}

const supports = (info: GetInfoResponse, name: string) => info.extensions?.includes(name) === true;
const notSupported = (what: string) => new WebAuthnError('NotSupportedError', what);

export function planCreateExtensions(
  ext: AuthenticationExtensionsClientInputs | undefined,
  info: GetInfoResponse,
  ctx: { rk: boolean },
): ExtensionPlan {
  if (!ext) return NO_GET_EXTENSIONS;
  const inputs = new Map<string, Encodable>();
  const out: Array<(r: AuthenticatorExtensionResult, o: Record<string, unknown>) => void> = [];
  let prf: PrfEvaluation | undefined;

  if (ext.credProps === true) out.push((_r, o) => (o.credProps = { rk: ctx.rk }));

  if (ext.credentialProtectionPolicy !== undefined) {
    const level = CredentialProtectionPolicy[ext.credentialProtectionPolicy];
    if (level !== undefined) {
      if (supports(info, 'credProtect')) inputs.set('credProtect', level);
      else if (ext.enforceCredentialProtectionPolicy === true && level > 1) {
        // §12.1: with enforcement, a policy above userVerificationOptional must not be silently dropped.
        throw notSupported(`the authenticator does not support credProtect (${ext.credentialProtectionPolicy})`);
      }
    }
  }

  if (ext.credBlob !== undefined) {
    const blob = ext.credBlob;
    const sent = supports(info, 'credBlob') && blob.length <= (info.maxCredBlobLength ?? DEFAULT_MAX_CRED_BLOB_LENGTH);
    if (sent) inputs.set('credBlob', blob);
    out.push((r, o) => (o.credBlob = sent && r.outputs?.get('credBlob') === true));
  }

  if (ext.minPinLength === true && supports(info, 'minPinLength')) {
    inputs.set('minPinLength', true);
    out.push((r, o) => {
      const n = r.outputs?.get('minPinLength');
      if (typeof n === 'number') o.minPinLength = n;
    });
  }

  if (ext.largeBlob !== undefined) {
    const lb = ext.largeBlob;
    if (lb.read !== undefined || lb.write !== undefined) throw notSupported('largeBlob read/write are for get()');
    // largeBlobKey is for discoverable credentials only (CTAP 2.1 §12.3).
    const capable = info.options?.largeBlobs === true && supports(info, 'largeBlobKey') && ctx.rk;
    if (!capable && lb.support === 'required')
      throw notSupported('the authenticator has no large-blob storage for this credential');
    if (capable) inputs.set('largeBlobKey', true);
    out.push((r, o) => (o.largeBlob = { supported: capable && r.largeBlobKey !== undefined }));
  }

  if (ext.prf !== undefined) {
    if (ext.prf.evalByCredential !== undefined) throw notSupported('prf.evalByCredential is for get()');
    const capable = supports(info, 'hmac-secret');
    if (capable) inputs.set('hmac-secret', true);
    const values = ext.prf.eval;
    // Results at creation only through hmac-secret-mc (CTAP 2.2 §12.8); without it, { enabled } alone.
    if (capable && values !== undefined && supports(info, 'hmac-secret-mc')) {
      const salts = prfSalts(values);
      prf = { inputKey: 'hmac-secret-mc', salts: () => salts, byCredential: false };
    }
    out.push(
      (r, o) =>
        (o.prf = { enabled: capable && r.outputs?.get('hmac-secret') === true, ...(r.prf && { results: r.prf }) }),
    );
  }

  return {
    inputs,
    ...(prf && { prf }),
    permissions: 0,
    outputs(result) {
      const o: Record<string, unknown> = {};
      for (const f of out) f(result, o);
      return o;
    },
  };
}

/**
 * The plan of a get() without extensions (most sign-ins), made once: its `inputs` stay empty (only a
 * plan with prf gains one, in WebAuthnClient.prfInput).
 */
const NO_GET_EXTENSIONS: ExtensionPlan = Object.freeze({
  inputs: new Map<string, Encodable>(),
  permissions: 0,
  outputs: () => ({}),
});

export function planGetExtensions(
  ext: AuthenticationExtensionsClientInputs | undefined,
  info: GetInfoResponse,
  ctx: { allowCredentials: PublicKeyCredentialDescriptor[] },
): ExtensionPlan {
  if (!ext) return NO_GET_EXTENSIONS;
  const inputs = new Map<string, Encodable>();
  const out: Array<(r: AuthenticatorExtensionResult, o: Record<string, unknown>) => void> = [];
  let prf: PrfEvaluation | undefined;
  let largeBlob: ExtensionPlan['largeBlob'];
  let permissions = 0;

  if (ext.appid !== undefined) out.push((_r, o) => (o.appid = false));

  if (ext.getCredBlob === true && supports(info, 'credBlob')) {
    inputs.set('credBlob', true); // CTAP 2.1 §12.2: the authenticator input is "credBlob": true
    out.push((r, o) => {
      const blob = r.outputs?.get('credBlob');
      o.getCredBlob = blob instanceof Uint8Array ? blob : new Uint8Array(0);
    });
  }

  if (ext.largeBlob !== undefined) {
    const lb = ext.largeBlob;
    if (lb.support !== undefined) throw notSupported('largeBlob.support is for create()');
    if (lb.read === true && lb.write !== undefined) throw notSupported('largeBlob read and write together');
    if (lb.write !== undefined && ctx.allowCredentials.length !== 1)
      throw notSupported('largeBlob.write needs exactly one allowCredentials entry');
    const capable = info.options?.largeBlobs === true && supports(info, 'largeBlobKey');
    if (capable && (lb.read === true || lb.write !== undefined)) inputs.set('largeBlobKey', true);
    if (lb.read === true) {
      if (capable) largeBlob = { read: true };
      out.push((r, o) => (o.largeBlob = r.largeBlob?.blob ? { blob: r.largeBlob.blob } : {}));
    } else if (lb.write !== undefined) {
      if (capable) {
        largeBlob = { write: lb.write };
        permissions |= PinUvAuthTokenPermission.lbw;
      }
      out.push((r, o) => (o.largeBlob = { written: r.largeBlob?.written === true }));
    }
  }

  if (ext.prf !== undefined) {
    const byCred = ext.prf.evalByCredential;
    if (byCred !== undefined && Object.keys(byCred).length > 0) {
      if (ctx.allowCredentials.length === 0) throw notSupported('prf.evalByCredential needs allowCredentials');
      const ids = new Set(ctx.allowCredentials.map((d) => b64u.encode(d.id)));
      for (const key of Object.keys(byCred)) {
        if (key === '' || !/^[A-Za-z0-9_-]+$/.test(key) || !ids.has(key)) {
          throw new WebAuthnError('SyntaxError', `prf.evalByCredential key ${key} is not an allowed credential ID`);
        }
      }
    }
    const byCredential = byCred !== undefined && Object.keys(byCred).length > 0;
    const evaluating = ext.prf.eval !== undefined || byCredential;
    if (supports(info, 'hmac-secret') && evaluating) {
      const fallback = ext.prf.eval;
      prf = {
        inputKey: 'hmac-secret',
        byCredential,
        salts(credentialId) {
          const chosen = (credentialId && byCred?.[b64u.encode(credentialId)]) ?? fallback;
          return chosen && prfSalts(chosen);
        },
      };
    }
    out.push((r, o) => (o.prf = r.prf ? { results: r.prf } : {}));
  }

  return {
    inputs,
    ...(prf && { prf }),
    ...(largeBlob && { largeBlob }),
    permissions,
    outputs(result) {
      const o: Record<string, unknown> = {};
      for (const f of out) f(result, o);
      return o;
    },
  };
}
