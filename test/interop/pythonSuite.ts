/**
 * Runs one python-fido2 0.9.1 interop suite (test/interop/python/flows*.py, built on harness.py)
 * against a real `softkey start` process and asserts its `N passed, 0 failed` summary.
 *
 * Without python3-fido2 the test is skipped, except in CI (CI=true) where it fails.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { MISSING_FIDO2, probePythonFido2, pythonScript, runPython } from './python.js';
import { startSoftkeyProcess, type SoftkeyProcess, type StartSoftkeyOptions } from './startDevice.js';

const SUMMARY = /^(\d+) passed, (\d+) failed$/;

export interface PythonSuite {
  /** Script under test/interop/python/. */
  script: string;
  /** How many checks it runs; a run reporting fewer passes is a failure. */
  expectedChecks: number;
  /** How the device is started (extra CLI args, presence mode, …). */
  device?: StartSoftkeyOptions;
  /** A device already running, which the suite uses and leaves running (instead of `device`). */
  running?: SoftkeyProcess;
  /** Extra script arguments after --device-port/--reply-port. */
  scriptArgs?: string[];
  /** Label for the output lines. */
  label?: string;
  /**
   * The device's reset window (`--reset-window-ms`), told to the script too; default the device's 10 s.
   * Suites that wait for the window to close (flows.py) pass SHORT_RESET_WINDOW_MS.
   */
  resetWindowMs?: number;
}

/**
 * A reset window short enough that waiting for it to close costs little, long enough that a power cycle,
 * CTAPHID_INIT and authenticatorReset fit inside it on a loaded machine (they take well under 0.5 s).
 */
export const SHORT_RESET_WINDOW_MS = 2_000;

/** Starts softkey, runs the suite, asserts all passed; returns the summary line. */
export async function runPythonSuite(t: TestContext, suite: PythonSuite): Promise<string | undefined> {
  const probe = probePythonFido2();
  if (!probe.ok) {
    const message = `${MISSING_FIDO2} (${probe.reason})`;
    if (process.env.CI === 'true') assert.fail(message);
    t.skip(message);
    return undefined;
  }
  const label = suite.label ?? `python-fido2 ${probe.version}`;
  const resetWindow = suite.resetWindowMs !== undefined ? ['--reset-window-ms', String(suite.resetWindowMs)] : [];
  const device =
    suite.running ??
    (await startSoftkeyProcess({ ...suite.device, args: [...(suite.device?.args ?? []), ...resetWindow] }));
  try {
    const run = await runPython(
      pythonScript(suite.script),
      [
        '--device-port',
        String(device.udpPort),
        '--reply-port',
        String(device.replyPort),
        ...(suite.scriptArgs ?? []),
        ...resetWindow,
      ],
      { onLine: (line) => process.stdout.write(`[${label}] ${line}\n`) },
    );
    const lines = run.stdout.filter((l) => l.trim() !== '');
    const last = lines.at(-1) ?? '';
    const failures = lines.filter((l) => l.startsWith('FAIL '));
    const context = () =>
      `\n${failures.join('\n')}\n--- python stderr ---\n${run.stderr}\n--- softkey output ---\n${device.output()}`;

    assert.equal(run.code, 0, `${suite.script} exited with ${run.code ?? run.signal}; last line "${last}"${context()}`);
    const summary = SUMMARY.exec(last);
    assert.ok(summary, `${suite.script}'s last line is not "N passed, M failed": "${last}"${context()}`);
    assert.equal(Number(summary[2]), 0, `${summary[2]} checks failed${context()}`);
    assert.ok(
      Number(summary[1]) >= suite.expectedChecks,
      `only ${summary[1]} checks passed, expected ≥ ${suite.expectedChecks}`,
    );
    t.diagnostic(`${suite.script}: ${last}`);
    return last;
  } finally {
    if (!suite.running) {
      const code = await device.stop();
      t.diagnostic(`softkey exited with ${code}`);
    }
  }
}
