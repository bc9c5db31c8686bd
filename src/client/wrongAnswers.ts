/**
 * Deliberately wrong answers of the client (issue 16): what a compromised or careless client could
 * send, which a relying party must still refuse (WebAuthn L3 §7.1 and §7.2). clientDataJSON with a
 * wrong type, challenge or origin, `crossOrigin: true`, or a `topOrigin` (the authenticator signs
 * its hash honestly), an attestationObject that is not one well-formed CBOR item, and truncated
 * authenticatorData. The authenticator's lies are in src/authenticator/wrongAnswers.ts; the
 * catalog with the RP's checks in src/control/wrongAnswers.ts.
 */
import { concat } from '../encoding/bytes.js';
import { clientDataMembers, serializeClientData, type ClientData } from './clientData.js';

export const CLIENT_WRONG_ANSWERS = [
  'client-data-type',
  'client-data-challenge',
  'client-data-origin',
  'client-data-cross-origin',
  'client-data-top-origin',
  'cbor-malformed',
  'cbor-trailing',
  'authdata-truncated',
] as const;
export type ClientWrongAnswer = (typeof CLIENT_WRONG_ANSWERS)[number];

/**
 * The wrong answers armed for a ceremony (the client's and the authenticator's: the client lets
 * the authenticator's through instead of refusing them itself); the client's one-time ones are used up.
 */
export type WrongAnswerHook = (ceremony: 'registration' | 'authentication') => ReadonlySet<string>;

/** An origin no RP serves, for wrong origins and top origins. */
export const WRONG_ORIGIN = 'https://wrong-answer.invalid';

/** clientDataJSON as lied about; `random` gives a challenge the RP never issued. */
export function wrongClientData(
  type: 'webauthn.create' | 'webauthn.get',
  challenge: Uint8Array,
  origin: string,
  topOrigin: string | undefined,
  wrong: ReadonlySet<string>,
  random: (n: number) => Uint8Array,
): ClientData {
  const m = clientDataMembers(type, challenge, origin, topOrigin);
  if (wrong.has('client-data-type')) m.type = type === 'webauthn.create' ? 'webauthn.get' : 'webauthn.create';
  if (wrong.has('client-data-challenge')) m.challenge = random(Math.max(16, challenge.length));
  if (wrong.has('client-data-origin')) m.origin = WRONG_ORIGIN;
  if (wrong.has('client-data-cross-origin')) m.crossOrigin = true;
  if (wrong.has('client-data-top-origin')) Object.assign(m, { crossOrigin: true, topOrigin: WRONG_ORIGIN });
  return serializeClientData(m);
}

/** authenticatorData cut short: inside the credential public key (registration), below 37 bytes (assertion). */
export function wrongAuthenticatorData(
  authData: Uint8Array,
  ceremony: 'registration' | 'authentication',
  wrong: ReadonlySet<string>,
): Uint8Array {
  if (!wrong.has('authdata-truncated')) return authData;
  if (ceremony === 'authentication') return authData.subarray(0, 36);
  const credentialIdLength = (authData[53]! << 8) | authData[54]!;
  return authData.subarray(0, Math.min(authData.length - 1, 55 + credentialIdLength + 4));
}

/** The attestationObject as lied about: one more map entry announced than present, or a byte after it. */
export function wrongAttestationObject(object: Uint8Array, wrong: ReadonlySet<string>): Uint8Array {
  let out = object;
  if (wrong.has('cbor-malformed')) {
    out = out.slice();
    out[0] = out[0]! + 1; // 0xa3 (map of 3) becomes 0xa4: the fourth entry is missing
  }
  if (wrong.has('cbor-trailing')) out = concat(out, new Uint8Array([0x00]));
  return out;
}
