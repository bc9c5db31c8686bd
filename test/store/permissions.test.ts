/** File modes (issue 18 item 6) and clear messages about the data directory's path (item 7). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DATABASE_FILE, openDataDir } from '../../src/store/dataDir.js';
import { StoreIoError } from '../../src/store/storeErrors.js';
import { fullCredential, tempDir } from './helpers.js';

const posix = process.platform !== 'win32';

function withUmask<T>(mask: number, fn: () => T): T {
  const old = process.umask(mask);
  try {
    return fn();
  } finally {
    process.umask(old);
  }
}

test('softkey.db, its -wal and -shm, the lock and owner files are 0600 even under umask 000', { skip: !posix }, (t) => {
  const dir = join(tempDir(t), 'data');
  const d = withUmask(0, () => {
    const d = openDataDir(dir);
    d.store.putResident(fullCredential());
    return d;
  });
  t.after(() => d.close());
  const files = readdirSync(dir);
  const expected = [
    DATABASE_FILE,
    `${DATABASE_FILE}-wal`,
    `${DATABASE_FILE}-shm`,
    'master.key',
    'softkey.lock',
    'softkey.owner',
  ];
  for (const f of expected) assert.ok(files.includes(f), f);
  for (const f of files) assert.equal(statSync(join(dir, f)).mode & 0o777, 0o600, f);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
});

test(
  'a data directory open to others is tightened to 0700 with a warning; wider database files to 0600',
  { skip: !posix },
  (t) => {
    const dir = tempDir(t);
    openDataDir(dir, { warn: () => {} }).close();
    chmodSync(dir, 0o755);
    chmodSync(join(dir, DATABASE_FILE), 0o644);
    const warnings: string[] = [];
    const d = openDataDir(dir, { warn: (m) => warnings.push(m) });
    t.after(() => d.close());
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(join(dir, DATABASE_FILE)).mode & 0o777, 0o600);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, new RegExp(`${dir} had mode 0755 .* now 0700`));
    // A private directory is left alone, silently.
    d.close();
    openDataDir(dir, { warn: (m) => warnings.push(m) }).close();
    assert.equal(warnings.length, 1);
  },
);

test('a data directory under a file names the path and the cause', (t) => {
  const file = join(tempDir(t), 'plain-file');
  writeFileSync(file, 'x');
  const dir = join(file, 'softkey');
  assert.throws(
    () => openDataDir(dir),
    (e: unknown) =>
      e instanceof StoreIoError && e.message.includes(dir) && /not a directory \(ENOTDIR\)/.test(e.message),
  );
  assert.throws(
    () => openDataDir(file),
    (e: unknown) => e instanceof StoreIoError && e.message.includes(file) && /is not a directory/.test(e.message),
  );
});

test('an unwritable parent names the path and "permission denied"', { skip: !posix }, (t) => {
  const parent = tempDir(t);
  chmodSync(parent, 0o555);
  const dir = join(parent, 'softkey');
  const compiled = import.meta.url.endsWith('.js');
  let message: string;
  if (process.getuid?.() === 0) {
    // root may write anywhere: ask as nobody.
    const module = new URL(`../../src/store/dataDir.${compiled ? 'js' : 'ts'}`, import.meta.url).href;
    const script = `import { openDataDir } from ${JSON.stringify(module)};
      try { openDataDir(process.argv[1]); console.log('opened'); } catch (e) { console.log(e.name + ': ' + e.message); }`;
    const args = [...(compiled ? [] : ['--import', 'tsx']), '--input-type=module', '-e', script, dir];
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', uid: 65534, gid: 65534 });
    assert.equal(r.status, 0, r.stderr);
    message = r.stdout.trim();
  } else {
    try {
      openDataDir(dir);
      message = 'opened';
    } catch (e) {
      message = `${(e as Error).name}: ${(e as Error).message}`;
    }
  }
  assert.equal(message, `StoreIoError: cannot create the data directory ${dir}: permission denied (EACCES)`);
});
