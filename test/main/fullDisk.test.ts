/**
 * A full file system (issue 18 item 4): makeCredential answers CTAP2_ERR_KEY_STORE_FULL, not 0x7F, and
 * recovers when space returns; opening on a full or read-only file system names the directory.
 * Once with SQLite's own limit (PRAGMA max_page_count makes SQLite answer SQLITE_FULL), and once on a
 * real full tmpfs, mounted in a private mount namespace (`unshare -m`, needs root: CI runs as root).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { encodeMakeCredentialRequest } from '../../src/ctap2/makeCredential.js';
import { Status } from '../../src/ctap2/status.js';
import { openSoftKey } from '../../src/main/softkey.js';
import { openDataDir } from '../../src/store/dataDir.js';
import type { SqliteStore } from '../../src/store/sqliteStore.js';
import { StoreCorruptError, StoreFullError, StoreIoError } from '../../src/store/storeErrors.js';
import { fullCredential, tempDir } from '../store/helpers.js';

const makeCredential = (user: number, rk = true) =>
  encodeMakeCredentialRequest({
    clientDataHash: new Uint8Array(32),
    rp: { id: 'full.example' },
    user: { id: new Uint8Array([user]), name: `user${user}`, displayName: 'x'.repeat(60) },
    pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
    options: { rk },
  });

test('SQLITE_FULL from the store is a StoreFullError naming the database', (t) => {
  const d = openDataDir(tempDir(t));
  t.after(() => d.close());
  d.store.db.pragma(`max_page_count = ${d.store.db.pragma('page_count', { simple: true })}`);
  assert.throws(
    () => {
      for (let i = 0; i < 200; i++) d.store.putResident(fullCredential({ rpId: `rp${i}.example` }));
    },
    (e: unknown) => e instanceof StoreFullError && e.message.includes(d.store.db.name) && /SQLITE_FULL/.test(e.message),
  );
});

test('makeCredential on a full store answers CTAP2_ERR_KEY_STORE_FULL, then works again when there is room', async (t) => {
  const key = await openSoftKey({ dataDir: tempDir(t) });
  t.after(() => key.close());
  const db = (key.device.store as SqliteStore).db;
  const pages = db.pragma('page_count', { simple: true }) as number;
  db.pragma(`max_page_count = ${pages}`);
  const statuses: number[] = [];
  for (let i = 0; i < 100 && !statuses.includes(Status.CTAP2_ERR_KEY_STORE_FULL); i++)
    statuses.push((await key.cbor(makeCredential(i)))[0]!);
  assert.equal(statuses.at(-1), Status.CTAP2_ERR_KEY_STORE_FULL, `statuses ${statuses}`);
  assert.ok(
    statuses.every((s) => s === 0 || s === Status.CTAP2_ERR_KEY_STORE_FULL),
    `no 0x7F: ${statuses}`,
  );
  db.pragma(`max_page_count = ${pages + 100}`);
  assert.equal((await key.cbor(makeCredential(200)))[0], 0);
});

const root = process.getuid?.() === 0 && spawnSync('unshare', ['-m', 'true']).status === 0;
const ci = process.env.CI === 'true';

const needsRoot = { skip: !root && !ci && 'needs root for unshare -m (CI runs it)' };

test(
  'on a real full tmpfs: KEY_STORE_FULL, recovery, start (new or existing data) names the full directory; so is a read-only one',
  needsRoot,
  () => {
    assert.ok(root, 'CI must run this as root with unshare available');
    const mnt = mkdtempSync(join(tmpdir(), 'softkey-full-'));
    const compiled = import.meta.url.endsWith('.js');
    const ext = compiled ? 'js' : 'ts';
    const src = (p: string) => JSON.stringify(new URL(`../../src/${p}.${ext}`, import.meta.url).href);
    const script = join(mnt + '-script.mjs');
    writeFileSync(
      script,
      `
    import { openSync, writeSync, closeSync, rmSync } from 'node:fs';
    import { openSoftKey } from ${src('main/softkey')};
    import { openDataDir } from ${src('store/dataDir')};
    import { encodeMakeCredentialRequest } from ${src('ctap2/makeCredential')};
    const [root, ro] = process.argv.slice(2);
    const mc = (user) => encodeMakeCredentialRequest({ clientDataHash: new Uint8Array(32), rp: { id: 'full.example' },
      user: { id: new Uint8Array([user]), name: 'u' + user, displayName: 'x'.repeat(60) },
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }], options: { rk: true } });
    function fill(file) {
      const fd = openSync(file, 'w');
      for (const size of [65536, 4096, 512, 1]) {
        const b = Buffer.alloc(size, 1);
        try { for (;;) writeSync(fd, b); } catch (e) { if (e.code !== 'ENOSPC') throw e; }
      }
      closeSync(fd);
    }
    const out = {};
    const key = await openSoftKey({ dataDir: root + '/data' });
    out.before = (await key.cbor(mc(1)))[0];
    fill(root + '/filler');
    out.full = [];
    for (let i = 2; i < 6; i++) out.full.push((await key.cbor(mc(i)))[0]);
    rmSync(root + '/filler');
    out.after = (await key.cbor(mc(9)))[0];
    out.listed = key.device.store.listAllResident().length;
    await key.close();
    fill(root + '/filler');
    try { const d = openDataDir(root + '/data'); out.existing = d.store.listAllResident().length; d.close(); }
    catch (e) { out.existing = { name: e.name, message: e.message }; }
    try { openDataDir(root + '/new'); out.start = 'opened'; } catch (e) { out.start = { name: e.name, message: e.message }; }
    try { openDataDir(ro + '/data'); out.readOnly = 'opened'; } catch (e) { out.readOnly = { name: e.name, message: e.message }; }
    console.log(JSON.stringify(out));
    `,
    );
    try {
      const ro = `${mnt}/ro`;
      const node = `'${process.execPath}' ${compiled ? '' : '--import tsx'} '${script}' '${mnt}' '${ro}'`;
      const shell = `mount -t tmpfs -o size=1m tmpfs '${mnt}' && mkdir '${ro}' && mount -t tmpfs -o size=64k,ro tmpfs '${ro}' && exec ${node}`;
      const r = spawnSync('unshare', ['-m', 'sh', '-c', shell], { encoding: 'utf8', timeout: 120_000 });
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
      assert.equal(out.before, 0);
      assert.deepEqual(out.full, Array(4).fill(Status.CTAP2_ERR_KEY_STORE_FULL));
      assert.equal(out.after, 0, 'room again: credentials are made again');
      assert.equal(out.listed, 2, 'the two acknowledged credentials, none of the refused ones');
      // An existing directory on a full disk: SQLite cannot map its WAL index (SQLITE_IOERR_SHMSIZE).
      assert.equal(out.existing.name, StoreFullError.name, JSON.stringify(out.existing));
      assert.match(out.existing.message, new RegExp(`no space left .*${mnt}/data`));
      assert.equal(out.start.name, StoreFullError.name);
      assert.match(out.start.message, new RegExp(`no space left .*${mnt}/new`));
      assert.equal(out.readOnly.name, StoreIoError.name);
      assert.match(out.readOnly.message, new RegExp(`${ro}/data.*read-only \\(EROFS\\)`));
    } finally {
      rmSync(script, { force: true });
      rmSync(mnt, { recursive: true, force: true });
    }
  },
);

test('a store failure at run time (a damaged page) is CTAP1_ERR_OTHER and one log line naming the file, not a stack trace', async (t) => {
  const key = await openSoftKey({ dataDir: tempDir(t) });
  t.after(() => key.close());
  const file = (key.device.store as SqliteStore).db.name;
  key.device.store.putResident = () => {
    throw new StoreCorruptError(
      `${file} is damaged (SQLITE_CORRUPT): database disk image is malformed; restore it from a backup`,
      file,
    );
  };
  const logged = t.mock.method(console, 'error', () => {});
  assert.equal((await key.cbor(makeCredential(1)))[0], Status.CTAP1_ERR_OTHER);
  assert.equal(logged.mock.callCount(), 1);
  const line = logged.mock.calls[0]!.arguments.join(' ');
  assert.equal(typeof logged.mock.calls[0]!.arguments[1], 'string', 'a message, not an Error with its stack');
  assert.ok(line.includes(file) && /damaged/.test(line), line);
});
