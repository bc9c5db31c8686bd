/**
 * The Playwright Test fixture of softkey/playwright, run the way a user runs it: `npx playwright test`
 * over fixture.spec.mjs (which imports 'softkey/playwright' by package name), against the demo RP,
 * in Debian's Chromium. The JSON report must list every spec test as passed.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createDemoServer } from '../../src/rp-demo/server.js';
import { SKIP } from '../browser/chromium.js';
import { REPO_ROOT } from '../helpers/paths.js';

interface Spec {
  title: string;
  tests: Array<{ results: Array<{ status: string; error?: { message?: string } }> }>;
}
interface Suite {
  specs: Spec[];
  suites?: Suite[];
}

const specsOf = (s: Suite): Spec[] => [...s.specs, ...(s.suites ?? []).flatMap(specsOf)];

describe('softkey/playwright test fixture under npx playwright test', { skip: SKIP }, () => {
  it('every test gets a key attached to its context; a fresh one, or the kept one with softkeyOptions.dataDir', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'softkey-fixture-'));
    const demo = await createDemoServer({ port: 0, dbPath: ':memory:' });
    try {
      const child = spawn(
        'npx',
        ['--no-install', 'playwright', 'test', '-c', 'test/playwright/playwright.config.mjs'],
        {
          cwd: REPO_ROOT,
          env: {
            ...process.env,
            SOFTKEY_DEMO_URL: demo.url,
            SOFTKEY_FIXTURE_DIR: join(dir, 'key'),
            PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1',
            CI: '',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      let report: { suites: Suite[]; errors: unknown[] };
      try {
        report = JSON.parse(out);
      } catch {
        assert.fail(
          `npx playwright test printed no JSON report (exit ${code}): ${err.slice(-2000)} ${out.slice(-2000)}`,
        );
      }
      const results = report.suites.flatMap(specsOf).map((s) => ({
        title: s.title,
        status: s.tests[0]?.results[0]?.status,
        error: s.tests[0]?.results[0]?.error?.message,
      }));
      assert.deepEqual(report.errors, []);
      assert.deepEqual(
        results.map(({ title, status }) => ({ title, status })),
        [
          'registers and signs in with the fixture key',
          'deliberately wrong answers through key.control.override: the demo refuses each, with its reason',
          'the next test starts with a fresh key',
          'popups of the context have the key too',
          'enrols',
          'a later test signs in with the kept credential',
        ].map((title) => ({ title, status: 'passed' })),
        JSON.stringify(
          results.filter((r) => r.error),
          null,
          1,
        ),
      );
      assert.equal(code, 0);
    } finally {
      await demo.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
