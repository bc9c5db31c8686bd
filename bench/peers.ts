/**
 * `peers.*`: softkey next to the other software authenticators, through the same loop. Each side
 * answers one WebAuthn get() with an allowList of one credential, JSON in and JSON out, from Node:
 * softkey through its in-process client (`key.client.get`, CTAP2 underneath), nid-webauthn-emulator
 * through `getJSON`. Each holds 1, 100 and 10,000 discoverable credentials of the RP; the ratio is
 * softkey's gets/s over the emulator's, per round (issue 19 target: ≥ 12× at 1 credential).
 *
 * The emulator runs on a worker thread (peersNid.ts) with a bounded heap of its own: each of its
 * calls parses every stored credential, ~100 MB of garbage a call at 10,000, which in the bench's
 * own heap grew the process to 3.6 GB and put its collections inside softkey's rounds. The rounds
 * alternate as in measure.ts (the emulator's round, then softkey's); each side times its own loop.
 * At 10,000 credentials one emulator call takes seconds, so its rounds there are bounded to
 * PEER_CALLS_10K calls (after one warm-up call), and a note says so.
 *
 * nid-webauthn-emulator's credentials are filled straight into its memory repository (its own
 * create() reads every stored credential, so 10,000 creates would take hours); every one is a copy
 * of a credential it made, under its own ID and user. softkey's are made through create(), once per
 * count. The canokey simulator is not here: there is no package of it to install on this machine
 * (Debian or npm), so it is named in `PEER_NOTES` instead of measured.
 */
import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { openSoftKey } from '../src/main/softkey.js';
import { DURATION_MS, opsPerSecond, phase, progress, ROUNDS, summarize, type BenchResult } from './measure.js';
import { creation, getRequest, ORIGIN } from './peersShared.js';

export const PEER_NOTES = [
  'peers.canokey: not measured, the canokey simulator has no package installable here (Debian or npm)',
];

const COUNTS = (process.env.SOFTKEY_BENCH_PEER_COUNTS ?? '1,100,10000').split(',').map(Number);
/** Emulator calls measured per round from 10,000 credentials on. */
const PEER_CALLS_10K = Number(process.env.SOFTKEY_BENCH_PEER_CALLS_10K ?? 2);
/** The emulator worker's old-generation heap, MB. */
const PEER_HEAP_MB = 512;

/** The emulator with `count` credentials on its worker: `round()` answers its calls/s over one round. */
async function nidWorker(
  count: number,
): Promise<{ round(roundMs: number, maxCalls: number): Promise<number>; close(): Promise<number> }> {
  const worker = new Worker(new URL('./peersNid.js', import.meta.url), {
    workerData: { count },
    resourceLimits: { maxOldGenerationSizeMb: PEER_HEAP_MB },
  });
  let waiting: { resolve(v: number): void; reject(e: Error): void } | undefined;
  let failed: Error | undefined;
  const fail = (e: Error) => {
    failed = e;
    waiting?.reject(e);
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`the emulator's worker exited (${code})`)));
  worker.on('message', (m: 'tick' | { ready?: true; rate?: number; error?: string }) => {
    progress.tick();
    if (m === 'tick') return;
    if (m.error !== undefined) waiting?.reject(new Error(m.error));
    else waiting?.resolve(m.rate ?? 0);
  });
  const next = () =>
    new Promise<number>((resolve, reject) => {
      if (failed) reject(failed);
      else waiting = { resolve, reject };
    });
  await next(); // { ready }
  return {
    round(roundMs, maxCalls) {
      const answer = next();
      worker.postMessage({ roundMs, maxCalls });
      return answer;
    },
    close: () => worker.terminate(),
  };
}

export async function benchPeers(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const count of COUNTS) {
    phase(`peers setup ${count}`);
    const key = await openSoftKey({ dataDir: ':memory:' });
    const nid = await nidWorker(count);
    try {
      const first = await key.client.create(creation(0), { origin: ORIGIN });
      for (let i = 1; i < count; i++) {
        if ((i & 63) === 0) progress.tick();
        await key.client.create(creation(i), { origin: ORIGIN });
      }
      const softkeyName = `peers.softkey.get.${count}`;
      const nidName = `peers.nid-webauthn-emulator.get.${count}`;
      const bounded = count >= 10_000;
      const roundMs = Math.max(200, DURATION_MS / 3);
      const maxCalls = bounded ? PEER_CALLS_10K : Number.MAX_SAFE_INTEGER;
      const nidRates: number[] = [];
      const softkeyRates: number[] = [];
      const softkeyGet = () => key.client.get(getRequest(first.rawId, randomBytes(32)), { origin: ORIGIN });
      try {
        for (let r = 0; r < ROUNDS; r++) {
          phase(`${nidName} (round ${r + 1}/${ROUNDS})`);
          nidRates.push(await nid.round(roundMs, maxCalls));
          phase(`${softkeyName} (round ${r + 1}/${ROUNDS})`);
          softkeyRates.push(await opsPerSecond(softkeyGet, roundMs));
        }
      } catch (e) {
        // The emulator's worker died (its heap cap): the other counts are still measured.
        PEER_NOTES.push(`${nidName}: not measured (${(e as Error).message})`);
        continue;
      }
      const baseline = { name: nidName, values: nidRates };
      results.push(summarize(nidName, 'ops/s', nidRates), summarize(softkeyName, 'ops/s', softkeyRates, baseline));
      if (bounded)
        PEER_NOTES.push(
          `${nidName}: ${PEER_CALLS_10K} emulator calls a round after one warm-up call (one call takes ` +
            `${(1 / Math.max(...nidRates)).toFixed(1)}–${(1 / Math.min(...nidRates)).toFixed(1)} s here); ` +
            `the emulator's heap is capped at ${PEER_HEAP_MB} MB on its worker; bench RSS after the step ` +
            `${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`,
        );
    } finally {
      await nid.close();
      await key.close();
    }
  }
  return results;
}
