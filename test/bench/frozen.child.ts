/** Child of watchdog.test.ts: starts the bench watchdog, names a phase, then freezes its thread. */
import { phase, startWatchdog } from '../../bench/measure.js';

startWatchdog();
phase('frozen.phase');
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); // blocks this thread for good, as a native deadlock does
