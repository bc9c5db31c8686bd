/** TCP HID transport (pico-fido emulation framing: u16 BE length ‖ report) and CTAPHID over it. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { Command } from '../../src/ctap2/commands.js';
import { parseAuthenticatorData } from '../../src/ctap2/authenticatorData.js';
import { encodeSimpleCommand } from '../../src/ctap2/hostCodec.js';
import { decodeGetAssertionResponse, encodeGetAssertionRequest } from '../../src/ctap2/getAssertion.js';
import { decodeGetInfoResponse } from '../../src/ctap2/getInfo.js';
import { decodeMakeCredentialResponse, encodeMakeCredentialRequest } from '../../src/ctap2/makeCredential.js';
import { CtapHidHost } from '../../src/ctaphid/hostDevice.js';
import { verifySignature } from '../../src/crypto/credentialKeys.js';
import { decodeCoseKey } from '../../src/encoding/cose.js';
import { toHex } from '../../src/encoding/bytes.js';
import { openDevice } from '../../src/main/device.js';
import { attachHid } from '../../src/main/hidFront.js';
import { hidTransport } from '../../src/main/hidTransports.js';
import type { tcpHidPort } from '../../src/transport/tcpHid.js';
import {
  connectTcpHid,
  DEFAULT_TCP_HID_PORT,
  encodeFrame,
  FrameReader,
  startTcpHidServer,
  type TcpHidConnection,
} from '../../src/transport/tcpHid.js';

/** Fails a test that hangs waiting for a message (not a timing assertion). */
const GUARD_MS = 30_000;
const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
const rng = (n: number) => new Uint8Array(randomBytes(n));

function rawClient(
  port: number,
): Promise<{ socket: Socket; frames: Uint8Array[]; next(): Promise<Uint8Array>; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      const reader = new FrameReader();
      const frames: Uint8Array[] = [];
      let wake: (() => void) | undefined;
      socket.on('data', (chunk: Buffer) => {
        frames.push(...reader.push(new Uint8Array(chunk)));
        wake?.();
      });
      const closed = new Promise<void>((r) => socket.once('close', () => r()));
      cleanups.push(() => void socket.destroy());
      resolve({
        socket,
        frames,
        async next() {
          while (frames.length === 0) await new Promise<void>((r) => (wake = r));
          return frames.shift()!;
        },
        closed,
      });
    });
    socket.once('error', reject);
  });
}

describe('TCP HID framing', () => {
  it('listens on 35962 by default and frames a report as a 2-byte big-endian length and the bytes', () => {
    assert.equal(DEFAULT_TCP_HID_PORT, 35962);
    assert.equal(toHex(encodeFrame(Uint8Array.of(0xaa, 0xbb, 0xcc))), '0003aabbcc');
    assert.equal(toHex(encodeFrame(new Uint8Array(64)).subarray(0, 2)), '0040');
  });

  it('reassembles frames split anywhere and several in one chunk', () => {
    const a = Uint8Array.from({ length: 64 }, (_, i) => i);
    const b = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    const stream = Uint8Array.of(...encodeFrame(a), ...encodeFrame(b), ...encodeFrame(new Uint8Array(0)));
    for (const cut of [1, 2, 3, 66, 67, 100, stream.length - 1]) {
      const reader = new FrameReader();
      const frames = [...reader.push(stream.subarray(0, cut)), ...reader.push(stream.subarray(cut))];
      assert.deepEqual(frames, [a, b, new Uint8Array(0)], `cut at ${cut}`);
    }
  });
});

describe('TCP HID server', () => {
  it(
    'takes reports written as length then report (as pico-fido’s python client does), or with a 0 report ID; answers the current connection',
    { timeout: GUARD_MS },
    async () => {
      const received: [Uint8Array, TcpHidConnection][] = [];
      let arrived: () => void = () => {};
      const server = await startTcpHidServer({
        port: 0,
        onReport: (r, c) => {
          received.push([r, c]);
          arrived();
        },
      });
      cleanups.push(() => server.close());
      const one = await rawClient(server.address.port);
      const two = await rawClient(server.address.port);
      const report = Uint8Array.from({ length: 64 }, (_, i) => 200 - i);

      let got = new Promise<void>((r) => (arrived = r));
      one.socket.write(Uint8Array.of(0x00, 0x40));
      await new Promise((r) => setImmediate(r));
      one.socket.write(report);
      await got;
      server.send(new Uint8Array(64).fill(1));
      assert.deepEqual(await one.next(), new Uint8Array(64).fill(1));

      got = new Promise<void>((r) => (arrived = r));
      two.socket.write(encodeFrame(Uint8Array.of(0, ...report)));
      await got;
      server.send(new Uint8Array(64).fill(2));
      assert.deepEqual(await two.next(), new Uint8Array(64).fill(2));
      assert.deepEqual(
        received.map(([r]) => r),
        [report, report],
      );
      assert.notEqual(received[0]![1], received[1]![1]);
      assert.equal(server.connectionCount, 2);
      assert.deepEqual(one.frames, [], 'the other connection got nothing');
      assert.throws(() => server.send(new Uint8Array(10)), RangeError);
    },
  );

  it(
    'closes a connection that sends a frame that is not a report, saying so once in one line',
    { timeout: GUARD_MS },
    async () => {
      const errors: unknown[] = [];
      const refused: string[] = [];
      const server = await startTcpHidServer({
        port: 0,
        onReport: () => assert.fail('not a report'),
        onError: (e) => errors.push(e),
        onRefused: (r) => refused.push(r),
      });
      cleanups.push(() => server.close());
      const client = await rawClient(server.address.port);
      const bad = encodeFrame(new Uint8Array(10));
      client.socket.write(Buffer.concat(Array.from({ length: 50 }, () => bad)));
      await client.closed;
      assert.deepEqual(errors, [], 'no error (stack trace) for a client mistake');
      assert.equal(refused.length, 1, 'fifty bad frames, one line');
      assert.match(refused[0]!, /^frame of 10 bytes from .* is not a 64-byte report; connection closed$/);

      // A length prefix over one report is refused when the prefix arrives, not after 65535 bytes.
      const big = await rawClient(server.address.port);
      big.socket.write(Uint8Array.of(0xff, 0xff, 1, 2, 3));
      await big.closed;
      assert.equal(refused.length, 2);
      assert.match(refused[1]!, /frame of 65535 bytes/);
    },
  );
});

describe('CtapHidHost over connectTcpHid ↔ the --tcp-hid port', () => {
  it('runs INIT, getInfo, makeCredential and getAssertion', { timeout: GUARD_MS }, async () => {
    const device = await openDevice({ dataDir: ':memory:', presence: { request: async () => 'approved' } });
    cleanups.push(() => device.close());
    const served = attachHid(
      device,
      (await hidTransport('tcp-hid').open({ host: '127.0.0.1', port: 0 }, {})) as Awaited<
        ReturnType<typeof tcpHidPort>
      >,
    );
    cleanups.push(() => served.close());
    assert.match(served.description, /127\.0\.0\.1:\d+/);
    const pipe = await connectTcpHid({ port: served.address.port });
    cleanups.push(() => pipe.close());
    const host = new CtapHidHost(pipe, { rng });

    const info = await host.init();
    assert.deepEqual(info.deviceVersion, [0, 1, 0]);
    const gi = decodeGetInfoResponse(await host.cbor(encodeSimpleCommand(Command.authenticatorGetInfo)));
    assert.ok(gi.versions.includes('FIDO_2_1'));
    const made = decodeMakeCredentialResponse(
      await host.cbor(
        encodeMakeCredentialRequest({
          clientDataHash: rng(32),
          rp: { id: 'tcp.example' },
          user: { id: Uint8Array.of(4, 2), name: 'carol' },
          pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
          options: { rk: true },
        }),
      ),
    );
    const attested = parseAuthenticatorData(made.authData).attestedCredentialData!;
    const clientDataHash = rng(32);
    const assertion = decodeGetAssertionResponse(
      await host.cbor(encodeGetAssertionRequest({ rpId: 'tcp.example', clientDataHash })),
    );
    assert.deepEqual(assertion.credential.id, attested.credentialId);
    assert.deepEqual(assertion.user?.id, Uint8Array.of(4, 2));
    assert.ok(
      verifySignature(
        decodeCoseKey(attested.credentialPublicKey),
        Uint8Array.of(...assertion.authData, ...clientDataHash),
        assertion.signature,
      ),
    );
  });
});
