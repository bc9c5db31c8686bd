/**
 * The device's packed-attestation certificate (WebAuthn L3 §8.2.1 "Certificate Requirements for
 * Packed Attestation Statements"): X.509 v3, Subject C / O / OU="Authenticator Attestation" / CN,
 * Basic Constraints CA:FALSE, and the id-fido-gen-ce-aaguid extension (1.3.6.1.4.1.45724.1.1.4)
 * holding the AAGUID as an OCTET STRING, not critical. Self-signed, made once per device.
 */
import { webcrypto } from 'node:crypto';
import * as b64u from '../encoding/base64url.js';
import { concat } from '../encoding/bytes.js';
import { CoseAlg } from '../encoding/cose.js';
import { generateCredentialKey } from './credentialKeys.js';
import { peculiarX509 } from './x509.js';

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
  const x509 = peculiarX509();
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
  // The key pair is made as every credential key is (no KeyGenJob: see generateCredentialKey),
  // then imported into WebCrypto for @peculiar/x509.
  const { secret, publicKey } = generateCredentialKey(CoseAlg.ES256);
  if (publicKey.kty !== 'EC2') throw new Error('unreachable: ES256 gives an EC2 key');
  const [d, x, y] = [b64u.encode(secret.subarray(0, 32)), b64u.encode(publicKey.x), b64u.encode(publicKey.y)];
  const keys: CryptoKeyPair = {
    privateKey: await webcrypto.subtle.importKey('jwk', { kty: 'EC', crv: 'P-256', d, x, y }, alg, false, ['sign']),
    publicKey: await webcrypto.subtle.importKey('jwk', { kty: 'EC', crv: 'P-256', x, y }, alg, true, ['verify']),
  };
  // id-fido-gen-ce-aaguid: extnValue is an OCTET STRING wrapping an OCTET STRING of 16 bytes.
  const aaguidExtension = new x509.Extension(
    OID_FIDO_GEN_CE_AAGUID,
    false,
    concat(new Uint8Array([0x04, 0x10]), opts.aaguid).buffer as ArrayBuffer,
  );
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
  return {
    secret,
    certificate: new Uint8Array(cert.rawData),
  };
}

/** id-fido-gen-ce-sernum: a unique octet string (a serial number) identifying one device. */
export const OID_FIDO_GEN_CE_SERNUM = '1.3.6.1.4.1.45724.1.1.2';

/**
 * An enterprise attestation certificate (CTAP 2.1 §7.1 "Enterprise Attestation"): unlike the batch
 * certificate it identifies one device, so it carries id-fido-gen-ce-sernum (the device serial
 * number, as an OCTET STRING in the extnValue) beside id-fido-gen-ce-aaguid. For a
 * vendor-facilitated attestation (§7.1 enterpriseAttestation 1: the RP ID is on the device's
 * list) it names that RP ID, as a dNSName in Subject Alternative Name, so it serves that RP only.
 * Self-signed by the enterprise attestation key `secret` (P-256, d ‖ x ‖ y), which the caller made.
 */
export async function createEnterpriseAttestationCertificate(opts: {
  secret: Uint8Array;
  aaguid: Uint8Array;
  deviceSerial: Uint8Array;
  serialNumber: Uint8Array;
  rpId?: string;
  notBefore: Date;
}): Promise<Uint8Array> {
  const x509 = peculiarX509();
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
  const [d, x, y] = [opts.secret.subarray(0, 32), opts.secret.subarray(32, 64), opts.secret.subarray(64, 96)].map((b) =>
    b64u.encode(b),
  );
  const jwk = { kty: 'EC', crv: 'P-256', x: x!, y: y! };
  const keys: CryptoKeyPair = {
    privateKey: await webcrypto.subtle.importKey('jwk', { ...jwk, d: d! }, alg, false, ['sign']),
    publicKey: await webcrypto.subtle.importKey('jwk', jwk, alg, true, ['verify']),
  };
  const octets = (b: Uint8Array) => concat(new Uint8Array([0x04, b.length]), b).buffer as ArrayBuffer;
  if (opts.deviceSerial.length > 127) throw new RangeError('a device serial number is at most 127 bytes');
  const serial = opts.serialNumber.slice();
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  const notAfter = new Date(opts.notBefore.getTime());
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + 20);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(serial).toString('hex'),
    name: 'C=US, O=softkey, OU=Authenticator Attestation, CN=softkey Enterprise Attestation',
    notBefore: opts.notBefore,
    notAfter,
    keys,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.Extension(OID_FIDO_GEN_CE_AAGUID, false, octets(opts.aaguid)),
      new x509.Extension(OID_FIDO_GEN_CE_SERNUM, false, octets(opts.deviceSerial)),
      ...(opts.rpId !== undefined
        ? [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: opts.rpId }], false)]
        : []),
    ],
  });
  return new Uint8Array(cert.rawData);
}
