/**
 * Interop, split mode over TCP HID (issue #17): every python-fido2 0.9.1 suite that
 * pythonFido2Split.test.ts runs against `softkey start --split` over UDP runs again with every
 * CTAPHID report on TCP HID (`--tcp-hid`, 2-byte length framing; the power cycles the suites ask
 * for stay out of band, on the device's UDP port). One split device serves the default-profile
 * suites in turn, with an authenticatorReset between two (after a power cycle, as a user would
 * reset the key), so the file starts three devices, not seven; the ctap20 and badge profiles get
 * their own.
 */
import '../helpers/tempHome.js';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it, after, before } from 'node:test';
import { main } from '../../src/cli/main.js';
import { Command } from '../../src/ctap2/commands.js';
import { encodeSimpleCommand } from '../../src/ctap2/hostCodec.js';
import { Status } from '../../src/ctap2/status.js';
import { connectSoftKey } from '../../src/main/softkey.js';
import { runPythonSuite, SHORT_RESET_WINDOW_MS } from './pythonSuite.js';
import { freeTcpPort, startSoftkeyProcess, type SoftkeyProcess } from './startDevice.js';

const OVER_TCP = /CTAPHID over TCP/;

/** The suites of the default profile, with their check counts (as pythonFido2Split.test.ts has them). */
const SUITES = [
  { script: 'flows.py', expectedChecks: 55, resetWindowMs: SHORT_RESET_WINDOW_MS },
  { script: 'flows_split.py', expectedChecks: 20 },
  { script: 'flows_manage.py', expectedChecks: 44 },
  { script: 'flows_extensions.py', expectedChecks: 41 },
  { script: 'flows_ctap1.py', expectedChecks: 21 },
  { script: 'flows_ctap23.py', expectedChecks: 10 },
];

/** authenticatorReset (CTAP 2.1 §6.6) within its window after a power cycle, over the device's UDP port. */
async function resetKey(device: SoftkeyProcess): Promise<void> {
  const key = await connectSoftKey({
    udp: `${device.host}:${device.udpPort}`,
    replyTo: `${device.host}:${device.replyPort}`,
  });
  try {
    key.powerCycle();
    const r = await key.cbor(encodeSimpleCommand(Command.authenticatorReset));
    assert.equal(r[0], Status.CTAP2_OK, `authenticatorReset between suites answered 0x${r[0]?.toString(16)}`);
  } finally {
    await key.close();
  }
}

describe('python-fido2 0.9.1 drives softkey --split over TCP HID', { timeout: 900_000 }, () => {
  let device: SoftkeyProcess;
  let port: number;
  before(async () => {
    port = await freeTcpPort();
    device = await startSoftkeyProcess({
      args: ['--split', '--tcp-hid', `127.0.0.1:${port}`, '--reset-window-ms', String(SHORT_RESET_WINDOW_MS)],
      readyPattern: OVER_TCP,
    });
  });
  after(() => device?.stop());

  SUITES.forEach((suite, i) => {
    it(`${suite.script} (split, TCP HID)`, { timeout: 240_000 }, async (t) => {
      if (i > 0) await resetKey(device); // each suite starts from a key as new
      await runPythonSuite(t, {
        ...suite,
        running: device,
        scriptArgs: ['--tcp-hid-port', String(port)],
        label: `python-fido2 split TCP HID ${suite.script}`,
      });
    });
  });

  it('flows_ctap20.py with --profile ctap20 (split, TCP HID)', { timeout: 240_000 }, async (t) => {
    const own = await freeTcpPort();
    await runPythonSuite(t, {
      script: 'flows_ctap20.py',
      expectedChecks: 22,
      device: {
        args: ['--split', '--no-apdu', '--profile', 'ctap20', '--tcp-hid', `127.0.0.1:${own}`],
        readyPattern: OVER_TCP,
      },
      scriptArgs: ['--tcp-hid-port', String(own)],
      label: 'python-fido2 split TCP HID ctap20',
    });
  });

  it('flows_badge.py with --profile badge (split, TCP HID)', { timeout: 240_000 }, async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'softkey-split-tcp-badge-'));
    t.after(() => rmSync(dataDir, { recursive: true, force: true }));
    const code = await main(['pin', 'set', '--data-dir', dataDir], {
      out: () => {},
      err: (s) => t.diagnostic(s),
      stdin: Readable.from(['1234\n']),
    });
    assert.equal(code, 0);
    const own = await freeTcpPort();
    await runPythonSuite(t, {
      script: 'flows_badge.py',
      expectedChecks: 15,
      device: {
        dataDir,
        args: ['--split', '--no-apdu', '--profile', 'badge', '--tcp-hid', `127.0.0.1:${own}`],
        readyPattern: OVER_TCP,
      },
      scriptArgs: ['--tcp-hid-port', String(own)],
      label: 'python-fido2 split TCP HID badge',
    });
  });
});
