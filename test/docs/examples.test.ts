/**
 * Runs the `@example` blocks of the public entry points' JSDoc, so that the examples TypeDoc
 * publishes keep working. `from 'softkey'` is pointed at this build's entry point.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';

const ENTRY = pathToFileURL(resolve('dist/src/index.js')).href;
const SOURCES = ['src/main/softkey.ts'];

function examplesOf(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  const blocks: string[] = [];
  for (const m of text.matchAll(/@example\n((?: \*.*\n)+?) \* ```\n/g)) {
    const body = m[1]!
      .split('\n')
      .map((line) => line.replace(/^ \* ?/, ''))
      .filter((line) => !line.startsWith('```'))
      .join('\n');
    blocks.push(body);
  }
  return blocks;
}

for (const path of SOURCES) {
  const blocks = examplesOf(path);
  test(`${path} has @example blocks`, () => assert.ok(blocks.length > 0));
  blocks.forEach((code, i) => {
    test(`${path} @example ${i + 1} runs`, (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'softkey-example-'));
      t.after(() => rmSync(dir, { recursive: true, force: true }));
      const file = join(dir, 'example.mjs');
      const program = code.replace(/from 'softkey'/g, `from '${ENTRY}'`);
      assert.notEqual(program, code, 'the example imports softkey');
      writeFileSync(file, `${program}\nconsole.log('example finished');\n`);
      const out = execFileSync(process.execPath, [file], { encoding: 'utf8', timeout: 60_000 });
      assert.match(out, /example finished/);
    });
  });
}
