/** Shared by every bench suite: the result shape and the throughput loop. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  baseline?: string;
  ratio?: number;
}

export const DURATION_MS = Number(process.env.SOFTKEY_BENCH_MS ?? 1500);

/** Runs `op` repeatedly for `durationMs` after a short warm-up; returns operations per second. */
export async function opsPerSecond(op: () => unknown | Promise<unknown>, durationMs = DURATION_MS): Promise<number> {
  const warmUntil = performance.now() + Math.min(300, durationMs / 5);
  while (performance.now() < warmUntil) await op();
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < durationMs) {
    await op();
    n++;
    if ((n & 15) === 0) now = performance.now();
  }
  now = performance.now();
  return (n * 1000) / (now - start);
}
