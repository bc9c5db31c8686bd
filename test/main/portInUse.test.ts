/**
 * `softkey start` with an address already in use names the flag that chooses another (issue 18
 * item 7), for every listener, and releases the data directory on the way out.
 * Ports are taken on loopback inside the test's network namespace (npm test runs under unshare -n).
 */
import '../helpers/tempHome.js';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createServer, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import { main } from '../../src/cli/main.js';
import { tempDir } from '../store/helpers.js';

async function takeTcp(): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise((r) => server.close(() => r())) };
}

async function takeUdp(): Promise<{ port: number; close(): Promise<void> }> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: socket.address().port, close: () => new Promise((r) => socket.close(() => r())) };
}

/** Runs `softkey start`; stops it (SIGINT) should it come up despite the taken port. */
async function start(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['start', ...argv], {
    out: (s) => {
      out.push(s);
      if (s.includes('press Ctrl-C')) setImmediate(() => process.emit('SIGINT'));
    },
    err: (s) => err.push(s),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const quiet = ['--udp', '127.0.0.1:0', '--no-apdu', '--no-panel'];

test('each listener of softkey start names its flag when its address is taken', async (t) => {
  const dir = tempDir(t);
  const cases: Array<
    [flag: string, take: () => Promise<{ port: number; close(): Promise<void> }>, args: (port: number) => string[]]
  > = [
    ['--udp', takeUdp, (p) => ['--udp', `127.0.0.1:${p}`, '--no-apdu', '--no-panel']],
    ['--apdu', takeTcp, (p) => ['--udp', '127.0.0.1:0', '--apdu', `127.0.0.1:${p}`, '--no-panel']],
    ['--usbip', takeTcp, (p) => [...quiet, '--usbip', `127.0.0.1:${p}`]],
    ['--tcp-hid', takeTcp, (p) => [...quiet, '--tcp-hid', `127.0.0.1:${p}`]],
    ['--ws', takeTcp, (p) => [...quiet, '--ws', `127.0.0.1:${p}`]],
    ['--bridge', takeTcp, (p) => [...quiet, '--bridge', `127.0.0.1:${p}`]],
    ['--demo', takeTcp, (p) => [...quiet, '--bridge', '127.0.0.1:0', '--demo', `127.0.0.1:${p}`]],
    ['--panel', takeTcp, (p) => ['--udp', '127.0.0.1:0', '--no-apdu', '--panel', `127.0.0.1:${p}`]],
  ];
  for (const [flag, take, args] of cases) {
    const taken = await take();
    try {
      const r = await start(['--data-dir', dir, ...args(taken.port)]);
      assert.equal(r.code, 1, `${flag}: ${r.out}\n${r.err}`);
      const expected = `127\\.0\\.0\\.1:${taken.port} is already in use .*\\(EADDRINUSE\\): choose another address with ${flag} HOST:PORT`;
      assert.match(r.err, new RegExp(expected), flag);
    } finally {
      await taken.close();
    }
  }
});
