/**
 * Package hygiene (issue 21): what `npm pack` would publish from the current build. Only the compiled
 * library, its types and maps, the browser scripts its modules read, and the four top-level files; every
 * source map carries its sources (the package ships no src/); no test, bench or script output.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../helpers/paths.js';

interface PackResult {
  entryCount: number;
  files: Array<{ path: string }>;
}

function sourceFiles(dir: string, suffix: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith(suffix))
    .map((f) => join(dir, f));
}

test('npm pack ships the built library only, with self-contained source maps', () => {
  // --ignore-scripts: the test run has just built dist/ (pretest); prepare would build it again.
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /npm warn/i);
  const [pack] = JSON.parse(r.stdout) as PackResult[];
  assert.ok(pack);
  const paths = pack.files.map((f) => f.path);

  const outside = paths.filter((p) => !p.startsWith('dist/src/'));
  assert.deepEqual(outside.sort(), ['CHANGELOG.md', 'LICENSE', 'README.md', 'package.json']);
  const unexpected = paths.filter((p) => p.startsWith('dist/src/') && !/\.(js|d\.ts|js\.map)$/.test(p));
  assert.deepEqual(unexpected, []);
  assert.deepEqual(
    paths.filter((p) => /\.test\.|\.tsbuildinfo$/.test(p)),
    [],
  );

  // Every compiled module of src/ is there (prepack empties dist/ first, so no stale output of a removed source).
  const modules = sourceFiles(join(REPO_ROOT, 'src'), '.ts')
    .filter((f) => !f.endsWith('.d.ts'))
    .map((f) => `dist/${f.slice(REPO_ROOT.length + 1).replace(/\.ts$/, '.js')}`);
  const browser = sourceFiles(join(REPO_ROOT, 'src'), '.browser.js').map((f) => `dist/${f.slice(REPO_ROOT.length + 1)}`);
  assert.ok(browser.length >= 3, 'the page shim, panel and demo page scripts');
  const shipped = new Set(paths);
  assert.deepEqual(
    [...modules, ...browser].filter((f) => !shipped.has(f)),
    [],
  );

  // The maps point at ../src/…, which the package does not ship: each must carry its sources inline.
  for (const map of paths.filter((p) => p.endsWith('.js.map'))) {
    const m = JSON.parse(readFileSync(join(REPO_ROOT, map), 'utf8')) as { sources: string[]; sourcesContent?: string[] };
    const inline = m.sourcesContent ?? [];
    assert.equal(inline.length, m.sources.length, `${map} carries its sources`);
    assert.ok(
      inline.every((c) => typeof c === 'string' && c.length > 0),
      `${map} carries its sources`,
    );
  }
  assert.equal(pack.entryCount, paths.length);
});
