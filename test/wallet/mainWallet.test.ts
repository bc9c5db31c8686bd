/** The composition root (src/main/wallet.ts): first-use seed, server lifecycle, --apdu parsing. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  autoApproveReview,
  createWalletApp,
  importWalletSeed,
  initWalletSeed,
  parseApduListen,
  startWalletServer,
  walletAddress,
  WalletSeedExistsError,
} from '../../src/main/wallet.js';
import { MemoryVault } from '../../src/store/memoryStore.js';
import { ADDRESS_VECTORS, serveWallet, ZEMU_MNEMONIC } from './helpers.js';

describe('main/wallet', () => {
  it('createWalletApp generates and keeps a seed on first use; the address is stable across restarts', async () => {
    const vault = new MemoryVault();
    const first = await serveWallet(createWalletApp({ vault, review: autoApproveReview(), log: () => {} }));
    const a = await first.fil.getAddressAndPubKey("m/44'/461'/0'/0/0");
    await first.close();
    const second = await serveWallet(
      createWalletApp({
        vault,
        review: autoApproveReview(),
        randomBytes: () => assert.fail('seed exists'),
        log: () => {},
      }),
    );
    const b = await second.fil.getAddressAndPubKey("m/44'/461'/0'/0/0");
    await second.close();
    assert.match(a.addrString, /^f1[a-z2-7]{39}$/);
    assert.equal(b.addrString, a.addrString);
    assert.equal(walletAddress(vault, "m/44'/461'/0'/0/0").address, a.addrString);
  });

  it('initWalletSeed / importWalletSeed refuse to replace a seed unless forced', () => {
    const vault = new MemoryVault();
    importWalletSeed(vault, ZEMU_MNEMONIC);
    assert.throws(() => initWalletSeed(vault), WalletSeedExistsError);
    assert.throws(() => importWalletSeed(vault, ZEMU_MNEMONIC), WalletSeedExistsError);
    assert.equal(walletAddress(vault, ADDRESS_VECTORS[0].path).address, ADDRESS_VECTORS[0].addrS);
    const replaced = initWalletSeed(vault, { force: true, randomBytes: (n) => new Uint8Array(n).fill(1) });
    assert.equal(replaced.split(' ').length, 24);
    assert.notEqual(walletAddress(vault, ADDRESS_VECTORS[0].path).address, ADDRESS_VECTORS[0].addrS);
  });

  it('startWalletServer binds an ephemeral port and close() releases it', async () => {
    const vault = new MemoryVault();
    importWalletSeed(vault, ZEMU_MNEMONIC);
    const server = await startWalletServer({ app: createWalletApp({ vault, review: autoApproveReview() }), port: 0 });
    assert.equal(server.address.host, '127.0.0.1');
    assert.ok(server.address.port > 0);
    await server.close();
  });

  it('parseApduListen', () => {
    assert.deepEqual(parseApduListen('127.0.0.1:9999'), { host: '127.0.0.1', port: 9999 });
    assert.deepEqual(parseApduListen('0.0.0.0:40000'), { host: '0.0.0.0', port: 40000 });
    assert.deepEqual(parseApduListen(':1234'), { host: '127.0.0.1', port: 1234 });
    assert.deepEqual(parseApduListen('5555'), { host: '127.0.0.1', port: 5555 });
    assert.deepEqual(parseApduListen('localhost'), { host: 'localhost', port: 9999 });
    assert.deepEqual(parseApduListen('[::1]:9999'), { host: '::1', port: 9999 });
    assert.throws(() => parseApduListen('host:99999'), RangeError);
    assert.throws(() => parseApduListen('a:b:c'), RangeError);
  });
});
