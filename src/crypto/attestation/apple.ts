/**
 * WebAuthn L3 §8.8 Apple Anonymous Attestation Statement Format: a certificate for the credential
 * key itself (credCert) whose extension 1.2.840.113635.100.8.2 holds
 * SEQUENCE { [1] EXPLICIT OCTET STRING nonce } with nonce = SHA-256(authenticatorData ‖
 * clientDataHash); no signature beyond the certificate's. x5c is credCert → intermediate.
 */
import { concat } from '../../encoding/bytes.js';
import type { Encodable } from '../../encoding/cbor.js';
import { CoseAlg, type CoseKey } from '../../encoding/cose.js';
import { sha256 } from '../hash.js';
import { peculiarX509 } from '../x509.js';
import { issueCertificate, type AttestationAuthority } from './certificates.js';

export const OID_APPLE_NONCE = '1.2.840.113635.100.8.2';
/** Apple's anonymous attestation keys are P-256. */
export const APPLE_ALGORITHMS: number[] = [CoseAlg.ES256];

/** DER of SEQUENCE { [1] EXPLICIT OCTET STRING (32 bytes) }. */
export function appleNonceExtensionValue(nonce: Uint8Array): Uint8Array {
  return concat(new Uint8Array([0x30, 0x24, 0xa1, 0x22, 0x04, 0x20]), nonce);
}

export async function appleStatement(
  authority: AttestationAuthority,
  o: { publicKey: CoseKey; signed: Uint8Array; random: Uint8Array; notBefore: Date },
): Promise<Map<string, Encodable>> {
  if (o.publicKey.kty !== 'EC2') throw new Error('apple attests P-256 credentials only');
  const nonce = new (peculiarX509().Extension)(
    OID_APPLE_NONCE,
    false,
    appleNonceExtensionValue(sha256(o.signed)).buffer as ArrayBuffer,
  );
  const credCert = await issueCertificate({
    subject: 'C=US, O=softkey, OU=AAA Certification, CN=softkey Anonymous Attestation',
    publicKey: o.publicKey,
    issuer: authority.intermediate,
    random: o.random,
    notBefore: o.notBefore,
    extensions: [nonce],
  });
  return new Map<string, Encodable>([['x5c', [credCert, authority.intermediate.certificate]]]);
}
