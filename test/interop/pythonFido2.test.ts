/**
 * Interop: Yubico's python-fido2 0.9.1 (Debian python3-fido2, /usr/bin/python3) drives a real
 * `softkey start` process over UDP, with python-fido2's own CTAPHID framing and attestation
 * verification (test/interop/python/flows.py).
 *
 * Without python3-fido2 the test is skipped, except in CI (CI=true) where it fails.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MISSING_FIDO2, probePythonFido2, pythonScript, runPython } from './python.js';
import { startSoftkeyProcess } from './startDevice.js';

/** How many checks flows.py runs; a run reporting fewer passes is a failure. */
const EXPECTED_CHECKS = 55;
const SUMMARY = /^(\d+) passed, (\d+) failed$/;

test('python-fido2 0.9.1 drives softkey over UDP', { timeout: 240_000 }, async (t) => {
  const probe = probePythonFido2();
  if (!probe.ok) {
    const message = `${MISSING_FIDO2} (${probe.reason})`;
    if (process.env.CI === 'true') assert.fail(message);
    t.skip(message);
    return;
  }

  const device = await startSoftkeyProcess();
  try {
    const run = await runPython(
      pythonScript('flows.py'),
      ['--device-port', String(device.udpPort), '--reply-port', String(device.replyPort)],
      { onLine: (line) => process.stdout.write(`[python-fido2 ${probe.version}] ${line}\n`) },
    );
    const lines = run.stdout.filter((l) => l.trim() !== '');
    const last = lines.at(-1) ?? '';
    const failures = lines.filter((l) => l.startsWith('FAIL '));
    const context = () =>
      `\n${failures.join('\n')}\n--- python stderr ---\n${run.stderr}\n--- softkey output ---\n${device.output()}`;

    assert.equal(run.code, 0, `flows.py exited with ${run.code ?? run.signal}; last line "${last}"${context()}`);
    const summary = SUMMARY.exec(last);
    assert.ok(summary, `flows.py's last line is not "N passed, M failed": "${last}"${context()}`);
    assert.equal(Number(summary[2]), 0, `${summary[2]} checks failed${context()}`);
    assert.match(last, /^(\d+) passed, 0 failed$/);
    assert.ok(Number(summary[1]) >= EXPECTED_CHECKS, `only ${summary[1]} checks passed, expected ≥ ${EXPECTED_CHECKS}`);
  } finally {
    const code = await device.stop();
    t.diagnostic(`softkey exited with ${code}`);
  }
});
