/**
 * Private keys made outside the device, for the control API's "add a credential" (modelled on
 * Chrome DevTools' WebAuthn.addCredential, which takes a PKCS#8 key): PKCS#8 DER or PEM, a JWK, or
 * a raw P-256 scalar. The result is the compact secret form of credentialKeys.ts.
 */
import { createECDH, createPrivateKey, type KeyObject } from 'node:crypto';
import * as b64u from '../encoding/base64url.js';
import { concat } from '../encoding/bytes.js';
import { CoseAlg } from '../encoding/cose.js';
import type { CredentialKeyPair } from './credentialKeys.js';

export type PrivateKeyInput =
  { pkcs8: Uint8Array | string } | { jwk: Record<string, unknown> } | { p256Scalar: Uint8Array };

export class KeyImportError extends Error {
  override name = 'KeyImportError';
}

function fromKeyObject(key: KeyObject): CredentialKeyPair {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') {
    const [d, x, y] = [b64u.decode(jwk.d!), b64u.decode(jwk.x!), b64u.decode(jwk.y!)];
    return { alg: CoseAlg.ES256, secret: concat(d, x, y), publicKey: { kty: 'EC2', alg: CoseAlg.ES256, x, y } };
  }
  // CTAP 2.3 algorithms: P-384 → ES384, P-521 → ES512 (JWK coordinates are already full length).
  const wide =
    jwk.kty === 'EC'
      ? ({ 'P-384': CoseAlg.ES384, 'P-521': CoseAlg.ES512 } as const)[jwk.crv as 'P-384' | 'P-521']
      : undefined;
  if (wide !== undefined) {
    const crv = jwk.crv as 'P-384' | 'P-521';
    const [d, x, y] = [b64u.decode(jwk.d!), b64u.decode(jwk.x!), b64u.decode(jwk.y!)];
    return { alg: wide, secret: concat(d, x, y), publicKey: { kty: 'EC2', alg: wide, crv, x, y } };
  }
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') {
    const [d, x] = [b64u.decode(jwk.d!), b64u.decode(jwk.x!)];
    return { alg: CoseAlg.EdDSA, secret: concat(d, x), publicKey: { kty: 'OKP', alg: CoseAlg.EdDSA, x } };
  }
  throw new KeyImportError(
    `unsupported key type ${jwk.kty}${jwk.crv ? ` ${jwk.crv}` : ''} (P-256, P-384, P-521 or Ed25519)`,
  );
}

/** A credential key pair from an outside private key; KeyImportError when it is not usable. */
export function importCredentialPrivateKey(input: PrivateKeyInput): CredentialKeyPair {
  try {
    if ('p256Scalar' in input) {
      if (input.p256Scalar.length !== 32) throw new KeyImportError('a P-256 scalar is 32 bytes');
      const ecdh = createECDH('prime256v1');
      ecdh.setPrivateKey(input.p256Scalar); // throws for 0 or ≥ n
      const point = new Uint8Array(ecdh.getPublicKey());
      const [x, y] = [point.slice(1, 33), point.slice(33, 65)];
      return {
        alg: CoseAlg.ES256,
        secret: concat(input.p256Scalar, x, y),
        publicKey: { kty: 'EC2', alg: CoseAlg.ES256, x, y },
      };
    }
    if ('jwk' in input) return fromKeyObject(createPrivateKey({ key: input.jwk as never, format: 'jwk' }));
    const key =
      typeof input.pkcs8 === 'string'
        ? createPrivateKey({ key: input.pkcs8, format: 'pem' })
        : createPrivateKey({ key: Buffer.from(input.pkcs8), format: 'der', type: 'pkcs8' });
    return fromKeyObject(key);
  } catch (e) {
    if (e instanceof KeyImportError) throw e;
    throw new KeyImportError(`not a usable private key: ${(e as Error).message}`);
  }
}
