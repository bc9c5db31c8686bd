import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { after, describe, it } from 'node:test';
import { CtapHidDevice } from '../../src/ctaphid/channels.js';
import { realScheduler } from '../../src/ctaphid/handler.js';
import { CtapHidHost } from '../../src/ctaphid/hostDevice.js';
import { toHex } from '../../src/encoding/bytes.js';
import {
  connectUdpHost,
  DEFAULT_DEVICE_PORT,
  DEFAULT_REPLY_PORT,
  MAGIC_REBOOT_REPORT,
  startUdpDeviceTransport,
  type UdpDeviceTransport,
  type UdpHostTransport,
} from '../../src/transport/udp.js';
import { echoHandler } from '../ctaphid/fakes.js';

const rng = (n: number) => new Uint8Array(randomBytes(n));
const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const close of closers.splice(0)) await close();
});

/** Waits for the next value pushed through `register`. */
function nextValue<T>(register: (cb: (v: T) => void) => void): Promise<T> {
  return new Promise((resolve) => register(resolve));
}

/** A device transport and a host transport on ephemeral loopback ports, wired to each other. */
async function endpoints(onReport: (r: Uint8Array) => void, onPowerCycle?: () => void) {
  const device = await startUdpDeviceTransport({
    host: '127.0.0.1',
    port: 0,
    onReport,
    ...(onPowerCycle && { onPowerCycle }),
  });
  const host = await connectUdpHost({ devicePort: device.address.port, bindPort: 0 });
  device.setReplyAddress('127.0.0.1', host.address.port);
  closers.push(
    () => device.close(),
    () => host.close(),
  );
  return { device, host };
}

describe('UDP transport (solo simulation convention)', () => {
  it('defaults to device 127.0.0.1:8111 replying to 127.0.0.1:7112, and a known magic reboot report', () => {
    assert.equal(DEFAULT_DEVICE_PORT, 8111);
    assert.equal(DEFAULT_REPLY_PORT, 7112);
    assert.equal(MAGIC_REBOOT_REPORT.length, 64);
    assert.equal(
      toHex(MAGIC_REBOOT_REPORT),
      'ac1052ca95e569de69e02ebff333485f13f9b2da34c5a8a340526697a9ab2e0b394d8d04973c134005be1a0140bff6045bb26eb77a73eaa47813f6b49a7250dc',
    );
  });

  it('carries one raw 64-byte report per datagram in both directions', async () => {
    const received: Uint8Array[] = [];
    let arrived: () => void = () => {};
    const { device, host } = await endpoints((r) => {
      received.push(r);
      arrived();
    });
    const report = Uint8Array.from({ length: 64 }, (_, i) => i);
    const got = new Promise<void>((resolve) => (arrived = resolve));
    host.send(report);
    await got;
    assert.deepEqual(received, [report]);

    const back = nextValue<Uint8Array>((cb) => host.onReport(cb));
    const answer = new Uint8Array(64).fill(0x5a);
    device.send(answer);
    assert.deepEqual(await back, answer);
    assert.equal(device.replyAddress.port, host.address.port);
  });

  it('drops datagrams that are not 64 bytes and turns the magic report into onPowerCycle', async () => {
    const received: Uint8Array[] = [];
    let powerCycles = 0;
    let arrived: () => void = () => {};
    const { device } = await endpoints(
      (r) => {
        received.push(r);
        arrived();
      },
      () => powerCycles++,
    );
    const raw = dgram.createSocket('udp4');
    closers.push(() => new Promise((resolve) => raw.close(() => resolve())));
    const sendRaw = (b: Uint8Array) =>
      new Promise<void>((resolve, reject) =>
        raw.send(b, device.address.port, '127.0.0.1', (e) => (e ? reject(e) : resolve())),
      );
    const got = new Promise<void>((resolve) => (arrived = resolve));
    await sendRaw(new Uint8Array(0));
    await sendRaw(new Uint8Array(63).fill(1));
    await sendRaw(new Uint8Array(65).fill(2));
    await sendRaw(MAGIC_REBOOT_REPORT);
    await sendRaw(new Uint8Array(64).fill(3)); // loopback keeps order: it arrives last
    await got;
    assert.equal(received.length, 1);
    assert.deepEqual(received[0], new Uint8Array(64).fill(3));
    assert.equal(powerCycles, 1);
  });

  it('refuses to send reports that are not 64 bytes', async () => {
    const { device, host } = await endpoints(() => {});
    assert.throws(() => device.send(new Uint8Array(65)), RangeError);
    assert.throws(() => host.send(new Uint8Array(8)), RangeError);
  });

  it('reports a port already in use', async () => {
    const first = await startUdpDeviceTransport({ port: 0, onReport: () => {} });
    closers.push(() => first.close());
    await assert.rejects(startUdpDeviceTransport({ port: first.address.port, onReport: () => {} }), {
      code: 'EADDRINUSE',
    });
  });
});

describe('CtapHidHost over UDP to CtapHidDevice', () => {
  async function stack(options: { hostFirst?: boolean } = {}) {
    let device: UdpDeviceTransport;
    let host: UdpHostTransport;
    let ctap: CtapHidDevice | undefined;
    const onReport = (r: Uint8Array) => ctap?.receive(r);
    const onPowerCycle = () => ctap?.powerCycle();
    if (options.hostFirst) {
      // The convention: the client binds the reply address the device is configured with.
      const probe = await startUdpDeviceTransport({ port: 0, onReport: () => {} });
      const devicePort = probe.address.port;
      await probe.close();
      host = await connectUdpHost({ devicePort, bindPort: 0 });
      device = await startUdpDeviceTransport({
        port: devicePort,
        replyPort: host.address.port,
        onReport,
        onPowerCycle,
      });
    } else {
      device = await startUdpDeviceTransport({ port: 0, onReport, onPowerCycle });
      host = await connectUdpHost({ devicePort: device.address.port, bindPort: 0 });
      device.setReplyAddress('127.0.0.1', host.address.port);
    }
    closers.push(
      () => device.close(),
      () => host.close(),
    );
    ctap = new CtapHidDevice({
      handler: echoHandler,
      send: (r) => device.send(r),
      scheduler: realScheduler,
      rng,
      deviceVersion: [0, 1, 0],
    });
    const client = new CtapHidHost(host, { rng });
    return { client, host, ctap };
  }

  it('INIT, PING of a full-size message, CBOR and MSG', async () => {
    const { client } = await stack();
    const info = await client.init();
    assert.deepEqual(info.deviceVersion, [0, 1, 0]);
    const big = rng(7609);
    assert.deepEqual(await client.ping(big), big);
    assert.deepEqual(await client.cbor(Uint8Array.of(0x04)), Uint8Array.of(0x04));
    assert.deepEqual(await client.msg(Uint8Array.of(0, 3, 0, 0)), Uint8Array.of(0, 3, 0, 0));
  });

  it('survives the magic reboot: the client re-initialises on INVALID_CHANNEL', async () => {
    const { client, host, ctap } = await stack({ hostFirst: true });
    const first = (await client.init()).cid;
    const rebooted = new Promise<void>((resolve) => {
      const original = ctap.powerCycle.bind(ctap);
      ctap.powerCycle = () => {
        original();
        resolve();
      };
    });
    host.sendPowerCycle();
    await rebooted;
    assert.equal(ctap.channelCount, 0);
    assert.deepEqual(await client.ping(Uint8Array.of(1, 2, 3)), Uint8Array.of(1, 2, 3));
    assert.notEqual(client.cid, first);
  });
});
