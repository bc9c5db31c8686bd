/**
 * Interop: python-fido2 0.9.1's attestation verifiers (packed, fido-u2f, tpm, android-safetynet,
 * apple, none; it has no android-key or compound; its ECC TPM path is broken, see CASES) check the statements an in-process softkey makes,
 * and each chain up to the root softkey exports (test/interop/python/attestation_formats.py).
 * Without python3-fido2 the test is skipped, except in CI (CI=true) where it fails.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AttestationMode } from '../../src/authenticator/config.js';
import * as b64u from '../../src/encoding/base64url.js';
import { sha256 } from '../../src/crypto/hash.js';
import { openSoftKey } from '../../src/main/softkey.js';
import { MISSING_FIDO2, probePythonFido2, pythonScript, runPython } from './python.js';

const CASES: Array<[AttestationMode, number, string, boolean]> = [
  ['packed-chain', -7, 'packed', true],
  ['packed-chain', -8, 'packed', true],
  ['packed-chain', -257, 'packed', true],
  ['packed', -7, 'packed', false],
  ['self', -7, 'packed', false],
  ['self', -8, 'packed', false],
  ['none', -7, 'none', false],
  ['fido-u2f', -7, 'fido-u2f', true],
  // tpm with a P-256 credential is not here: python-fido2 0.9.1's TpmPublicFormat.public_key() calls
  // parameters.to_curve(), which TpmsEccParms lacks (AttributeError); @simplewebauthn/server verifies it.
  ['tpm', -257, 'tpm', true],
  ['android-safetynet', -7, 'android-safetynet', true],
  ['apple', -7, 'apple', true],
];

test("python-fido2 0.9.1 verifies softkey's attestation statements and chains", { timeout: 240_000 }, async (t) => {
  const probe = probePythonFido2();
  if (!probe.ok) {
    if (process.env.CI === 'true') assert.fail(MISSING_FIDO2);
    t.skip(`${MISSING_FIDO2} (${probe.reason})`);
    return;
  }
  const key = await openSoftKey({ dataDir: ':memory:', presence: 'auto' });
  const dir = mkdtempSync(join(tmpdir(), 'softkey-attestation-py-'));
  try {
    const pem = (await key.control.attestationRoots()).roots[0]!;
    const root = b64u.encode(Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64'));
    const cases = [];
    for (const [format, alg, expectedFmt, chain] of CASES) {
      key.control.setAttestation({ format, once: true });
      const r = await key.client.create(
        {
          rp: { id: 'example.test', name: 'Example' },
          user: { id: b64u.encode(crypto.getRandomValues(new Uint8Array(16))), name: 'a', displayName: 'A' },
          challenge: b64u.encode(crypto.getRandomValues(new Uint8Array(32))),
          pubKeyCredParams: [{ type: 'public-key', alg }],
          attestation: 'direct',
        },
        { origin: 'https://example.test' },
      );
      const clientDataHash = b64u.encode(sha256(b64u.decode(r.response.clientDataJSON)));
      cases.push({
        name: `${format} alg ${alg}`,
        attestationObject: r.response.attestationObject,
        clientDataHash,
        root,
        expectedFmt,
        chain,
      });
    }
    const file = join(dir, 'cases.json');
    writeFileSync(file, JSON.stringify(cases));
    const run = await runPython(pythonScript('attestation_formats.py'), [file], {
      onLine: (l) => process.stdout.write(`[python-fido2 ${probe.version}] ${l}\n`),
    });
    const last = run.stdout.filter((l) => l.trim() !== '').at(-1) ?? '';
    assert.equal(
      last,
      `${CASES.length} passed, 0 failed`,
      `${run.stdout.filter((l) => l.startsWith('FAIL')).join('\n')}\n${run.stderr}`,
    );
    assert.equal(run.code, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await key.close();
  }
});
