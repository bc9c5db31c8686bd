/**
 * The HID report port and the transport table (issue #17 step 4): attachHid connects any port to
 * any front (reports in and out, re-plug, magic reboot), and every port a transport file offers is
 * a row of HID_TRANSPORTS (UDP, always on, is opened by the fronts' own wiring).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { CtapHidDevice } from '../../src/ctaphid/channels.js';
import { attachHid, type HidFront, type PowerCycleOptions } from '../../src/main/hidFront.js';
import {
  HID_TRANSPORTS,
  hidTransportDefaults,
  hidTransportFlags,
  hidTransportHelp,
  planHidTransports,
} from '../../src/main/hidTransports.js';
import { portEvents, type HidReportPort } from '../../src/transport/hidPort.js';
import { REPO_ROOT } from '../helpers/paths.js';

/** A front whose CtapHidDevices record what reaches them. */
function recordingFront() {
  const log: string[] = [];
  const sends: Array<(report: Uint8Array) => void> = [];
  const front: HidFront = {
    createHidDevice(send) {
      sends.push(send);
      const n = sends.length;
      return {
        receive: (report: Uint8Array) => log.push(`hid${n} receive ${report[0]}`),
        powerCycle: (o: PowerCycleOptions = {}) => log.push(`hid${n} powerCycle ${JSON.stringify(o)}`),
      } as unknown as CtapHidDevice;
    },
    powerCycle: (o: PowerCycleOptions = {}) => log.push(`front powerCycle ${JSON.stringify(o)}`),
  };
  return { front, log, sends };
}

function fakePort() {
  const { events, receivers } = portEvents();
  const sent: Uint8Array[] = [];
  const port: HidReportPort = { description: 'fake', ...receivers, send: (r) => sent.push(r), close: async () => {} };
  return { port, events, sent };
}

describe('attachHid', () => {
  it('connects a port to a new CtapHidDevice of the front, both ways', () => {
    const { front, log, sends } = recordingFront();
    const a = fakePort();
    const b = fakePort();
    assert.equal(attachHid(front, a.port), a.port);
    attachHid(front, b.port);
    a.events.report(new Uint8Array([1]));
    b.events.report(new Uint8Array([2]));
    assert.deepEqual(log, ['hid1 receive 1', 'hid2 receive 2']);
    sends[1]!(new Uint8Array([7]));
    assert.deepEqual([a.sent.length, b.sent[0]?.[0]], [0, 7], 'a device answers on its own port');
  });

  it("a re-plug forgets that port's channels; a magic reboot power-cycles the front and keeps them", () => {
    const { front, log } = recordingFront();
    const a = fakePort();
    attachHid(front, a.port);
    a.events.replug();
    a.events.reboot();
    assert.deepEqual(log, ['hid1 powerCycle {}', 'front powerCycle {"keepChannels":true}']);
  });
});

describe('HID_TRANSPORTS', () => {
  it('has a row for every port a transport file offers (besides UDP, which the fronts open)', () => {
    const dir = join(REPO_ROOT, 'src/transport');
    const ports = readdirSync(dir)
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) =>
        [...readFileSync(join(dir, f), 'utf8').matchAll(/^export async function (\w+Port)\(/gm)].map((m) => m[1]!),
      );
    const table = readFileSync(join(REPO_ROOT, 'src/main/hidTransports.ts'), 'utf8');
    assert.ok(ports.length >= 5, ports.join(', '));
    for (const port of ports.filter((p) => p !== 'udpHidPort'))
      assert.match(table, new RegExp(`\\b${port}\\(`), `${port} has no row`);
  });

  it('derives the flags, their defaults, the help lines and the plan from the rows', () => {
    const flags = hidTransportFlags();
    for (const t of HID_TRANSPORTS) {
      assert.equal(flags[t.flag]?.type, t.defaultAddress === undefined ? 'boolean' : 'string', t.flag);
      assert.equal(hidTransportDefaults()[`--${t.flag}`], t.defaultAddress, t.flag);
      assert.match(hidTransportHelp(), new RegExp(`^ {6}--${t.flag}\\b`, 'm'), t.flag);
    }
    const plan = planHidTransports({ 'tcp-hid': '127.0.0.1:9', uhid: true, ws: undefined });
    assert.deepEqual(
      plan.map((p) => [p.transport.flag, p.address]),
      [
        ['uhid', undefined],
        ['tcp-hid', { host: '127.0.0.1', port: 9 }],
      ],
    );
    assert.throws(() => planHidTransports({ usbip: 'here' }), /--usbip must be HOST:PORT/);
  });
});
