/**
 * Certificates of the attestation formats (WebAuthn L3 §8): a per-device root CA and intermediate
 * CA (RFC 5280 §4.2.1.9 basicConstraints cA, §4.2.1.3 keyCertSign), and the leaves each format
 * needs, issued with @peculiar/x509. Keys are made as every credential key is (generateCredentialKey,
 * no KeyGenJob) and imported into WebCrypto only to sign certificates.
 */
import { webcrypto } from 'node:crypto';
import type * as x509 from '@peculiar/x509';
import * as b64u from '../../encoding/base64url.js';
import { CoseAlg, type CoseKey } from '../../encoding/cose.js';
import { generateCredentialKey, publicKeyOfSecret, spkiOf } from '../credentialKeys.js';
import { peculiarX509 } from '../x509.js';

/** A private key in credentialKeys.ts's compact form with its certificate (DER). */
export interface CertifiedKey {
  alg: typeof CoseAlg.ES256 | typeof CoseAlg.RS256;
  secret: Uint8Array;
  certificate: Uint8Array;
}

/** The root and intermediate CAs of one device; the root is what an RP trusts (exported). */
export interface AttestationAuthority {
  root: CertifiedKey;
  intermediate: CertifiedKey;
}

const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** The WebCrypto signing key of an ES256 compact secret d ‖ x ‖ y. */
async function ecSigningKey(secret: Uint8Array): Promise<CryptoKey> {
  const jwk = {
    kty: 'EC',
    crv: 'P-256',
    d: b64u.encode(secret.subarray(0, 32)),
    x: b64u.encode(secret.subarray(32, 64)),
    y: b64u.encode(secret.subarray(64, 96)),
  };
  return webcrypto.subtle.importKey('jwk', jwk, ECDSA_P256, false, ['sign']);
}

/** A positive, minimal DER INTEGER serial number (RFC 5280 §4.1.2.2) from random bytes, as hex. */
function serialHex(random: Uint8Array): string {
  const serial = random.slice(0, 16);
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  return Buffer.from(serial).toString('hex');
}

export interface IssueOptions {
  /** RFC 4514 string ("C=US, O=…, CN=…") or '' for an empty subject (TPM AIK certificates). */
  subject: string;
  publicKey: CoseKey;
  /** Signs the certificate; absent: self-signed with `selfSecret`. */
  issuer?: CertifiedKey;
  selfSecret?: Uint8Array;
  random: Uint8Array;
  notBefore: Date;
  /** Years of validity; default 20. */
  years?: number;
  /** A CA certificate (root or intermediate); otherwise an end-entity one (cA FALSE). */
  ca?: boolean;
  extensions?: x509.Extension[];
}

/** Issues one X.509 v3 certificate (DER). */
export async function issueCertificate(o: IssueOptions): Promise<Uint8Array> {
  const x509 = peculiarX509();
  if (o.issuer && o.issuer.alg !== CoseAlg.ES256) throw new Error('attestation CAs sign with ES256');
  const signingSecret = o.issuer ? o.issuer.secret : o.selfSecret;
  if (!signingSecret) throw new Error('issueCertificate: an issuer or a self-signing secret is needed');
  const notAfter = new Date(o.notBefore.getTime());
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + (o.years ?? 20));
  const extensions = [
    new x509.BasicConstraintsExtension(o.ca === true, undefined, true),
    ...(o.ca ? [new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)] : []),
    ...(o.extensions ?? []),
  ];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialHex(o.random),
    subject: o.subject,
    issuer: o.issuer ? new x509.X509Certificate(new Uint8Array(o.issuer.certificate)).subject : o.subject,
    notBefore: o.notBefore,
    notAfter,
    publicKey: new Uint8Array(spkiOf(o.publicKey)),
    signingKey: await ecSigningKey(signingSecret),
    signingAlgorithm: ECDSA_P256,
    extensions,
  });
  return new Uint8Array(cert.rawData);
}

/** What every leaf certificate is made from: a serial number's randomness and the start of validity. */
export interface LeafOptions {
  random: Uint8Array;
  notBefore: Date;
}

/** A fresh key (ES256, or RS256 for the SafetyNet JWS) with a certificate from `issue`. */
export async function certifiedKey(
  alg: CertifiedKey['alg'],
  issue: (publicKey: CoseKey, secret: Uint8Array) => Promise<Uint8Array>,
): Promise<CertifiedKey> {
  const { secret } = generateCredentialKey(alg);
  return { alg, secret, certificate: await issue(publicKeyOfSecret(alg, secret), secret) };
}

/** A new root CA and intermediate CA for one device. */
export async function createAttestationAuthority(o: {
  random: (n: number) => Uint8Array;
  notBefore: Date;
  label?: string;
}): Promise<AttestationAuthority> {
  const label = o.label ?? 'softkey';
  const common = () => ({ notBefore: o.notBefore, ca: true, random: o.random(16) });
  const root = await certifiedKey(CoseAlg.ES256, (publicKey, selfSecret) =>
    issueCertificate({
      ...common(),
      subject: `C=US, O=${label}, OU=Attestation Root, CN=${label} Root CA`,
      publicKey,
      selfSecret,
      years: 30,
    }),
  );
  const intermediate = await certifiedKey(CoseAlg.ES256, (publicKey) =>
    issueCertificate({
      ...common(),
      subject: `C=US, O=${label}, OU=Attestation CA, CN=${label} CA`,
      publicKey,
      issuer: root,
      years: 25,
    }),
  );
  return { root, intermediate };
}

/** PEM text of a DER certificate (RFC 7468 §5: 64-character lines). */
export function certificatePem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN CERTIFICATE-----\n${b64.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}
