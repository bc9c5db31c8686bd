/**
 * `softkey pool create` through the CLI entry (main), its usage errors, and `--demo-seed` flags.
 */
import '../helpers/tempHome.js';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { main } from '../../src/cli/main.js';
import { webServicesFromFlags } from '../../src/cli/webFlags.js';
import { createDemoServer } from '../../src/rp-demo/server.js';
import { DemoSeedError } from '../../src/rp-demo/seed.js';

const dir = mkdtempSync(join(tmpdir(), 'softkey-pool-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (s: string) => out.push(s), err: (s: string) => err.push(s) } };
}

describe('softkey pool create', () => {
  it('writes pool.json (public) and secret.json (0600) for N users', async () => {
    const o = io();
    const code = await main(
      ['pool', 'create', '--users', '3', '--rp-id', 'example.com', '--out', join(dir, 'p'), '--alg=-8'],
      o.io,
    );
    assert.equal(code, 0, o.err.join('\n'));
    assert.match(o.out.join('\n'), /pool of 3 users for example\.com/);
    const pool = JSON.parse(readFileSync(join(dir, 'p', 'pool.json'), 'utf8')) as {
      rpId: string;
      origin: string;
      users: Array<{ alg: number; credentialId: string }>;
    };
    assert.equal(pool.rpId, 'example.com');
    assert.equal(pool.origin, 'https://example.com');
    assert.equal(pool.users.length, 3);
    assert.ok(pool.users.every((u) => u.alg === -8));
    assert.equal(new Set(pool.users.map((u) => u.credentialId)).size, 3);
    assert.equal(statSync(join(dir, 'p', 'secret.json')).mode & 0o777, 0o600);
  });

  it('refuses missing or bad flags with a usage message', async () => {
    for (const [args, message] of [
      [['pool', 'create', '--rp-id', 'x.com', '--out', dir], /--users N is required/],
      [['pool', 'create', '--users', '0', '--rp-id', 'x.com', '--out', dir], /--users must be 1–100000/],
      [['pool', 'create', '--users', '2', '--rp-id', 'https://x.com', '--out', dir], /--rp-id must be a domain name/],
      [['pool', 'nope'], /unknown pool command "nope"/],
    ] as const) {
      const o = io();
      assert.equal(await main([...args], o.io), 2);
      assert.match(o.err.join('\n'), message);
    }
  });

  it('--demo-seed needs --demo, and a pool for another RP ID is refused by the demo', async () => {
    assert.throws(() => webServicesFromFlags({ 'demo-seed': dir }, ':memory:'), /--demo-seed needs --demo/);
    const opts = webServicesFromFlags({ demo: 'localhost:0', 'demo-seed': join(dir, 'p') }, ':memory:');
    assert.equal(opts?.demo?.seedPool, join(dir, 'p'));
    await assert.rejects(
      createDemoServer({ port: 0, dbPath: ':memory:', seedPool: join(dir, 'p') }),
      (e: Error) => e instanceof DemoSeedError && /for RP ID "example\.com"/.test(e.message),
    );
  });
});
