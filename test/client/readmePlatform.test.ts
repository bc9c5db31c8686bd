/**
 * The README's platform-authenticator and WebAuthn L3 examples, run as written: the ```ts block after
 * `<!-- readme-test: platform -->` (and `l3`), with `from 'softkey'` pointing at this build and its types
 * stripped by TypeScript's own transpiler. Its assertions are the test's.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { REPO_ROOT } from '../helpers/paths.js';

const EXAMPLES: Record<string, string> = {
  platform: 'README: platform authenticators and passkey providers',
  l3: 'README: WebAuthn Level 3 (autofill, signals, capabilities, startDemo)',
};

for (const [marker, title] of Object.entries(EXAMPLES)) {
  describe(title, () => {
    it('runs as written', async () => {
      const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
      const at = readme.indexOf(`<!-- readme-test: ${marker} -->`);
      assert.ok(at >= 0, `README has the ${marker} example`);
      const m = /```ts\n([\s\S]*?)\n```/.exec(readme.slice(at));
      assert.ok(m, 'a ts code block follows the marker');
      const index = pathToFileURL(join(REPO_ROOT, 'dist', 'src', 'index.js')).href;
      const source = m[1]!.replace(/from 'softkey'/g, `from '${index}'`);
      assert.notEqual(source.indexOf(index), -1);
      const js = ts.transpileModule(source, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      }).outputText;
      const dir = mkdtempSync(join(tmpdir(), `softkey-readme-${marker}-`));
      try {
        const file = join(dir, 'example.mjs');
        writeFileSync(file, js);
        await import(pathToFileURL(file).href); // throws if any of the example's assertions fails
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
