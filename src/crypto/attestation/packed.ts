/**
 * WebAuthn L3 §8.2 Packed Attestation Statement Format, full (x5c) and self attestation.
 * Full: the leaf follows §8.2.1 "Certificate Requirements for Packed Attestation Statements"
 * (version 3; Subject C, O, OU = "Authenticator Attestation", CN; basicConstraints cA FALSE;
 * id-fido-gen-ce-aaguid 1.3.6.1.4.1.45724.1.1.4 holding the AAGUID, not critical) and x5c carries
 * leaf → intermediate (the root is what the RP trusts; it is not sent).
 */
import type * as x509 from '@peculiar/x509';
import { concat } from '../../encoding/bytes.js';
import type { Encodable } from '../../encoding/cbor.js';
import { CoseAlg, type CredentialAlg } from '../../encoding/cose.js';
import { signWithSecret } from '../credentialKeys.js';
import { peculiarX509 } from '../x509.js';
import {
  certifiedKey,
  issueCertificate,
  type AttestationAuthority,
  type CertifiedKey,
  type LeafOptions,
} from './certificates.js';

export const OID_FIDO_GEN_CE_AAGUID = '1.3.6.1.4.1.45724.1.1.4';

/** id-fido-gen-ce-aaguid: extnValue is an OCTET STRING wrapping the 16-byte AAGUID OCTET STRING. */
export function aaguidExtension(aaguid: Uint8Array): x509.Extension {
  return new (peculiarX509().Extension)(
    OID_FIDO_GEN_CE_AAGUID,
    false,
    concat(new Uint8Array([0x04, 0x10]), aaguid).buffer as ArrayBuffer,
  );
}

/** The §8.2.1 attestation leaf for one AAGUID, issued by the device's intermediate CA. */
export function createPackedLeaf(
  authority: AttestationAuthority,
  o: LeafOptions & { aaguid: Uint8Array; years?: number },
): Promise<CertifiedKey> {
  return certifiedKey(CoseAlg.ES256, (publicKey) =>
    issueCertificate({
      subject: 'C=US, O=softkey, OU=Authenticator Attestation, CN=softkey Packed Attestation',
      publicKey,
      issuer: authority.intermediate,
      random: o.random,
      notBefore: o.notBefore,
      ...(o.years !== undefined && { years: o.years }),
      extensions: [aaguidExtension(o.aaguid)],
    }),
  );
}

/** §8.2 with x5c: sig over authenticatorData ‖ clientDataHash by the leaf's key. */
export function packedFullStatement(
  leaf: CertifiedKey,
  authority: AttestationAuthority,
  signed: Uint8Array,
): Map<string, Encodable> {
  return new Map<string, Encodable>([
    ['alg', leaf.alg],
    ['sig', signWithSecret(leaf.alg, leaf.secret, signed)],
    ['x5c', [leaf.certificate, authority.intermediate.certificate]],
  ]);
}

/** §8.2 self attestation: alg is the credential's, sig by the credential private key. */
export function packedSelfStatement(alg: CredentialAlg, sig: Uint8Array): Map<string, Encodable> {
  return new Map<string, Encodable>([
    ['alg', alg],
    ['sig', sig],
  ]);
}
