/**
 * The CLI and the data directory (issue 18 items 2, 3, 7): offline commands refuse a directory a device
 * owns, naming the pid, the directory and what to use instead; backup/restore; wallet import never
 * shows the words.
 */
import '../helpers/tempHome.js';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { test } from 'node:test';
import { main } from '../../src/cli/main.js';
import { walletCommand } from '../../src/cli/walletCommands.js';
import { encodeMakeCredentialRequest } from '../../src/ctap2/makeCredential.js';
import { openDataDir } from '../../src/main/dataDir.js';
import { openSoftKey } from '../../src/main/softkey.js';
import { tempDir } from '../store/helpers.js';

async function run(argv: string[], stdin?: NodeJS.ReadableStream) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s), ...(stdin && { stdin }) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const makeResident = encodeMakeCredentialRequest({
  clientDataHash: new Uint8Array(32),
  rp: { id: 'owned.example' },
  user: { id: new Uint8Array([1]), name: 'dave' },
  pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
  options: { rk: true },
});

test('offline commands refuse a data directory a running device owns, and say what to use instead', async (t) => {
  const dir = tempDir(t);
  const key = await openSoftKey({ dataDir: dir });
  try {
    assert.equal((await key.cbor(makeResident))[0], 0);
    const backup = join(tempDir(t), 'b');
    assert.equal((await run(['backup', backup, '--data-dir', dir])).code, 0);
    const cases: Array<[string[], RegExp]> = [
      [['reset', '--data-dir', dir, '--yes'], /softkey ctl reset/],
      [['credentials', 'list', '--data-dir', dir], /softkey ctl credentials list/],
      [['pin', 'set', '--data-dir', dir], /softkey ctl pin set PIN/],
      [['info', '--data-dir', dir], /softkey info --udp/],
      [['restore', backup, '--data-dir', dir, '--force'], /Stop it first/],
      [['start', '--data-dir', dir, '--udp', '127.0.0.1:0', '--no-apdu', '--no-panel'], /Stop it first/],
    ];
    for (const [argv, instead] of cases) {
      const stdin = Readable.from(['123456\n']);
      const r = await run(argv, stdin);
      assert.equal(r.code, 1, argv.join(' '));
      assert.ok(r.err.includes(`the data directory ${dir} is in use by softkey pid ${process.pid}`), r.err);
      assert.match(r.err, instead);
    }
    const w = await run(['wallet', 'import', '--data-dir', dir]);
    assert.equal(w.code, 1);
    assert.ok(w.err.includes(`pid ${process.pid}`) && w.err.includes(dir), w.err);
    // Nothing was reset under the running device.
    assert.equal(key.device.store.listAllResident().length, 1);
  } finally {
    await key.close();
  }
  const listed = await run(['credentials', 'list', '--data-dir', dir]);
  assert.equal(listed.code, 0, listed.err);
  assert.match(listed.out, /owned\.example/);
});

test('softkey backup FILE and softkey restore FILE', async (t) => {
  const dir = tempDir(t);
  const key = await openSoftKey({ dataDir: dir });
  assert.equal((await key.cbor(makeResident))[0], 0);
  const file = join(tempDir(t), 'key.backup');
  // While the device runs.
  const b = await run(['backup', file, '--data-dir', dir]);
  await key.close();
  assert.equal(b.code, 0, b.err);
  assert.match(b.out, /1 discoverable credentials/);
  assert.match(b.out, /holds the master key/);
  assert.equal(statSync(file).mode & 0o777, 0o600);

  const target = join(tempDir(t), 'restored');
  const r = await run(['restore', file, '--data-dir', target]);
  assert.equal(r.code, 0, r.err);
  const again = await run(['restore', file, '--data-dir', target]);
  assert.equal(again.code, 1);
  assert.match(again.err, /already holds a database.*Add --force/);
  const forced = await run(['restore', file, '--data-dir', target, '--force']);
  assert.equal(forced.code, 0, forced.err);
  assert.match(forced.out, /moved to .*replaced-/);
  const d = openDataDir(target);
  assert.equal(d.store.listAllResident()[0]?.rpId, 'owned.example');
  d.close();
  assert.equal((await run(['backup', '--data-dir', dir])).code, 2, 'FILE is required');
});

const WORDS = 'legal winner thank year wave sausage worth useful legal winner thank yellow';

test('wallet import never repeats a word of the mnemonic, and hides it on a terminal', async (t) => {
  const dir = tempDir(t);
  const stderr: string[] = [];
  const stdout: string[] = [];
  const io = (stdin: NodeJS.ReadableStream) => ({
    stdin,
    stdout: (s: string) => stdout.push(s),
    stderr: (s: string) => stderr.push(s),
    openVault: (d: string) => openDataDir(d),
  });
  // A mistyped word, and a wrong checksum: the message names positions only.
  for (const phrase of [WORDS.replace('sausage', 'sausagge'), WORDS.replace('yellow', 'legal')]) {
    assert.equal(await walletCommand(['import', '--data-dir', dir], io(Readable.from([phrase]))), 1);
  }
  const said = stderr.join('') + stdout.join('');
  assert.match(said, /word #6 is not in the BIP39 English word list/);
  assert.match(said, /checksum/);
  for (const w of new Set([...WORDS.split(' '), 'sausagge']))
    assert.ok(!said.includes(w), `"${w}" was echoed: ${said}`);

  // A terminal: raw mode (no echo) while typing, restored after; Backspace edits.
  const tty = Object.assign(new PassThrough(), {
    isTTY: true,
    modes: [] as boolean[],
    setRawMode(raw: boolean) {
      tty.modes.push(raw);
      return tty;
    },
  });
  stderr.length = stdout.length = 0;
  const done = walletCommand(['import', '--data-dir', dir], io(tty));
  setImmediate(() => tty.write(`${WORDS.slice(0, -1)}x\u007fw\r`));
  assert.equal(await done, 0, stderr.join(''));
  assert.deepEqual(tty.modes, [true, false]);
  assert.match(stdout.join(''), /Wallet seed imported/);
  for (const w of WORDS.split(' ')) assert.ok(!(stderr.join('') + stdout.join('')).includes(w), `"${w}" shown`);
});
