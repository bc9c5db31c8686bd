/**
 * FIDO U2F Raw Message Formats v1.2 §4 "Registration Messages", as CTAP 2.1 §10 "Interoperating
 * with CTAP1/U2F authenticators" maps them onto a CTAP2 authenticator: a new P-256 key pair whose
 * key handle is the same kind of credential ID (core.newCredential) a non-discoverable ES256
 * CTAP2 credential has, bound to the application parameter as its rpIdHash (so an RP using
 * rpId = appid reaches it through authenticatorGetAssertion). The registration is signed by the device attestation key and carries
 * the device attestation certificate (the fido-u2f attestation format).
 * https://fidoalliance.org/specs/fido-u2f-v1.2-ps-20170411/fido-u2f-raw-message-formats-v1.2-ps-20170411.html#registration-messages
 */
import type { Ctap1Context } from '../ctap1/dispatch.js';
import { encodeRegisterResponse, registrationSignedData, type U2fRegisterRequest } from '../ctap1/messages.js';
import { Ctap1Error, StatusWord } from '../ctap1/statusWords.js';
import { concat, toHex } from '../encoding/bytes.js';
import { CoseAlg } from '../encoding/cose.js';
import type { Core } from './core.js';
import { testOfUserPresence } from './u2fPresence.js';

export async function u2fRegister(core: Core, req: U2fRegisterRequest, _ctx: Ctap1Context): Promise<Uint8Array> {
  // Profiles with credential slots (the badge) store every credential; none free: ISO 7816-4
  // "not enough memory", before the user is asked to touch.
  if (!core.hasFreeCredentialSlot())
    throw new Ctap1Error(StatusWord.SW_NOT_ENOUGH_MEMORY, 'every credential slot is taken');
  // §4.1: test of user presence; without it SW_CONDITIONS_NOT_SATISFIED, and the host polls.
  const app = toHex(req.application);
  const present = await testOfUserPresence(core, req.application, {
    operation: 'u2fRegister',
    rpId: app,
    message: `Register with U2F application ${app.slice(0, 16)}…?`,
  });
  if (!present) throw new Ctap1Error(StatusWord.SW_CONDITIONS_NOT_SATISFIED, 'test of user presence required');

  // §4.3: user public key, key handle, attestation certificate, signature.
  const { id: keyHandle, key } = core.newCredential(req.application, {
    discoverable: false,
    u2f: true,
    alg: CoseAlg.ES256,
    credProtect: 1,
  });
  if (key.publicKey.kty !== 'EC2') throw new Error('ES256 key without an EC2 public key');
  const userPublicKey = concat(new Uint8Array([0x04]), key.publicKey.x, key.publicKey.y);
  const signature = core.attestationSign(
    registrationSignedData(req.application, req.challenge, keyHandle, userPublicKey),
  );
  return encodeRegisterResponse({
    userPublicKey,
    keyHandle,
    attestationCertificate: core.attestation.certificate,
    signature,
  });
}
