/** One owner per data directory (store/dataDirLock.ts): refused second owners, recovered stale locks. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { openDataDir } from '../../src/store/dataDir.js';
import { OWNER_FILE, readDataDirOwner } from '../../src/store/dataDirLock.js';
import { DataDirLockedError } from '../../src/store/storeErrors.js';
import { openSoftKey } from '../../src/main/softkey.js';
import { fullCredential, tempDir } from './helpers.js';

const compiled = import.meta.url.endsWith('.js');
const dataDirModule = new URL(`../../src/store/dataDir.${compiled ? 'js' : 'ts'}`, import.meta.url).href;

/** A child process that opens `dir` and says "ready" (then waits to be killed). */
async function childOwner(dir: string): Promise<{ pid: number; kill(): Promise<void> }> {
  const script = `
    import { openDataDir } from ${JSON.stringify(dataDirModule)};
    // Held in a global: a Database that becomes garbage is closed by its finalizer, lock and all.
    globalThis.owner = openDataDir(process.argv[1]);
    console.log('ready');
    setInterval(() => {}, 1000);
  `;
  const args = [...(compiled ? [] : ['--import', 'tsx']), '--input-type=module', '-e', script, dir];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`child exited ${code}`)));
  });
  return {
    pid: child.pid!,
    kill: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

test('a second owner in the same process is refused, naming the pid and the directory', (t) => {
  const dir = tempDir(t);
  const first = openDataDir(dir);
  assert.deepEqual(readDataDirOwner(dir)?.pid, process.pid);
  assert.throws(
    () => openDataDir(dir),
    (e: unknown) =>
      e instanceof DataDirLockedError &&
      e.ownerPid === process.pid &&
      e.message.includes(dir) &&
      e.message.includes(`pid ${process.pid}`),
  );
  first.close();
  assert.equal(existsSync(join(dir, OWNER_FILE)), false, 'close removes the owner file');
  const again = openDataDir(dir);
  again.store.putResident(fullCredential());
  again.close();
});

test('another process owning the directory is named; after it is killed (-9) the lock is recovered', async (t) => {
  const dir = tempDir(t);
  openDataDir(dir).close();
  const child = await childOwner(dir);
  try {
    assert.throws(
      () => openDataDir(dir),
      (e: unknown) =>
        e instanceof DataDirLockedError && e.ownerPid === child.pid && e.message.includes(`pid ${child.pid}`),
    );
  } finally {
    await child.kill();
  }
  // The kernel dropped the dead owner's lock; its owner file is stale and does not matter.
  assert.equal(readDataDirOwner(dir)?.pid, child.pid);
  const d = openDataDir(dir);
  assert.equal(readDataDirOwner(dir)?.pid, process.pid);
  d.close();
});

test('an owner file naming a live process does not lock by itself (the lock is the kernel lock)', (t) => {
  const dir = tempDir(t);
  openDataDir(dir).close();
  writeFileSync(
    join(dir, OWNER_FILE),
    JSON.stringify({ pid: process.ppid, since: new Date().toISOString(), command: 'x' }),
  );
  openDataDir(dir).close();
});

test('openSoftKey takes the same lock, releases it on close; :memory: takes none', async (t) => {
  const dir = tempDir(t);
  const key = await openSoftKey({ dataDir: dir });
  await assert.rejects(
    openSoftKey({ dataDir: dir }),
    (e: unknown) => e instanceof DataDirLockedError && e.message.includes(dir),
  );
  assert.throws(() => openDataDir(dir), DataDirLockedError);
  await key.close();
  await (await openSoftKey({ dataDir: dir })).close();
  const a = await openSoftKey({ dataDir: ':memory:' });
  const b = await openSoftKey({ dataDir: ':memory:' });
  await a.close();
  await b.close();
});
