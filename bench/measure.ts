/** Shared by every bench suite: the result shape and the throughput loop. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  baseline?: string;
  ratio?: number;
}

export const DURATION_MS = Number(process.env.SOFTKEY_BENCH_MS ?? 1500);

/** How long one operation may take before the bench gives up on it (a lost message, a hang). */
export const OPERATION_DEADLINE_MS = 10_000;

/** What the bench is measuring right now, and since when its last operation has been running. */
export const progress = { phase: 'setup', opStartedAt: performance.now() };

/** Marks the start of a phase (for the watchdog's message). */
export function phase(name: string): void {
  progress.phase = name;
  progress.opStartedAt = performance.now();
}

/**
 * Exits the process with a message naming the phase when one operation has been running for
 * longer than OPERATION_DEADLINE_MS: a bench that hangs says where, instead of hanging CI.
 */
export function startWatchdog(): () => void {
  const timer = setInterval(() => {
    if (performance.now() - progress.opStartedAt > OPERATION_DEADLINE_MS) {
      console.error(`bench: no progress for ${OPERATION_DEADLINE_MS / 1000} s in phase "${progress.phase}"`);
      process.exit(1);
    }
  }, 1000);
  timer.unref();
  return () => clearInterval(timer);
}

/** Runs `op` repeatedly for `durationMs` after a short warm-up; returns operations per second. */
export async function opsPerSecond(op: () => unknown | Promise<unknown>, durationMs = DURATION_MS): Promise<number> {
  const warmUntil = performance.now() + Math.min(300, durationMs / 5);
  while ((progress.opStartedAt = performance.now()) < warmUntil) await op();
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < durationMs) {
    await op();
    n++;
    if ((n & 15) === 0) progress.opStartedAt = now = performance.now();
  }
  now = performance.now();
  return (n * 1000) / (now - start);
}
