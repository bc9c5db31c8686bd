/**
 * The Filecoin app in split mode: `softkey start --split --apdu` forwards each APDU to the secure
 * core (apduRequest 0x0115), whose vault holds the seed; driven by the unmodified Zondax client over
 * @ledgerhq/hw-transport-node-speculos after `softkey wallet import` of the Zemu test mnemonic.
 */
import '../helpers/tempHome.js';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, it } from 'node:test';
import { FilecoinApp } from '@zondax/ledger-filecoin';
import { walletCommand } from '../../src/cli/walletCommands.js';
import { openDataDir } from '../../src/main/dataDir.js';
import { ADDRESS_VECTORS, SpeculosTransport, ZEMU_MNEMONIC, hex } from '../wallet/helpers.js';
import { randomPort, startSoftkeyProcess } from '../interop/startDevice.js';

const dataDir = mkdtempSync(join(tmpdir(), 'softkey-split-wallet-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

it(
  'softkey start --split --apdu: the Zondax client gets the imported seed’s addresses from the secure core',
  { timeout: 120_000 },
  async () => {
    const err: string[] = [];
    const code = await walletCommand(['import', '--data-dir', dataDir], {
      stdin: Readable.from([ZEMU_MNEMONIC + '\n']),
      stdout: () => {},
      stderr: (s) => err.push(s),
      openVault: (dir) => openDataDir(dir),
    });
    assert.equal(code, 0, err.join('\n'));

    const apduPort = randomPort();
    const device = await startSoftkeyProcess({
      dataDir,
      args: ['--split', '--apdu', `127.0.0.1:${apduPort}`],
      readyPattern: /Filecoin app .* listening/,
    });
    const transport = await SpeculosTransport.open({ apduPort, host: '127.0.0.1' });
    try {
      const fil = new FilecoinApp(transport);
      assert.equal((await fil.getVersion()).major, 2);
      for (const v of ADDRESS_VECTORS) {
        const r = await fil.getAddressAndPubKey(v.path);
        assert.equal(hex(new Uint8Array(r.compressed_pk)), v.pk, v.path);
        assert.equal(r.addrString, v.addrS, v.path);
      }
    } finally {
      await transport.close();
      await device.stop();
    }
    assert.match(
      device.output(),
      /Filecoin app \(APDU, Speculos protocol, in the secure core\) listening on 127\.0\.0\.1:\d+/,
    );
  },
);
