/**
 * The errors a WebAuthn client reports (WebAuthn L3 §5.1.3 / §5.1.4 name DOMException names), and
 * the ONE table that turns a CTAP status (CTAP 2.1 §8.2) into one of them.
 *
 * A WebAuthnError carries the DOMException name in `name`; when a CTAP status caused it, `cause` is
 * that CtapError (so `err.cause.status` / `err.ctapStatus` is the status byte). The bridge turns
 * these into real DOMExceptions (or a real TypeError) inside the page.
 */
import { CtapError, Status, statusName, type StatusName } from '../ctap2/status.js';

export const WEBAUTHN_ERROR_NAMES = [
  'NotAllowedError',
  'InvalidStateError',
  'NotSupportedError',
  'SecurityError',
  'AbortError',
  'ConstraintError',
  'TypeError',
  'SyntaxError',
  'EncodingError',
  'UnknownError',
] as const;
export type WebAuthnErrorName = (typeof WEBAUTHN_ERROR_NAMES)[number];

export class WebAuthnError extends Error {
  override readonly name: WebAuthnErrorName;
  constructor(name: WebAuthnErrorName, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = name;
  }
  /** The CTAP status byte behind this error, when there is one. */
  get ctapStatus(): number | undefined {
    return this.cause instanceof CtapError ? this.cause.status : undefined;
  }
}

/**
 * CTAP status → WebAuthn error name. Anything not listed (encoding errors, CTAP1_ERR_OTHER, vendor
 * codes) is an UnknownError: the device misbehaved, not the user or the relying party.
 */
export const CTAP_STATUS_TO_WEBAUTHN: Readonly<Partial<Record<StatusName, WebAuthnErrorName>>> = {
  // §5.1.3 step "authenticator returns CTAP2_ERR_CREDENTIAL_EXCLUDED": an excluded credential exists.
  CTAP2_ERR_CREDENTIAL_EXCLUDED: 'InvalidStateError',
  // The user said no, did not answer, cancelled, or has no usable credential: never say which.
  CTAP2_ERR_OPERATION_DENIED: 'NotAllowedError',
  CTAP2_ERR_USER_ACTION_TIMEOUT: 'NotAllowedError',
  CTAP2_ERR_ACTION_TIMEOUT: 'NotAllowedError',
  CTAP1_ERR_TIMEOUT: 'NotAllowedError',
  CTAP2_ERR_KEEPALIVE_CANCEL: 'NotAllowedError',
  CTAP2_ERR_NO_CREDENTIALS: 'NotAllowedError',
  CTAP2_ERR_NOT_ALLOWED: 'NotAllowedError',
  CTAP2_ERR_INVALID_CREDENTIAL: 'NotAllowedError',
  CTAP2_ERR_UP_REQUIRED: 'NotAllowedError',
  // PIN / built-in UV failures: user verification could not be performed.
  CTAP2_ERR_PIN_INVALID: 'NotAllowedError',
  CTAP2_ERR_PIN_BLOCKED: 'NotAllowedError',
  CTAP2_ERR_PIN_AUTH_INVALID: 'NotAllowedError',
  CTAP2_ERR_PIN_AUTH_BLOCKED: 'NotAllowedError',
  CTAP2_ERR_PIN_NOT_SET: 'NotAllowedError',
  CTAP2_ERR_PUAT_REQUIRED: 'NotAllowedError',
  CTAP2_ERR_PIN_POLICY_VIOLATION: 'NotAllowedError',
  CTAP2_ERR_UV_BLOCKED: 'NotAllowedError',
  CTAP2_ERR_UV_INVALID: 'NotAllowedError',
  CTAP2_ERR_UNAUTHORIZED_PERMISSION: 'NotAllowedError',
  // The device cannot do what was asked.
  CTAP2_ERR_UNSUPPORTED_ALGORITHM: 'NotSupportedError',
  CTAP2_ERR_UNSUPPORTED_OPTION: 'ConstraintError',
  CTAP2_ERR_INVALID_OPTION: 'ConstraintError',
  CTAP2_ERR_KEY_STORE_FULL: 'ConstraintError',
  CTAP2_ERR_LARGE_BLOB_STORAGE_FULL: 'ConstraintError',
};

const BY_CODE = new Map<number, WebAuthnErrorName>(
  (Object.entries(CTAP_STATUS_TO_WEBAUTHN) as Array<[StatusName, WebAuthnErrorName]>).map(([n, w]) => [Status[n], w]),
);

/** The WebAuthn error name for a CTAP status byte. */
export function webAuthnNameOfStatus(status: number): WebAuthnErrorName {
  return BY_CODE.get(status) ?? 'UnknownError';
}

export function fromCtapError(e: CtapError): WebAuthnError {
  return new WebAuthnError(webAuthnNameOfStatus(e.status), `authenticator returned ${statusName(e.status)}`, {
    cause: e,
  });
}

/** Any failure as a WebAuthnError (unexpected exceptions become UnknownError with the cause kept). */
export function toWebAuthnError(e: unknown): WebAuthnError {
  if (e instanceof WebAuthnError) return e;
  if (e instanceof CtapError) return fromCtapError(e);
  return new WebAuthnError('UnknownError', e instanceof Error ? e.message : String(e), { cause: e });
}
