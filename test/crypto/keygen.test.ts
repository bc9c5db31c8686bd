/**
 * Credential key generation: every algorithm gives a key pair whose secret signs what its public
 * key verifies, and 50,000 ES256 makeCredentials in a row never freeze the process (Node 20's
 * KeyGenJob/export('jwk') deadlock hung softkey within 20,000 keys when keys were made that way).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPublicKey } from 'node:crypto';
import {
  generateCredentialKey,
  signWithSecret,
  verifySignature,
  publicKeyObject,
} from '../../src/crypto/credentialKeys.js';
import { CoseAlg } from '../../src/encoding/cose.js';

const CHILD = join(fileURLToPath(new URL('.', import.meta.url)), 'manyCredentials.child.js');

describe('generateCredentialKey', () => {
  for (const [name, alg] of [
    ['ES256', CoseAlg.ES256],
    ['EdDSA', CoseAlg.EdDSA],
    ['RS256', CoseAlg.RS256],
  ] as const) {
    it(`${name}: the secret signs what the public key verifies`, () => {
      for (let i = 0; i < (alg === CoseAlg.RS256 ? 2 : 20); i++) {
        const pair = generateCredentialKey(alg);
        const data = new Uint8Array([i, 1, 2, 3]);
        const signature = signWithSecret(pair.alg, pair.secret, data);
        assert.ok(verifySignature(pair.publicKey, data, signature));
        assert.ok(!verifySignature(pair.publicKey, new Uint8Array([i, 1, 2, 4]), signature));
      }
    });
  }

  it('ES256 secrets are 96 bytes and their public point is on P-256', () => {
    for (let i = 0; i < 200; i++) {
      const pair = generateCredentialKey(CoseAlg.ES256);
      assert.equal(pair.secret.length, 96);
      const spki = publicKeyObject(pair.publicKey).export({ format: 'der', type: 'spki' });
      assert.equal(
        createPublicKey({ key: spki, format: 'der', type: 'spki' }).asymmetricKeyDetails?.namedCurve,
        'prime256v1',
      );
    }
  });

  it('RS256 keys have a 2048-bit modulus and e = 65537', () => {
    const pair = generateCredentialKey(CoseAlg.RS256);
    assert.equal(pair.publicKey.kty, 'RSA');
    if (pair.publicKey.kty !== 'RSA') return;
    assert.equal(pair.publicKey.n.length, 256);
    assert.ok(pair.publicKey.n[0]! >= 0x80);
    assert.deepEqual([...pair.publicKey.e], [1, 0, 1]);
    const details = publicKeyObject(pair.publicKey).asymmetricKeyDetails!;
    assert.equal(details.modulusLength, 2048);
  });

  it('50,000 ES256 makeCredentials in a child process keep making progress', async () => {
    const total = 50_000;
    const stallMs = 60_000; // silence this long means a freeze (a stall, not a speed check)
    const child = spawn(process.execPath, [CHILD, String(total), '1000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let last = 0;
    let done = false;
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const result = await new Promise<string>((resolve) => {
      let watchdog = setTimeout(() => resolve(`stalled after ${last} credentials`), stallMs);
      let buffered = '';
      child.stdout.on('data', (b: Buffer) => {
        buffered += b.toString();
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          const [word, n] = line.split(' ');
          last = Number(n);
          if (word === 'done') done = true;
          clearTimeout(watchdog);
          watchdog = setTimeout(() => resolve(`stalled after ${last} credentials`), stallMs);
        }
      });
      child.on('exit', (code) => {
        clearTimeout(watchdog);
        resolve(`exit ${code}`);
      });
    });
    if (!done) child.kill('SIGKILL');
    assert.equal(result, 'exit 0', `${result}; stderr: ${stderr}`);
    assert.ok(done);
    assert.equal(last, total);
  });
});
