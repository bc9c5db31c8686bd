import { Worker } from 'node:worker_threads';
/** Shared by every bench suite: the result shape, the throughput loop and alternating rounds. */
export interface BenchResult {
  name: string;
  /** The median over the rounds (or the single measurement). */
  value: number;
  unit: string;
  min?: number;
  max?: number;
  rounds?: number;
  baseline?: string;
  /** value / baseline, per round; `ratio` is their median. */
  ratio?: number;
  ratioMin?: number;
  ratioMax?: number;
}

export const ROUNDS = Math.max(1, Number(process.env.SOFTKEY_BENCH_ROUNDS ?? 5));

export const DURATION_MS = Number(process.env.SOFTKEY_BENCH_MS ?? 1500);

/**
 * How long one operation may take before the bench gives up on it (a lost message, a hang). Some
 * operations are long (starting a browser, 30 gets in a page), and a loaded machine is slow, so
 * this is generous: it catches a freeze, not a slow moment.
 */
export const OPERATION_DEADLINE_MS = Number(process.env.SOFTKEY_BENCH_DEADLINE_MS ?? 60_000);

/**
 * What the bench is measuring right now, and since when its last operation has been running, kept
 * in shared memory so that the watchdog, on a thread of its own, can read it while this thread is
 * stuck (a freeze inside native code stops every timer of the thread it happens on).
 */
const PHASE_BYTES = 256;
const shared = new SharedArrayBuffer(8 + 4 + PHASE_BYTES);
const opStarted = new Float64Array(shared, 0, 1);
const phaseLength = new Int32Array(shared, 8, 1);
const phaseText = new Uint8Array(shared, 12, PHASE_BYTES);
const now = (): number => performance.timeOrigin + performance.now();

export const progress = {
  /** Marks that an operation is starting now. */
  tick(): void {
    opStarted[0] = now();
  },
};

/** Marks the start of a phase (for the watchdog's message). */
export function phase(name: string): void {
  const bytes = new TextEncoder().encode(name).subarray(0, PHASE_BYTES);
  phaseText.set(bytes);
  Atomics.store(phaseLength, 0, bytes.length);
  progress.tick();
}

const WATCHDOG_SOURCE = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const { shared, deadlineMs, phaseBytes } = workerData;
const opStarted = new Float64Array(shared, 0, 1);
const phaseLength = new Int32Array(shared, 8, 1);
const phaseText = new Uint8Array(shared, 12, phaseBytes);
setInterval(() => {
  const stalled = performance.timeOrigin + performance.now() - opStarted[0];
  if (stalled <= deadlineMs) return;
  const name = new TextDecoder().decode(phaseText.slice(0, Atomics.load(phaseLength, 0)));
  writeSync(2, 'bench: no progress for ' + Math.round(stalled / 1000) + ' s in phase "' + name + '"\\n');
  process.kill(process.pid, 'SIGKILL');
}, 500);
`;

/**
 * Starts a watchdog on a worker thread: when one operation has been running for longer than
 * OPERATION_DEADLINE_MS it prints the phase and kills the whole process (a non-zero exit), even
 * when the bench's own thread is frozen. Returns a function that stops it.
 */
export function startWatchdog(): () => void {
  progress.tick();
  const worker = new Worker(WATCHDOG_SOURCE, {
    eval: true,
    workerData: { shared, deadlineMs: OPERATION_DEADLINE_MS, phaseBytes: PHASE_BYTES },
  });
  worker.unref();
  return () => void worker.terminate();
}

/** Runs `op` repeatedly for `durationMs` after a short warm-up; returns operations per second. */
export async function opsPerSecond(op: () => unknown, durationMs = DURATION_MS): Promise<number> {
  const warmUntil = performance.now() + Math.min(300, durationMs / 5);
  while (performance.now() < warmUntil) {
    progress.tick();
    await op();
  }
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < durationMs) {
    await op();
    n++;
    if ((n & 15) === 0) {
      now = performance.now();
      progress.tick();
    }
  }
  now = performance.now();
  return (n * 1000) / (now - start);
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Measures every operation in `ops` for `rounds` rounds, alternating them inside each round (so a
 * slow moment of the machine hits all of them alike), and returns the ops/s of each round.
 */
export async function alternatingRounds(
  ops: Record<string, () => unknown>,
  options: { rounds?: number; roundMs?: number } = {},
): Promise<Record<string, number[]>> {
  const rounds = options.rounds ?? ROUNDS;
  const roundMs = options.roundMs ?? Math.max(200, DURATION_MS / 3);
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(ops).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    for (const [name, op] of Object.entries(ops)) {
      phase(`${name} (round ${r + 1}/${rounds})`);
      samples[name]!.push(await opsPerSecond(op, roundMs));
    }
  }
  return samples;
}

/** A result of per-round samples: median, min and max, and the per-round ratio to a baseline. */
export function summarize(
  name: string,
  unit: string,
  values: readonly number[],
  baseline?: { name: string; values: readonly number[] },
): BenchResult {
  const result: BenchResult = {
    name,
    unit,
    value: median(values),
    min: Math.min(...values),
    max: Math.max(...values),
    rounds: values.length,
  };
  if (baseline) {
    const ratios = values.map((v, i) => v / baseline.values[i]!);
    Object.assign(result, {
      baseline: baseline.name,
      ratio: median(ratios),
      ratioMin: Math.min(...ratios),
      ratioMax: Math.max(...ratios),
    });
  }
  return result;
}

/** One line of the bench's table. */
export function formatResult(r: BenchResult): string {
  const n = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(2));
  const spread = r.min === undefined ? '' : ` [${n(r.min)}–${n(r.max!)}]`;
  const ratio =
    r.ratio === undefined
      ? ''
      : `  ${r.ratio.toFixed(3)}× ${r.baseline}${r.ratioMin === undefined ? '' : ` [${r.ratioMin.toFixed(3)}–${r.ratioMax!.toFixed(3)}]`}`;
  return `${r.name.padEnd(34)} ${n(r.value).padStart(9)} ${r.unit}${spread}${ratio}`;
}
