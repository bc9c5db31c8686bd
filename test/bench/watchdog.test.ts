/**
 * The bench's watchdog runs on a worker thread: when the bench's own thread freezes (as it did
 * inside node:crypto), the watchdog still names the phase and ends the process with a failure.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

it('a frozen bench thread is reported with its phase and the process exits non-zero', async () => {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./frozen.child.js', import.meta.url))], {
    env: { ...process.env, SOFTKEY_BENCH_DEADLINE_MS: '1000' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('exit', (c, s) => resolve([c, s])),
  );
  assert.equal(code, null);
  assert.equal(signal, 'SIGKILL');
  assert.match(stderr, /no progress for \d+ s in phase "frozen\.phase"/);
});
