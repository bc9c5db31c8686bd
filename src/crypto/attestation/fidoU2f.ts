/**
 * WebAuthn L3 §8.6 FIDO U2F Attestation Statement Format: x5c is a single P-256 certificate, sig
 * is over 0x00 ‖ rpIdHash ‖ clientDataHash ‖ credentialId ‖ publicKeyU2F (0x04 ‖ x ‖ y), the
 * FIDO U2F raw message format's registration signature. The certificate is issued by the root
 * directly, since x5c holds one certificate and the RP trusts the root.
 */
import { concat } from '../../encoding/bytes.js';
import type { Encodable } from '../../encoding/cbor.js';
import { CoseAlg, type CoseKey } from '../../encoding/cose.js';
import { signWithSecret } from '../credentialKeys.js';
import {
  certifiedKey,
  issueCertificate,
  type AttestationAuthority,
  type CertifiedKey,
  type LeafOptions,
} from './certificates.js';

export function createU2fLeaf(authority: AttestationAuthority, o: LeafOptions): Promise<CertifiedKey> {
  return certifiedKey(CoseAlg.ES256, (publicKey) =>
    issueCertificate({
      ...o,
      subject: 'C=US, O=softkey, OU=Authenticator Attestation, CN=softkey U2F',
      publicKey,
      issuer: authority.root,
    }),
  );
}

export function fidoU2fStatement(
  leaf: CertifiedKey,
  i: { rpIdHash: Uint8Array; clientDataHash: Uint8Array; credentialId: Uint8Array; publicKey: CoseKey },
): Map<string, Encodable> {
  if (i.publicKey.kty !== 'EC2') throw new Error('fido-u2f attests P-256 credentials only (§8.6 step 4)');
  const publicKeyU2F = concat(new Uint8Array([0x04]), i.publicKey.x, i.publicKey.y);
  const verificationData = concat(new Uint8Array([0x00]), i.rpIdHash, i.clientDataHash, i.credentialId, publicKeyU2F);
  return new Map<string, Encodable>([
    ['sig', signWithSecret(CoseAlg.ES256, leaf.secret, verificationData)],
    ['x5c', [leaf.certificate]],
  ]);
}
