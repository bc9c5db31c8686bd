/** `softkey start --split`: flags that split mode cannot honour are usage errors (exit code 2). */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { main } from '../../src/cli/main.js';

it('start --split refuses what split mode cannot do', async () => {
  for (const [args, message] of [
    [['--uhid'], /'--uhid'.*not available in split mode/],
    [['--tcp-hid', '127.0.0.1:1'], /'--tcp-hid'.*not available in split mode/],
    [['--presence', 'maybe'], /--presence must be one of/],
    [['--attestation', 'fido-u2f'], /--attestation must be packed, self or none/],
    [['--profile', 'nope'], /unknown profile "nope"/],
    [['--apdu', '127.0.0.1:1', '--no-apdu'], /--apdu and --no-apdu exclude each other/],
  ] as const) {
    const err: string[] = [];
    const code = await main(['start', '--split', ...args], { out: () => {}, err: (s) => err.push(s) });
    assert.equal(code, 2, `${args.join(' ')}: exit code`);
    assert.match(err.join('\n'), message);
  }
});
