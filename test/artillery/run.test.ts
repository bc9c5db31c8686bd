/**
 * The example scenarios (examples/artillery/*.yml) run unchanged by the real Artillery CLI against the
 * demo RP on loopback: a few virtual users for a few seconds, every answer verified by the RP
 * (SimpleWebAuthn), 0 failures; then sign-in only against a pre-enrolled pool from two Artillery
 * processes at once (two load generators sharing only the pool directory), with a fault mix the RP
 * must refuse. Figures come from Artillery's own JSON report.
 * Longer runs belong in `npm run bench`, not here.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { COUNTER_BASE, createPool, writePool } from '../../src/artillery/index.js';
import { createDemoServer, type DemoServer } from '../../src/rp-demo/server.js';
import { seedFromPool } from '../../src/rp-demo/seed.js';
import { REPO_ROOT } from '../helpers/paths.js';

const ARTILLERY = join(REPO_ROOT, 'node_modules', 'artillery', 'bin', 'run');

async function artillery(
  scenario: string,
  target: string,
  overrides: { config: Record<string, unknown> },
  report: string,
  env: Record<string, string> = {},
) {
  // A missing Artillery fails here (it is a devDependency), under CI or not.
  assert.ok(existsSync(ARTILLERY), `Artillery is not installed at ${ARTILLERY}: npm ci`);
  const args = [
    ARTILLERY,
    'run',
    '--target',
    target,
    '--overrides',
    // Artillery's 10 s request timeout fails a VU when the machine is loaded (the suite runs files side
    // by side); this test is about verification, not latency.
    JSON.stringify({ ...overrides, config: { ...overrides.config, http: { timeout: 120 } } }),
    '--output',
    report,
    join(REPO_ROOT, 'examples', 'artillery', scenario),
  ];
  const { code, out } = await new Promise<{ code: number | null; out: string }>((resolve) => {
    const p = spawn(process.execPath, args, {
      cwd: REPO_ROOT,
      env: { ...process.env, ARTILLERY_DISABLE_TELEMETRY: 'true', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('close', (c) => resolve({ code: c, out }));
  });
  assert.equal(code, 0, out.slice(-4000));
  const counters = (JSON.parse(readFileSync(report, 'utf8')) as { aggregate: { counters: Record<string, number> } })
    .aggregate.counters;
  const matching = (prefix: string) => Object.entries(counters).filter(([k]) => k.startsWith(prefix));
  // A failed VU names its cause among the error counters.
  assert.equal(counters['vusers.failed'], 0, JSON.stringify(matching('errors.')));
  return { counters, matching, out };
}

describe('Artillery runs the example scenarios against the demo RP', () => {
  let dir: string;
  let demo: DemoServer;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'softkey-artillery-'));
    writePool(join(dir, 'pool'), await createPool({ users: 6, rpId: 'localhost' }));
    demo = await createDemoServer({ port: 0, dbPath: ':memory:', seedPool: join(dir, 'pool') });
    writePool(join(dir, 'rk'), await createPool({ users: 6, rpId: 'localhost', resident: true, usernamePrefix: 'rk' }));
    seedFromPool(demo.db, join(dir, 'rk'), 'localhost');
  });
  after(async () => {
    await demo.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('passkeys.yml: sign up then sign in twice per virtual user, every answer verified', async () => {
    const { counters, matching } = await artillery(
      'passkeys.yml',
      demo.origin,
      { config: { phases: [{ duration: 2, arrivalRate: 2 }] } },
      join(dir, 'signup.json'),
    );
    const vus = counters['vusers.created']!;
    assert.ok(vus >= 2, `${vus} virtual users`);
    assert.equal(counters['vusers.failed'], 0);
    assert.equal(counters['vusers.completed'], vus);
    assert.equal(counters['softkey.ceremonies.create'], vus);
    assert.equal(counters['softkey.ceremonies.get'], 2 * vus);
    assert.equal(counters['softkey.rp.verified'], 3 * vus);
    assert.deepEqual(matching('softkey.rp.refused'), []);
    assert.deepEqual(matching('errors.'), []);
    assert.equal(counters['http.codes.200'], counters['http.requests']);
    assert.equal(
      matching('softkey.profile.').reduce((a, [, n]) => a + n, 0),
      vus,
    );
    // The RP kept each new credential, and its counter after two sign-ins.
    const made = demo.db.allCredentials().filter((c) => c.userName.startsWith('vu-'));
    assert.equal(made.length, vus);
    assert.ok(made.every((c) => c.counter === 2 && c.loginCount === 2));
  });

  it('signin-pool.yml from two Artillery processes with a fault mix: good answers verified, wrong ones refused', async () => {
    const softkey = {
      bodyField: 'credential',
      pool: join(dir, 'pool'),
      faults: { 'bad-signature': 20, 'counter-backwards': 10, 'up-cleared': 10 },
    };
    const overrides = { config: { phases: [{ duration: 3, arrivalRate: 3 }], variables: { softkey } } };
    // Two load generators that share nothing but the pool directory (its secret), each on its own counter lane.
    const runs = await Promise.all(
      ['0', '1'].map((lane) =>
        artillery('signin-pool.yml', demo.origin, overrides, join(dir, `pool-run-${lane}.json`), {
          SOFTKEY_POOL_LANE: lane,
        }),
      ),
    );
    let verifiedAll = 0;
    for (const [i, { counters, matching }] of runs.entries()) {
      const vus = counters['vusers.created']!;
      assert.ok(vus >= 3, `${vus} virtual users`);
      assert.equal(counters['vusers.failed'], 0);
      assert.deepEqual(matching('softkey.faults.accepted'), [], 'the RP accepted a wrong answer');
      assert.deepEqual(matching('softkey.rp.refused'), [], 'the RP refused a good answer');
      assert.deepEqual(matching('errors.'), []);
      const refused = matching('softkey.faults.refused.').reduce((a, [, n]) => a + n, 0);
      assert.equal(
        refused,
        matching('softkey.faults.injected.').reduce((a, [, n]) => a + n, 0),
      );
      const verified = counters['softkey.rp.verified'] ?? 0;
      assert.equal(verified + refused, vus);
      assert.equal(counters['softkey.ceremonies.get'], vus);
      assert.deepEqual(matching('softkey.pool.lane.'), [[`softkey.pool.lane.${i}`, vus]]);
      verifiedAll += verified;
    }
    // What the RP recorded: every verified sign-in, counters above the seed.
    const pool = demo.db.allCredentials().filter((c) => c.userName.startsWith('pool-user-'));
    assert.equal(
      pool.reduce((a, c) => a + c.loginCount, 0),
      verifiedAll,
    );
    assert.ok(pool.every((c) => (c.loginCount === 0 ? c.counter === COUNTER_BASE : c.counter > COUNTER_BASE)));
  });

  it('signin-discoverable.yml: discoverable sign-in (allowCredentials empty) as resident pool users, every answer verified', async () => {
    const softkey = { bodyField: 'credential', pool: join(dir, 'rk') };
    const overrides = { config: { phases: [{ duration: 2, arrivalRate: 3 }], variables: { softkey } } };
    const { counters, matching } = await artillery(
      'signin-discoverable.yml',
      demo.origin,
      overrides,
      join(dir, 'rk.json'),
    );
    const vus = counters['vusers.created']!;
    assert.ok(vus >= 3, `${vus} virtual users`);
    assert.equal(counters['vusers.failed'], 0);
    assert.equal(counters['vusers.completed'], vus);
    assert.equal(counters['softkey.ceremonies.get'], vus);
    assert.equal(counters['softkey.rp.verified'], vus);
    assert.deepEqual(matching('softkey.rp.refused'), []);
    assert.deepEqual(matching('errors.'), []);
    assert.equal(counters['http.codes.200'], counters['http.requests']);
    // The RP found each credential from the response alone (no user name was given) and recorded the sign-in.
    const rk = demo.db.allCredentials().filter((c) => c.userName.startsWith('rk-'));
    assert.equal(
      rk.reduce((a, c) => a + c.loginCount, 0),
      vus,
    );
    assert.ok(rk.every((c) => (c.loginCount === 0 ? c.counter === COUNTER_BASE : c.counter > COUNTER_BASE)));
  });
});
