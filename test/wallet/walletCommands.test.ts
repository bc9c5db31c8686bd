/** `softkey wallet init | import | address` (src/cli/walletCommands.ts) over an in-memory vault. */
import '../helpers/tempHome.js';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { walletCommand } from '../../src/cli/walletCommands.js';
import { checkMnemonic } from '../../src/crypto/bip.js';
import { MemoryVault } from '../../src/store/memoryStore.js';
import { ADDRESS_VECTORS, ZEMU_MNEMONIC } from './helpers.js';

function harness(stdinText = '') {
  const vaults = new Map<string, MemoryVault>();
  const out: string[] = [];
  const err: string[] = [];
  let opened = 0;
  let closed = 0;
  const io = {
    stdin: Readable.from([Buffer.from(stdinText)]),
    stdout: (s: string) => void out.push(s),
    stderr: (s: string) => void err.push(s),
    openVault: (dir: string) => {
      opened++;
      let v = vaults.get(dir);
      if (!v) vaults.set(dir, (v = new MemoryVault()));
      return { vault: v, close: () => void closed++ };
    },
  };
  return { io, out, err, vaults, counts: () => ({ opened, closed }) };
}

describe('softkey wallet', () => {
  it('import reads the mnemonic from stdin; address prints the spec addresses', async () => {
    const h = harness(`${ZEMU_MNEMONIC}\n`);
    assert.equal(await walletCommand(['import', '--data-dir', '/d'], h.io), 0);
    assert.match(h.out.join(''), /Wallet seed imported/);
    assert.match(h.out.join(''), new RegExp(ADDRESS_VECTORS[3].addrS));
    for (const v of ADDRESS_VECTORS) {
      const a = harness();
      a.vaults.set('/d', h.vaults.get('/d')!);
      assert.equal(await walletCommand(['address', v.path, '--data-dir=/d'], a.io), 0);
      assert.equal(a.out.join(''), `${v.addrS}\n`);
    }
    assert.deepEqual(h.counts(), { opened: 1, closed: 1 });
  });

  it('import rejects an invalid mnemonic with a clear message (exit 1) and stores nothing', async () => {
    const words = ZEMU_MNEMONIC.split(' ');
    const h = harness([...words.slice(0, 11), 'abandon'].join(' '));
    assert.equal(await walletCommand(['import', '--data-dir', '/d'], h.io), 1);
    assert.match(h.err.join(''), /invalid mnemonic: .*checksum/);
    const h2 = harness('equip will roof matter pink blind book anxiety banner elbow sun yoyo');
    assert.equal(await walletCommand(['import', '--data-dir', '/d'], h2.io), 1);
    assert.match(h2.err.join(''), /word #12 is not in the BIP39/);
    assert.ok(!h2.err.join('').includes('yoyo'), 'the mistyped word is not echoed');
    assert.equal(h2.vaults.get('/d')!.get('wallet.bip39-mnemonic.v1'), undefined);
  });

  it('init prints a fresh 24-word mnemonic once and refuses to overwrite without --force', async () => {
    const h = harness();
    assert.equal(await walletCommand(['init', '--data-dir', '/d'], h.io), 0);
    const text = h.out.join('');
    const mnemonic = text.split('\n').find((l) => l.split(' ').length === 24)!;
    assert.ok(checkMnemonic(mnemonic).ok);
    const again = harness();
    again.vaults.set('/d', h.vaults.get('/d')!);
    assert.equal(await walletCommand(['init', '--data-dir', '/d'], again.io), 1);
    assert.match(again.err.join(''), /already exists/);
    assert.equal(await walletCommand(['init', '--data-dir', '/d', '--force'], again.io), 0);
    assert.notEqual(again.out.join('').includes(mnemonic), true);
  });

  it('usage errors exit 2', async () => {
    const cases = [
      [],
      ['frobnicate', '--data-dir', '/d'],
      ['init'],
      ['address', '--data-dir', '/d'],
      ['init', '--data-dir'],
      ['init', '--data-dir', '/d', '--bogus'],
    ];
    for (const argv of cases) {
      const h = harness();
      assert.equal(await walletCommand(argv, h.io), 2, argv.join(' '));
      assert.match(h.err.join(''), /usage:/);
      assert.equal(h.counts().opened, 0);
    }
  });

  it('address: bad path → 2, no seed → 1', async () => {
    const h = harness(ZEMU_MNEMONIC);
    await walletCommand(['import', '--data-dir', '/d'], h.io);
    const bad = harness();
    bad.vaults.set('/d', h.vaults.get('/d')!);
    assert.equal(await walletCommand(['address', "m/44'/60'/0'/0/0", '--data-dir', '/d'], bad.io), 2);
    assert.match(bad.err.join(''), /coin type/);
    const empty = harness();
    assert.equal(await walletCommand(['address', "m/44'/461'/0'/0/0", '--data-dir', '/e'], empty.io), 1);
    assert.match(empty.err.join(''), /no wallet seed/);
  });
});
