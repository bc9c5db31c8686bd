/**
 * WebAuthn L3 §8.5 Android SafetyNet Attestation Statement Format: response is the UTF-8 bytes of
 * a SafetyNet attestation JWS (RFC 7515 compact serialization, RS256) whose payload nonce is
 * base64(SHA-256(authenticatorData ‖ clientDataHash)), with ctsProfileMatch and timestampMs; the
 * JWS header's x5c (RFC 7515 §4.1.6, standard base64 DER) starts with a certificate issued to
 * attest.android.com (§8.5 verification step 3). ver is the Google Play Services version.
 */
import * as b64u from '../../encoding/base64url.js';
import { utf8 } from '../../encoding/bytes.js';
import type { Encodable } from '../../encoding/cbor.js';
import { CoseAlg } from '../../encoding/cose.js';
import { signWithSecret } from '../credentialKeys.js';
import { sha256 } from '../hash.js';
import {
  certifiedKey,
  issueCertificate,
  type AttestationAuthority,
  type CertifiedKey,
  type LeafOptions,
} from './certificates.js';

export const SAFETYNET_HOSTNAME = 'attest.android.com';
/** A Google Play Services version number, as Android devices send it in ver. */
export const SAFETYNET_VER = '233420000';

/** The JWS signing key: RSA-2048 as Google's, certified for attest.android.com by the intermediate CA. */
export function createSafetyNetLeaf(authority: AttestationAuthority, o: LeafOptions): Promise<CertifiedKey> {
  return certifiedKey(CoseAlg.RS256, (publicKey) =>
    issueCertificate({
      ...o,
      subject: `C=US, O=softkey, CN=${SAFETYNET_HOSTNAME}`,
      publicKey,
      issuer: authority.intermediate,
    }),
  );
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

export function safetyNetStatement(
  leaf: CertifiedKey,
  authority: AttestationAuthority,
  o: { signed: Uint8Array; timestampMs: number },
): Map<string, Encodable> {
  const header = { alg: 'RS256', x5c: [b64(leaf.certificate), b64(authority.intermediate.certificate)] };
  const payload = {
    nonce: b64(sha256(o.signed)),
    timestampMs: o.timestampMs,
    apkPackageName: 'com.google.android.gms',
    apkCertificateDigestSha256: [b64(sha256(utf8.encode('softkey')))],
    ctsProfileMatch: true,
    basicIntegrity: true,
    evaluationType: 'BASIC,HARDWARE_BACKED',
  };
  const signingInput = `${b64u.encode(utf8.encode(JSON.stringify(header)))}.${b64u.encode(utf8.encode(JSON.stringify(payload)))}`;
  const signature = signWithSecret(CoseAlg.RS256, leaf.secret, utf8.encode(signingInput));
  return new Map<string, Encodable>([
    ['ver', SAFETYNET_VER],
    ['response', utf8.encode(`${signingInput}.${b64u.encode(signature)}`)],
  ]);
}
