/**
 * Interop, split mode (issue #6, seed 004): the same python-fido2 0.9.1 core suite
 * (test/interop/python/flows.py) against `softkey start --split`, where a secure-core child process
 * holds the store, the keys, the PIN and the prompts, and the front assembles every answer from its
 * messages; and flows_split.py for what split mode adds over the seed (clientPIN, UV by token).
 */
import { test } from 'node:test';
import { runPythonSuite } from './pythonSuite.js';

test('python-fido2 0.9.1 drives softkey --split over UDP', { timeout: 240_000 }, async (t) => {
  await runPythonSuite(t, { script: 'flows.py', expectedChecks: 55, device: { args: ['--split'] }, label: 'python-fido2 split' });
});

test('python-fido2 0.9.1: clientPIN and UV by token in the secure core (--split)', { timeout: 240_000 }, async (t) => {
  await runPythonSuite(t, { script: 'flows_split.py', expectedChecks: 20, device: { args: ['--split'] }, label: 'python-fido2 split PIN' });
});
