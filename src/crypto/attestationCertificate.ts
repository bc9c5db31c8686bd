/**
 * The device's packed-attestation certificate (WebAuthn L3 §8.2.1 "Certificate Requirements for
 * Packed Attestation Statements"): X.509 v3, Subject C / O / OU="Authenticator Attestation" / CN,
 * Basic Constraints CA:FALSE, and the id-fido-gen-ce-aaguid extension (1.3.6.1.4.1.45724.1.1.4)
 * holding the AAGUID as an OCTET STRING, not critical. Self-signed, made once per device.
 */
import 'reflect-metadata'; // @peculiar/x509 (through tsyringe) needs the Reflect metadata polyfill
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import * as b64u from '../encoding/base64url.js';
import { concat } from '../encoding/bytes.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export const OID_FIDO_GEN_CE_AAGUID = '1.3.6.1.4.1.45724.1.1.4';

export interface AttestationIdentity {
  /** P-256 key in the compact form d ‖ x ‖ y (see credentialKeys.ts). */
  secret: Uint8Array;
  certificate: Uint8Array;
}

export async function createAttestationIdentity(opts: {
  aaguid: Uint8Array;
  serialNumber: Uint8Array;
  commonName?: string;
  notBefore: Date;
}): Promise<AttestationIdentity> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  // id-fido-gen-ce-aaguid: extnValue is an OCTET STRING wrapping an OCTET STRING of 16 bytes.
  const aaguidExtension = new x509.Extension(OID_FIDO_GEN_CE_AAGUID, false, concat(new Uint8Array([0x04, 0x10]), opts.aaguid).buffer as ArrayBuffer);
  const serial = opts.serialNumber.slice();
  serial[0] = (serial[0]! & 0x7f) | 0x01; // a positive, minimal DER INTEGER
  const notAfter = new Date(opts.notBefore.getTime());
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + 20);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(serial).toString('hex'),
    name: `C=US, O=softkey, OU=Authenticator Attestation, CN=${opts.commonName ?? 'softkey Attestation'}`,
    notBefore: opts.notBefore,
    notAfter,
    keys,
    signingAlgorithm: alg,
    extensions: [new x509.BasicConstraintsExtension(false, undefined, true), aaguidExtension],
  });
  const jwk = await webcrypto.subtle.exportKey('jwk', keys.privateKey);
  return {
    secret: concat(b64u.decode(jwk.d!), b64u.decode(jwk.x!), b64u.decode(jwk.y!)),
    certificate: new Uint8Array(cert.rawData),
  };
}
