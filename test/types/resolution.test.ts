/**
 * The types of softkey/playwright and softkey/puppeteer resolve for a TypeScript user under every
 * moduleResolution they may have: node16 and bundler (package.json "exports" with "types"), and
 * node10 (no "exports": "typesVersions"). A consumer project links the built package as
 * node_modules/softkey and is checked by this repository's tsc.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { REPO_ROOT } from '../helpers/paths.js';

const CONSUMER = `
import { attach, expect, test } from 'softkey/playwright';
import { attach as attachPuppeteer, type Attachment } from 'softkey/puppeteer';
import { openSoftKey } from 'softkey';

test('typed fixture', async ({ page, context, softkey }) => {
  const n: number = softkey.control.credentials().length;
  expect(n).toBe(0);
  await attach(context, softkey);
  await attach(page, await openSoftKey({ dataDir: ':memory:' }));
});
test.use({ softkeyOptions: { dataDir: '/tmp/kept' } });
export const later: (b: Parameters<typeof attachPuppeteer>[0]) => Promise<Attachment> = (b) => attachPuppeteer(b, null as never);
`;

const SETTINGS = {
  node16: { module: 'node16', moduleResolution: 'node16' },
  bundler: { module: 'esnext', moduleResolution: 'bundler' },
  node10: { module: 'commonjs', moduleResolution: 'node10' },
} as const;

describe('types of softkey/playwright and softkey/puppeteer', { concurrency: true }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'softkey-types-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(REPO_ROOT, join(dir, 'node_modules', 'softkey'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [name, options] of Object.entries(SETTINGS)) {
    it(`resolve and type-check under moduleResolution ${name}`, async () => {
      // node16 reads the consumer as ESM (.mts), the others as a plain .ts file.
      const file = name === 'node16' ? 'consumer.mts' : 'consumer.ts';
      writeFileSync(join(dir, file), CONSUMER);
      const tsconfig = {
        compilerOptions: { ...options, target: 'es2022', strict: true, noEmit: true, skipLibCheck: true, types: [] },
        files: [file],
      };
      writeFileSync(join(dir, `tsconfig.${name}.json`), JSON.stringify(tsconfig));
      const child = spawn(process.execPath, [
        join(REPO_ROOT, 'node_modules/typescript/bin/tsc'),
        '-p',
        join(dir, `tsconfig.${name}.json`),
        '--traceResolution',
      ]);
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
      const r = { stdout, status };
      const errors = r.stdout.split('\n').filter((l) => /error TS/.test(l));
      assert.deepEqual(errors, [], `tsc under ${name}`);
      assert.equal(r.status, 0);
      const resolved = (spec: string) =>
        new RegExp(
          `Module name '${spec.replace('/', '\\/')}' was successfully resolved to '[^']*${spec === 'softkey/playwright' ? 'playwright/index' : 'bridge/puppeteer'}\\.d\\.ts'`,
        ).test(r.stdout);
      assert.ok(
        resolved('softkey/playwright') && resolved('softkey/puppeteer'),
        `the subpaths resolve to their declarations under ${name}`,
      );
    });
  }
});
