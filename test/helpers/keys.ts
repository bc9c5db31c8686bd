/**
 * Test key pairs made without `generateKeyPairSync` + `export()` (Node 20 can deadlock when a key
 * from a KeyGenJob is exported during a garbage collection): P-256 from an ECDH object, RSA from
 * softkey's own generator, imported as JWK.
 */
import {
  createECDH,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';

export interface TestKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  jwk: JsonWebKey;
}

export function p256KeyPair(): TestKeyPair {
  const ecdh = createECDH('prime256v1');
  const point = ecdh.generateKeys();
  const d = Buffer.alloc(32);
  const raw = ecdh.getPrivateKey();
  raw.copy(d, 32 - raw.length);
  const jwk: JsonWebKey = {
    kty: 'EC',
    crv: 'P-256',
    d: d.toString('base64url'),
    x: point.subarray(1, 33).toString('base64url'),
    y: point.subarray(33).toString('base64url'),
  };
  const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
  return { privateKey, publicKey: createPublicKey(privateKey), jwk };
}

/** An RSA private key as a JWK (the job encodes it itself; the JWK comes from a fresh import). */
export function rsaJwk(modulusLength = 1024): JsonWebKey {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength,
    privateKeyEncoding: { type: 'pkcs8', format: 'der' },
    publicKeyEncoding: { type: 'spki', format: 'der' },
  });
  return createPrivateKey({ key: privateKey, format: 'der', type: 'pkcs8' }).export({ format: 'jwk' });
}
