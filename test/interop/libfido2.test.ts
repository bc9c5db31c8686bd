/**
 * Interop: Yubico's libfido2 (Debian libfido2-dev) drives a real `softkey start` process over the
 * SoloKeys UDP convention through our C harness (test/interop/libfido2/harness.c), which gives
 * libfido2 UDP I/O functions (fido_dev_set_io_functions) and leaves CTAPHID, CBOR, the PIN
 * protocols and every signature check to libfido2: getInfo, makeCredential + fido_cred_verify,
 * getAssertion + fido_assert_verify (rk and non-rk; ES256, EdDSA and RS256), U2F register and
 * authenticate, hmac-secret, credProtect, credBlob, minPinLength, PIN set/change, credential
 * management, large blobs, authenticatorConfig, reset after a power cycle; the same ceremonies on
 * `--profile ctap20` (PIN protocol 1, legacy getPinToken); and fido_cred_verify_self against a
 * device started with `--attestation self`.
 *
 * Without cc or libfido2 the test is skipped, except in CI (CI=true) where it fails.
 */
import '../helpers/tempHome.js';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { MISSING_LIBFIDO2, buildHarness, probeLibfido2, runHarness, type Libfido2Toolchain } from './libfido2.js';
import { startSoftkeyProcess, type StartSoftkeyOptions } from './startDevice.js';

const SUMMARY = /^(\d+) passed, (\d+) failed$/;

async function runAgainstSoftkey(
  t: TestContext,
  binary: string,
  mode: string,
  expected: number,
  device: StartSoftkeyOptions,
) {
  const softkey = await startSoftkeyProcess(device);
  try {
    const run = await runHarness(
      binary,
      ['--device-port', String(softkey.udpPort), '--reply-port', String(softkey.replyPort), '--mode', mode],
      (line) => process.stdout.write(`[libfido2 ${mode}] ${line}\n`),
    );
    const lines = run.stdout.filter((l) => l.trim() !== '');
    const last = lines.at(-1) ?? '';
    const context = () =>
      `\n${lines.filter((l) => l.startsWith('FAIL ')).join('\n')}\n--- harness stderr ---\n${run.stderr}` +
      `\n--- softkey output ---\n${softkey.output()}`;
    const summary = SUMMARY.exec(last);
    assert.ok(
      summary,
      `the harness's last line is not "N passed, M failed": "${last}" (exit ${run.code ?? run.signal})${context()}`,
    );
    assert.equal(Number(summary[2]), 0, `${summary[2]} libfido2 checks failed${context()}`);
    assert.equal(
      Number(summary[1]),
      expected,
      `${summary[1]} libfido2 checks passed, expected ${expected}${context()}`,
    );
    assert.equal(lines.filter((l) => l.startsWith('PASS ')).length, expected, 'one PASS line per check');
    assert.equal(run.code, 0, `the harness exited with ${run.code ?? run.signal}${context()}`);
    t.diagnostic(`libfido2 ${mode}: ${last}`);
  } finally {
    await softkey.stop();
  }
}

describe('libfido2 drives softkey over UDP', { timeout: 240_000 }, () => {
  let toolchain: Libfido2Toolchain | undefined;
  let binary: string | undefined;
  let missing: string | undefined;

  before(() => {
    const probe = probeLibfido2();
    if (!probe.ok) {
      missing = `${MISSING_LIBFIDO2} (${probe.reason})`;
      return;
    }
    toolchain = probe.toolchain;
    const built = buildHarness(toolchain);
    binary = built.binary;
    if (built.warnings) process.stdout.write(`[libfido2] cc warnings:\n${built.warnings}\n`);
  });
  after(() => {
    if (binary) rmSync(dirname(binary), { recursive: true, force: true });
  });

  /** The built harness, or undefined after skipping (failing under CI) when libfido2 is missing. */
  function harness(t: TestContext): string | undefined {
    if (missing !== undefined) {
      if (process.env.CI === 'true') assert.fail(missing);
      t.skip(missing);
      return undefined;
    }
    t.diagnostic(`libfido2 ${toolchain!.version}`);
    return binary!;
  }

  test('getInfo, makeCredential, getAssertion, extensions, PIN, credMgmt, largeBlobs, reset (packed attestation)', async (t) => {
    const bin = harness(t);
    if (bin) await runAgainstSoftkey(t, bin, 'full', 54, {});
  });

  test('the same ceremonies on a CTAP 2.0 key (--profile ctap20): PIN protocol 1, legacy getPinToken', async (t) => {
    const bin = harness(t);
    if (bin) await runAgainstSoftkey(t, bin, 'ctap20', 10, { args: ['--profile', 'ctap20'] });
  });

  test('fido_cred_verify_self accepts --attestation self', async (t) => {
    const bin = harness(t);
    if (bin) await runAgainstSoftkey(t, bin, 'self', 3, { args: ['--attestation', 'self'] });
  });
});
