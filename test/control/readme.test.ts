/**
 * The README's key-state example, run as written: the ```ts block after
 * `<!-- readme-test: key-state -->`, with `from 'softkey'` pointing at this build and its types
 * stripped by TypeScript's own transpiler. Its assertions are the test's.
 */
import '../helpers/tempHome.js';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { repoRoot } from '../interop/startDevice.js';

function example(name: string): string {
  const readme = readFileSync(join(repoRoot(), 'README.md'), 'utf8');
  const at = readme.indexOf(`<!-- readme-test: ${name} -->`);
  assert.ok(at >= 0, `README has the ${name} example`);
  const m = /```ts\n([\s\S]*?)\n```/.exec(readme.slice(at));
  assert.ok(m, 'a ts code block follows the marker');
  return m[1]!;
}

describe('README examples', () => {
  it('key state: enrol, events, export/restore, re-seed, a 1 s RP timeout', async () => {
    const index = pathToFileURL(join(repoRoot(), 'dist', 'src', 'index.js')).href;
    const source = example('key-state').replace(/from 'softkey'/g, `from '${index}'`);
    assert.notEqual(source.indexOf(index), -1);
    const js = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    const dir = mkdtempSync(join(tmpdir(), 'softkey-readme-'));
    try {
      const file = join(dir, 'example.mjs');
      writeFileSync(file, js);
      await import(pathToFileURL(file).href); // throws if any of the example's assertions fails
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
