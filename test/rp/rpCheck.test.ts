/**
 * softkey rp-check (src/rp-check/rpCheck.ts) against the demo RP (every wrong answer refused: 0
 * wrongly accepted) and against a careless RP fixture (test/rp/carelessRp.ts: each planted mistake
 * reported, and nothing else), through the Node API and the CLI.
 */
import '../helpers/tempHome.js';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { WRONG_ANSWERS } from '../../src/control/wrongAnswers.js';
import { createDemoServer, type DemoServer } from '../../src/rp-demo/server.js';
import {
  checkRpCheckAdapter,
  formatRpCheckReport,
  rpCheck,
  type RpCheckAdapter,
  type RpCheckReport,
} from '../../src/rp-check/rpCheck.js';
import { PLANTED, startCarelessRp } from './carelessRp.js';
import { REPO_ROOT } from '../helpers/paths.js';

const demoAdapter = (target: string, attestation: 'direct' | 'none'): RpCheckAdapter => ({
  target,
  registration: {
    options: { url: '/api/register/options', body: { username: '{username}', attestation } },
    verify: { url: '/api/register/verify', bodyField: 'credential' },
  },
  authentication: {
    options: { url: '/api/login/options', body: { username: '{username}' } },
    verify: { url: '/api/login/verify', bodyField: 'credential' },
  },
});

const cases = (r: RpCheckReport, verdict: string) =>
  r.results
    .filter((x) => x.verdict === verdict)
    .map((x) => `${x.ceremony} ${x.case}`)
    .sort();
const wrongCases = WRONG_ANSWERS.flatMap((w) => w.ceremonies.map((c) => `${c} ${w.name}`));

describe('softkey rp-check', () => {
  let demo: DemoServer;
  before(async () => {
    demo = await createDemoServer({ dbPath: ':memory:', port: 0 });
  });
  after(() => demo.close());

  it('the demo RP asking for direct attestation: no wrong answer accepted, all refused but UV, which it does not require', async () => {
    const report = await rpCheck(demoAdapter(demo.origin, 'direct'));
    assert.deepEqual(report.wronglyAccepted, []);
    assert.equal(report.counts.error, 0);
    assert.deepEqual(cases(report, 'not-applicable'), ['authentication uv-cleared', 'registration uv-cleared']);
    const refusedWrong = report.results.filter((r) => !r.case.startsWith('format:') && r.verdict === 'ok').length;
    assert.equal(refusedWrong, wrongCases.length - 2);
    // Honest answers: every format it can verify without softkey's root is accepted in both ceremonies.
    for (const f of ['packed', 'self', 'none', 'packed-chain', 'fido-u2f', 'tpm']) {
      assert.deepEqual(
        report.results.filter((r) => r.case === `format:${f}`).map((r) => r.verdict),
        ['ok', 'ok'],
        f,
      );
    }
    // SimpleWebAuthn ships Google's and Apple's roots for these and has no compound verifier: refused, and said so.
    assert.deepEqual(cases(report, 'refused'), [
      'registration format:android-key',
      'registration format:android-safetynet',
      'registration format:apple',
      'registration format:compound',
    ]);
    const text = formatRpCheckReport(report);
    assert.match(text, /^0 wrongly accepted, 4 honest answers refused, \d+ as expected, 2 not applicable, 0 errors$/m);
  });

  it('the demo RP asking for no attestation: the attestation lies cannot reach it and are reported not applicable', async () => {
    const only = ['certificate-expired', 'attestation-other-bytes', 'format:packed-chain'];
    const report = await rpCheck(demoAdapter(demo.origin, 'none'), { only });
    assert.deepEqual(cases(report, 'not-applicable'), [
      'registration attestation-other-bytes',
      'registration certificate-expired',
    ]);
    assert.match(
      report.results.find((r) => r.case === 'certificate-expired')!.reason!,
      /asks for no attestation \("none"\)/,
    );
    assert.deepEqual(cases(report, 'ok'), ['authentication format:packed-chain', 'registration format:packed-chain']);
  });

  it('the careless RP: each planted mistake is reported with the WebAuthn step it skipped, and nothing else', async () => {
    const rp = await startCarelessRp();
    try {
      const adapter: RpCheckAdapter = {
        target: rp.origin,
        registration: {
          options: { url: '/register/options', body: { username: '{username}' } },
          verify: { url: '/register/verify', bodyField: 'credential' },
        },
        authentication: {
          options: { url: '/login/options', body: { username: '{username}' } },
          verify: { url: '/login/verify', bodyField: 'credential' },
        },
      };
      const report = await rpCheck(adapter, { only: WRONG_ANSWERS.map((w) => w.name) });
      const planted = Object.values(PLANTED)
        .flat()
        .map(([c, n]) => `${c} ${n}`)
        .sort();
      assert.deepEqual(cases(report, 'wrongly-accepted'), planted);
      assert.equal(report.counts.error, 0);
      assert.equal(
        report.counts['not-applicable'],
        0,
        'it asks for UV and attestation, so every wrong answer reaches it',
      );
      assert.equal(report.counts.ok, wrongCases.length - planted.length);
      const text = formatRpCheckReport(report);
      assert.match(
        text,
        /FAIL registration +up-cleared +wrongly-accepted\n +softkey sent the UP flag 0, signed; the RP skipped §7\.1\/§7\.2/,
      );
      assert.match(text, new RegExp(`^${planted.length} wrongly accepted`, 'm'));
    } finally {
      await rp.close();
    }
  });

  it('softkey rp-check CONFIG from the CLI: the report, exit 1 when something was wrongly accepted, --json', async () => {
    const rp = await startCarelessRp();
    const dir = mkdtempSync(join(tmpdir(), 'rp-check-'));
    const config = join(dir, 'rp.json');
    writeFileSync(
      config,
      JSON.stringify({
        target: rp.origin,
        registration: {
          options: { url: '/register/options', body: { username: '{username}' } },
          verify: { url: '/register/verify', bodyField: 'credential' },
        },
        authentication: {
          options: { url: '/login/options', body: { username: '{username}' } },
          verify: { url: '/login/verify', bodyField: 'credential' },
        },
      }),
    );
    const cli = (...args: string[]) =>
      promisify(execFile)(process.execPath, [join(REPO_ROOT, 'dist/src/cli/bin.js'), 'rp-check', ...args]);
    try {
      const failed = await cli(config, '--only', 'up-cleared,counter-zero,rp-id-hash').then(
        () => undefined,
        (e: { code: number; stdout: string }) => e,
      );
      assert.equal(failed?.code, 1);
      assert.match(failed!.stdout, /FAIL registration +up-cleared/);
      assert.match(failed!.stdout, /FAIL authentication counter-zero/);
      assert.match(failed!.stdout, /ok +registration +rp-id-hash +refused \(400\)/);
      const ok = await cli(config, '--only', 'rp-id-hash', '--json');
      const report = JSON.parse(ok.stdout) as RpCheckReport;
      assert.deepEqual(
        report.results.map((r) => [r.ceremony, r.case, r.verdict]),
        [
          ['registration', 'rp-id-hash', 'ok'],
          ['authentication', 'rp-id-hash', 'ok'],
        ],
      );
      const bad = await cli(join(dir, 'missing.json')).then(
        () => undefined,
        (e: { code: number; stderr: string }) => e,
      );
      assert.equal(bad?.code, 2);
      assert.match(bad!.stderr, /missing\.json/);
    } finally {
      await rp.close();
    }
  });

  it('an adapter with a bad member is refused naming it', () => {
    assert.throws(() => checkRpCheckAdapter({ target: 'localhost' }), /target must be the RP's http\(s\) URL/);
    const a = demoAdapter('http://localhost:1', 'none') as unknown as Record<string, any>;
    delete a.authentication.verify.url;
    assert.throws(() => checkRpCheckAdapter(a), /authentication\.verify\.url must be a URL or path/);
  });
});
