/**
 * FIDO Metadata Service 3.0 BLOB signing (FIDO MDS 3.0 §3.1.7 "Metadata BLOB"): a JWT (RFC 7519)
 * in JWS compact serialization (RFC 7515), RS256 like FIDO's own, whose header x5c (§4.1.6,
 * standard base64 DER) carries the signer's certificate and its CA; the root, which the RP trusts
 * for metadata, is not sent. A test's own MDS authority, separate from the attestation root, as
 * FIDO's MDS root is separate from authenticator vendors' roots.
 */
import * as b64u from '../../encoding/base64url.js';
import { utf8 } from '../../encoding/bytes.js';
import { CoseAlg } from '../../encoding/cose.js';
import { signWithSecret } from '../credentialKeys.js';
import {
  certifiedKey,
  createAttestationAuthority,
  issueCertificate,
  type AttestationAuthority,
  type CertifiedKey,
} from './certificates.js';

export interface MetadataAuthority extends AttestationAuthority {
  /** The BLOB signer (RSA-2048), issued by the intermediate. */
  signer: CertifiedKey;
}

/** A new MDS root, intermediate and BLOB signer. */
export async function createMetadataAuthority(o: {
  random: (n: number) => Uint8Array;
  notBefore: Date;
}): Promise<MetadataAuthority> {
  const authority = await createAttestationAuthority({ ...o, label: 'softkey MDS' });
  const signer = await certifiedKey(CoseAlg.RS256, (publicKey) =>
    issueCertificate({
      subject: 'C=US, O=softkey MDS, CN=softkey Metadata BLOB signer',
      publicKey,
      issuer: authority.intermediate,
      random: o.random(16),
      notBefore: o.notBefore,
    }),
  );
  return { ...authority, signer };
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

/** The BLOB: header.payload.signature, signed by the authority's signer. */
export function signMetadataBlob(authority: MetadataAuthority, payload: unknown): string {
  const header = {
    alg: 'RS256',
    typ: 'JWT',
    x5c: [b64(authority.signer.certificate), b64(authority.intermediate.certificate)],
  };
  const input = `${b64u.encode(utf8.encode(JSON.stringify(header)))}.${b64u.encode(utf8.encode(JSON.stringify(payload)))}`;
  return `${input}.${b64u.encode(signWithSecret(CoseAlg.RS256, authority.signer.secret, utf8.encode(input)))}`;
}
