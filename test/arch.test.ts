/**
 * One-way imports (../shared/specs/architecture.md): reads every import in src/ and fails on any
 * edge outside the allowed table.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { it } from 'node:test';
import { REPO_ROOT as ROOT } from './helpers/paths.js';

const SRC = join(ROOT, 'src');

/** folder → folders it may import (besides itself). encoding is the base every layer may use. */
const ALLOWED: Record<string, string[]> = {
  encoding: [],
  crypto: ['encoding'],
  ctaphid: ['encoding'],
  ctap2: ['encoding', 'crypto'],
  ctap1: ['encoding'],
  authenticator: ['encoding', 'ctap2', 'ctap1', 'store', 'crypto'],
  store: ['encoding', 'crypto'],
  wallet: ['encoding', 'crypto', 'store'],
  transport: ['encoding'],
  securecore: ['encoding'], // the split secure core's fixed-layout messages (seed 004), docs/split.md
  client: ['encoding', 'crypto', 'ctaphid', 'ctap2'],
  bridge: ['encoding', 'client', 'transport'],
  panel: ['encoding', 'control'],
  control: ['encoding', 'authenticator', 'store', 'wallet', 'ctap2', 'ctaphid'], // ctap2/ctaphid: trace decoding's constant tables
  'rp-demo': [],
  // Split mode as a layer (docs/split.md): the front holds no key, so it may not import crypto, store or authenticator.
  'split/front': ['encoding', 'securecore', 'ctap2', 'ctaphid'],
  'split/core': ['encoding', 'securecore', 'authenticator', 'ctap2', 'ctap1', 'store', 'crypto', 'wallet'],
  // Composition roots: wiring only, every layer it wires named.
  main: [
    'encoding',
    'crypto',
    'ctaphid',
    'ctap2',
    'ctap1',
    'authenticator',
    'store',
    'wallet',
    'transport',
    'securecore',
    'client',
    'bridge',
    'panel',
    'control',
    'rp-demo',
    'split/front',
    'split/core',
  ],
  // The command: the composition roots, and the tools built over them.
  cli: ['main', 'mds', 'rp-check', 'mcp', 'artillery'],
  artillery: ['encoding', 'ctap2', 'main'], // softkey/artillery: processor functions over the composition root
  mcp: ['encoding', 'crypto', 'control'], // softkey mcp: the control API's routes as MCP tools, over a running device's control API
  testing: ['encoding', 'crypto', 'client', 'bridge', 'main'], // softkey/testing: the page shim in a DOM test environment
  'rp-check': ['encoding', 'main'], // softkey rp-check: drives an RP's endpoints with a key from the composition root
  playwright: ['bridge', 'main'], // softkey/playwright: the Playwright Test fixture, a key from the composition root
  mds: ['encoding', 'crypto', 'store', 'main'], // softkey mds: a FIDO MDS 3.0 BLOB of a key from the composition root
  '.': ['*'], // src/index.ts, the package entry (a composition root like main)
};

/** Packages only some folders may use (crypto libraries live behind src/crypto). */
const PACKAGE_RULES: Array<[RegExp, string[]]> = [
  [/^(node:)?crypto$|^@noble\/|^@scure\/|^@peculiar\//, ['crypto']],
  [/^better-sqlite3$/, ['store', 'rp-demo']], // the demo RP is a separate program with its own database
];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** A file's layer: its top folder, or for split mode its sub-layer (split/front, split/core). */
const layerOf = (file: string) => {
  const rel = relative(SRC, file).split('/');
  if (rel.length === 1) return '.';
  return rel[0] === 'split' && rel.length > 2 ? `split/${rel[1]}` : rel[0]!;
};

it('the split front may import no crypto, store or authenticator (it holds no key)', () => {
  for (const forbidden of ['crypto', 'store', 'authenticator'])
    assert.ok(!ALLOWED['split/front']!.includes(forbidden), forbidden);
  assert.ok(!ALLOWED.main!.includes('*'), 'main names what it wires');
});

it('imports follow the layer table', () => {
  const violations: string[] = [];
  const all = files(SRC);
  assert.ok(all.length > 20, 'source files found');
  for (const file of all) {
    const from = layerOf(file);
    assert.ok(from in ALLOWED, `${relative(ROOT, file)} is in a folder the architecture does not name`);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(
      /(?:^|\n)\s*(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g,
    )) {
      const spec = (m[1] ?? m[2] ?? m[3])!;
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec);
        if (!target.startsWith(SRC)) {
          violations.push(`${relative(ROOT, file)} imports outside src: ${spec}`);
          continue;
        }
        const to = layerOf(target);
        const allowed = ALLOWED[from]!;
        if (to !== from && !allowed.includes('*') && !allowed.includes(to))
          violations.push(`${relative(ROOT, file)} (${from}) → ${spec} (${to})`);
      } else {
        for (const [re, layers] of PACKAGE_RULES) {
          // rp-demo is a separate program with its own SQLite database.
          if (re.test(spec) && !layers.includes(from) && from !== 'main' && from !== 'rp-demo') {
            violations.push(`${relative(ROOT, file)} (${from}) uses package ${spec}`);
          }
        }
      }
    }
  }
  assert.deepEqual(violations, []);
});
