/**
 * `load.ceremonies`: softkey's own cost per sign-in inside an Artillery worker, i.e. what
 * softkey/artillery's softkeyGet does between the RP's options response and the verify request
 * (parse the options JSON, arm the pool credential's time-based counter, WebAuthn get through the
 * in-process authenticator, response JSON), against a raw ES256 sign in the same run.
 * No HTTP and no RP: the options JSON is made beforehand (the RP's work), as a SimpleWebAuthn RP
 * would send it, each with its own challenge.
 *
 * `load.artillery.*`: one local Artillery run (the real CLI, one process) of
 * examples/artillery/signin-pool.yml against the demo RP for SOFTKEY_BENCH_ARTILLERY_S seconds (30)
 * at SOFTKEY_BENCH_ARTILLERY_RATE new virtual users a second (100): sign-ins the RP verified per
 * second, p50 / p99 of a whole sign-in (Artillery's vusers.session_length: options request,
 * softkey's ceremony, verify request) and failures (failed VUs, errors, refused good answers).
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alternatingRounds, phase, progress, summarize, type BenchResult } from './measure.js';
import {
  createPool,
  softkeyAttach,
  softkeyGet,
  softkeyPickPoolUser,
  writePool,
  type ArtilleryContext,
} from '../src/artillery/index.js';
import { createDemoServer } from '../src/rp-demo/server.js';

const REPO_ROOT = join(import.meta.dirname, '..', '..');
const ARTILLERY_SECONDS = Number(process.env.SOFTKEY_BENCH_ARTILLERY_S ?? 30);
const ARTILLERY_RATE = Number(process.env.SOFTKEY_BENCH_ARTILLERY_RATE ?? 100);

export async function benchLoad(): Promise<BenchResult[]> {
  phase('load setup');
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' }); // never exported (see credentialKeys.ts)
  const data = new Uint8Array(69);
  const dir = mkdtempSync(join(tmpdir(), 'softkey-bench-pool-'));
  try {
    const made = await createPool({ users: 1, rpId: 'localhost' });
    writePool(dir, made);
    const context: ArtilleryContext = {
      vars: { target: 'http://localhost:5173', softkey: { pool: dir, bodyField: 'credential' }, softkeyUserIndex: 0 },
    };
    const events = { emit: () => undefined };
    await softkeyPickPoolUser(context, events);
    const allowCredentials = [{ id: made.pool.users[0]!.credentialId, type: 'public-key' }];
    const responses = Array.from({ length: 1024 }, () => ({
      statusCode: 200,
      body: JSON.stringify({
        challenge: randomBytes(32).toString('base64url'),
        rpId: 'localhost',
        allowCredentials,
        userVerification: 'preferred',
        timeout: 60000,
      }),
    }));
    let n = 0;
    const req: { json?: unknown } = {};
    const s = await alternatingRounds({
      'crypto.es256.sign': () => sign('sha256', data, { key: privateKey, dsaEncoding: 'der' }),
      'load.ceremonies': async () => {
        await softkeyGet(req, responses[n++ & 1023]!, context, events);
        await softkeyAttach(req, context, events);
      },
    });
    const raw = { name: 'crypto.es256.sign', values: s['crypto.es256.sign']! };
    return [summarize('load.ceremonies', 'ops/s', s['load.ceremonies']!, raw), ...(await artilleryRun(dir))];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface ArtilleryReport {
  aggregate: {
    counters: Record<string, number>;
    summaries: Record<string, { p50: number; p99: number } | undefined>;
    firstCounterAt?: number;
    lastCounterAt?: number;
  };
}

/** The 30 s local Artillery run against the demo RP (see the header); the pool is `dir`'s. */
async function artilleryRun(dir: string): Promise<BenchResult[]> {
  const cli = join(REPO_ROOT, 'node_modules', 'artillery', 'bin', 'run');
  if (!existsSync(cli)) throw new Error(`Artillery is not installed at ${cli}: npm ci`);
  phase('load.artillery setup');
  const poolDir = join(dir, 'artillery-pool');
  writePool(poolDir, await createPool({ users: 200, rpId: 'localhost' }));
  const demo = await createDemoServer({ port: 0, dbPath: ':memory:', seedPool: poolDir });
  const report = join(dir, 'artillery-report.json');
  try {
    phase(`load.artillery (${ARTILLERY_SECONDS} s at ${ARTILLERY_RATE} VUs/s)`);
    const softkey = { bodyField: 'credential', pool: poolDir };
    const overrides = {
      config: { phases: [{ duration: ARTILLERY_SECONDS, arrivalRate: ARTILLERY_RATE }], variables: { softkey } },
    };
    const args = ['run', '--target', demo.origin, '--overrides', JSON.stringify(overrides), '--output', report];
    const scenario = join(REPO_ROOT, 'examples', 'artillery', 'signin-pool.yml');
    const { code, out } = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const p = spawn(process.execPath, [cli, ...args, scenario], {
        cwd: REPO_ROOT,
        env: { ...process.env, ARTILLERY_DISABLE_TELEMETRY: 'true', SOFTKEY_POOL_LANE: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let text = '';
      // Artillery reports every 10 s: its output is the watchdog's sign of progress (one run is longer
      // than the watchdog's deadline); a run that says nothing for that long is killed with the bench.
      const take = (d: Buffer) => {
        text += d.toString();
        progress.tick();
      };
      p.stdout.on('data', take);
      p.stderr.on('data', take);
      p.on('close', (c) => resolve({ code: c, out: text }));
    });
    if (code !== 0) throw new Error(`artillery exited with ${code}:\n${out.slice(-2000)}`);
    const { counters, summaries, firstCounterAt, lastCounterAt } = (
      JSON.parse(readFileSync(report, 'utf8')) as ArtilleryReport
    ).aggregate;
    const sum = (prefix: string) =>
      Object.entries(counters)
        .filter(([k]) => k.startsWith(prefix))
        .reduce((a, [, v]) => a + v, 0);
    const seconds =
      firstCounterAt !== undefined && lastCounterAt !== undefined && lastCounterAt > firstCounterAt
        ? (lastCounterAt - firstCounterAt) / 1000
        : ARTILLERY_SECONDS;
    const session = summaries['vusers.session_length'];
    const failures = (counters['vusers.failed'] ?? 0) + sum('errors.') + sum('softkey.rp.refused');
    const one = (name: string, unit: string, value: number): BenchResult => ({ name, unit, value });
    return [
      one('load.artillery.signins', 'sign-ins/s', (counters['softkey.rp.verified'] ?? 0) / seconds),
      one('load.artillery.p50', 'ms', session?.p50 ?? Number.NaN),
      one('load.artillery.p99', 'ms', session?.p99 ?? Number.NaN),
      one('load.artillery.failures', 'failures', failures),
    ];
  } finally {
    await demo.close();
  }
}
