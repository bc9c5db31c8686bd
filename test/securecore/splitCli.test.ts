/** `softkey start --split`: flags that split mode cannot honour are usage errors (exit code 2). */
import '../helpers/tempHome.js';
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { main } from '../../src/cli/main.js';
import { Command } from '../../src/ctap2/commands.js';
import { encodeSimpleCommand } from '../../src/ctap2/hostCodec.js';
import { decodeGetInfoResponse } from '../../src/ctap2/getInfo.js';
import { connectSoftKey } from '../../src/main/softkey.js';
import { startSoftkeyProcess } from '../interop/startDevice.js';

it('start --split refuses what split mode cannot do', async () => {
  for (const [args, message] of [
    [['--bridge', '127.0.0.1:1'], /'--bridge'.*not available in split mode/],
    [['--aaguid', '00000000000000000000000000000000'], /'--aaguid'.*not available in split mode/],
    // The HID transports are split mode's too (hidTransports.ts): their flags are checked alike.
    [['--tcp-hid', 'nowhere'], /--tcp-hid must be HOST:PORT/],
    [['--presence', 'maybe'], /--presence must be one of/],
    [['--attestation', 'fido-u2f'], /--attestation must be packed, self or none/],
    [['--profile', 'nope'], /unknown profile "nope"/],
    [['--apdu', '127.0.0.1:1', '--no-apdu'], /--apdu and --no-apdu exclude each other/],
    // The panel shows the core's prompts, so it comes with --presence panel (docs/split.md "Prompts").
    [['--panel', '127.0.0.1:0'], /--panel in split mode shows the prompts of --presence panel/],
    [['--presence', 'panel', '--no-panel'], /--presence panel answers prompts on the device panel/],
    [['--presence', 'panel', '--panel', 'nowhere'], /--panel must be HOST:PORT/],
  ] as const) {
    const err: string[] = [];
    const code = await main(['start', '--split', ...args], { out: () => {}, err: (s) => err.push(s) });
    assert.equal(code, 2, `${args.join(' ')}: exit code`);
    assert.match(err.join('\n'), message);
  }
});

it(
  'start --split accepts --no-panel, --no-bridge and --no-demo (without --presence panel it serves none of them)',
  { timeout: 60_000 },
  async () => {
    const device = await startSoftkeyProcess({ args: ['--split', '--no-panel', '--no-bridge', '--no-demo'] });
    try {
      const client = await connectSoftKey({
        udp: `127.0.0.1:${device.udpPort}`,
        replyTo: `127.0.0.1:${device.replyPort}`,
      });
      try {
        const info = decodeGetInfoResponse(await client.cbor(encodeSimpleCommand(Command.authenticatorGetInfo)));
        assert.ok(info.versions.includes('FIDO_2_0'));
      } finally {
        await client.close();
      }
      assert.match(device.output(), /split: secure core pid \d+/);
    } finally {
      await device.stop();
    }
  },
);
