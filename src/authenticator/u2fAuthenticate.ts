/**
 * FIDO U2F Raw Message Formats v1.2 §5 "Authentication Messages", with CTAP 2.1 §10
 * "Interoperating with CTAP1/U2F authenticators": a key handle is a credential ID of ours for the
 * application parameter (as rpIdHash) that is ES256 and that credProtect (§12.1) lets a request
 * without user verification use when it names the credential (the key handle is such a list):
 * levels 1 and 2, not 3. Discoverable or not, made by U2F REGISTER or CTAP2 makeCredential, it does
 * not matter (as on solo1 and canokey); the signature counter is the one CTAP2 uses for it.
 *   - check-only (0x07): SW_CONDITIONS_NOT_SATISFIED for a key handle of ours, SW_WRONG_DATA otherwise;
 *   - enforce-user-presence-and-sign (0x03): test of user presence, then sign with UP set;
 *   - dont-enforce-user-presence-and-sign (0x08): sign with UP clear.
 * https://fidoalliance.org/specs/fido-u2f-v1.2-ps-20170411/fido-u2f-raw-message-formats-v1.2-ps-20170411.html#authentication-messages
 */
import type { Ctap1Context } from '../ctap1/dispatch.js';
import {
  authenticationSignedData,
  encodeAuthenticateResponse,
  U2F_USER_PRESENT,
  type U2fAuthenticateRequest,
} from '../ctap1/messages.js';
import { Ctap1Error, StatusWord } from '../ctap1/statusWords.js';
import { toHex } from '../encoding/bytes.js';
import { CoseAlg } from '../encoding/cose.js';
import type { Core, ResolvedCredential } from './core.js';
import { credProtectAllows } from './extensions/credProtect.js';
import { testOfUserPresence } from './u2fPresence.js';

/** A credential this key handle names for this application, if U2F may use it. */
export function resolveU2fKeyHandle(
  core: Core,
  keyHandle: Uint8Array,
  application: Uint8Array,
): ResolvedCredential | undefined {
  const cred = core.resolve(keyHandle, application);
  if (!cred || cred.payload.alg !== CoseAlg.ES256) return undefined;
  // U2F has no user verification and names the credential: §12.1 with uv false, via a list.
  return credProtectAllows(cred.payload.credProtect, false, true) ? cred : undefined;
}

export async function u2fAuthenticate(
  core: Core,
  req: U2fAuthenticateRequest,
  _ctx: Ctap1Context,
): Promise<Uint8Array> {
  // §5.1: "the key handle was not created by this U2F token, or for this application parameter".
  const cred = resolveU2fKeyHandle(core, req.keyHandle, req.application);
  if (!cred) throw new Ctap1Error(StatusWord.SW_WRONG_DATA, 'key handle not ours for this application');
  if (req.control === 'check-only')
    throw new Ctap1Error(StatusWord.SW_CONDITIONS_NOT_SATISFIED, 'check-only: key handle is ours');

  let userPresence = 0;
  if (req.control === 'enforce-user-presence-and-sign') {
    const app = toHex(req.application);
    const present = await testOfUserPresence(core, req.application, {
      operation: 'u2fAuthenticate',
      rpId: app,
      message: `Sign in to U2F application ${app.slice(0, 16)}…?`,
    });
    if (!present) throw new Ctap1Error(StatusWord.SW_CONDITIONS_NOT_SATISFIED, 'test of user presence required');
    userPresence = U2F_USER_PRESENT;
  }

  // §5.4: the counter is committed before the response leaves (architecture habit 9).
  const counter = core.env.store.incrementCounter(cred.id);
  const signature = core.sign(cred, authenticationSignedData(req.application, userPresence, counter, req.challenge));
  return encodeAuthenticateResponse({ userPresence, counter, signature });
}
