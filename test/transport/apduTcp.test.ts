/**
 * The Speculos APDU TCP framing (src/transport/apduTcp.ts): length prefixes, frames split or
 * coalesced by TCP, one write per response, in-order answers, abort on disconnect, and the real
 * @ledgerhq/hw-transport-node-speculos client.
 */
import assert from 'node:assert/strict';
import { connect, Socket } from 'node:net';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type * as SpeculosModule from '@ledgerhq/hw-transport-node-speculos';
import {
  encodeRequestFrame,
  encodeResponseFrame,
  RequestFrameReader,
  startApduTcpServer,
} from '../../src/transport/apduTcp.js';

const require = createRequire(import.meta.url);
const SpeculosTransport = (require('@ledgerhq/hw-transport-node-speculos') as (typeof SpeculosModule)['default'])
  .default;

const echo = async (apdu: Uint8Array) => Uint8Array.of(...apdu, 0x90, 0x00);

async function rawClient(port: number) {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((r) => socket.once('connect', () => r()));
  let buf = Buffer.alloc(0);
  const waiters: Array<() => void> = [];
  socket.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    for (const w of waiters.splice(0)) w();
  });
  return {
    socket,
    async frame(): Promise<Buffer> {
      while (buf.length < 4 || buf.length < 6 + buf.readUInt32BE(0)) await new Promise<void>((r) => waiters.push(r));
      const n = 6 + buf.readUInt32BE(0);
      const f = buf.subarray(0, n);
      buf = buf.subarray(n);
      return f;
    },
  };
}

describe('Speculos APDU framing', () => {
  it('response length excludes the status word', () => {
    assert.deepEqual([...encodeResponseFrame(Uint8Array.of(1, 2, 3, 0x90, 0x00))], [0, 0, 0, 3, 1, 2, 3, 0x90, 0x00]);
    assert.deepEqual([...encodeResponseFrame(Uint8Array.of(0x6d, 0x00))], [0, 0, 0, 0, 0x6d, 0x00]);
    assert.deepEqual([...encodeRequestFrame(Uint8Array.of(6, 0, 0, 0, 0))], [0, 0, 0, 5, 6, 0, 0, 0, 0]);
  });

  it('the request reader reassembles any split of any frame sequence', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (apdus, cuts) => {
          const stream = Buffer.concat(apdus.map((a) => encodeRequestFrame(a)));
          const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
          const reader = new RequestFrameReader();
          const got: Uint8Array[] = [];
          let prev = 0;
          for (const p of [...points, stream.length]) {
            got.push(...reader.push(new Uint8Array(stream.subarray(prev, p))));
            prev = p;
          }
          assert.deepEqual(
            got.map((g) => Buffer.from(g).toString('hex')),
            apdus.map((a) => Buffer.from(a).toString('hex')),
          );
        },
      ),
    );
  });

  it('coalesced and split frames are answered in order, each response in one write', async () => {
    const writes: number[] = [];
    const server = await startApduTcpServer({ port: 0, onApdu: echo });
    const original = Socket.prototype.write;
    Socket.prototype.write = function (this: Socket, ...args: Parameters<Socket['write']>) {
      if (this.localPort === server.address.port) writes.push((args[0] as Uint8Array).length);
      return original.apply(this, args);
    } as Socket['write'];
    const c = await rawClient(server.address.port);
    try {
      const a = encodeRequestFrame(Uint8Array.of(1, 2, 3));
      const b = encodeRequestFrame(new Uint8Array(250).fill(7));
      c.socket.write(Buffer.concat([a, b.subarray(0, 10)]));
      await new Promise((r) => setTimeout(r, 20));
      c.socket.write(b.subarray(10));
      const fa = await c.frame();
      const fb = await c.frame();
      assert.equal(fa.toString('hex'), '00000003010203' + '9000');
      assert.equal(fb.readUInt32BE(0), 250);
      assert.equal(fb.length, 4 + 252);
      assert.deepEqual(writes, [4 + 5, 4 + 252]);
    } finally {
      Socket.prototype.write = original;
      c.socket.destroy();
      await server.close();
    }
  });

  it('a client that disconnects aborts its pending APDU', async () => {
    let signal: AbortSignal | undefined;
    const server = await startApduTcpServer({
      port: 0,
      onApdu: (_apdu, ctx) => {
        signal = ctx.signal;
        return new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve(Uint8Array.of(0x69, 0x86))));
      },
    });
    const c = await rawClient(server.address.port);
    c.socket.write(encodeRequestFrame(Uint8Array.of(6, 2, 2, 0, 0)));
    while (!signal) await new Promise((r) => setTimeout(r, 5));
    assert.equal(signal.aborted, false);
    c.socket.destroy();
    await new Promise<void>((r) => signal!.addEventListener('abort', () => r()));
    assert.equal(signal.aborted, true);
    await server.close();
  });

  it('an oversized frame closes that connection; the server keeps serving', async () => {
    const errors: unknown[] = [];
    const server = await startApduTcpServer({ port: 0, onApdu: echo, onError: (e) => errors.push(e) });
    const bad = await rawClient(server.address.port);
    const closed = new Promise<void>((r) => bad.socket.once('close', () => r()));
    bad.socket.write(Buffer.from([0x7f, 0xff, 0xff, 0xff]));
    await closed;
    assert.equal(errors.length, 1);
    const good = await rawClient(server.address.port);
    good.socket.write(encodeRequestFrame(Uint8Array.of(9)));
    assert.equal((await good.frame()).toString('hex'), '00000001099000');
    good.socket.destroy();
    await server.close();
  });

  it('@ledgerhq/hw-transport-node-speculos exchanges unchanged', async () => {
    const server = await startApduTcpServer({
      port: 0,
      onApdu: async (apdu) => Uint8Array.of(...apdu.subarray(5), 0x90, 0x00),
    });
    const transport = await SpeculosTransport.open({ apduPort: server.address.port });
    try {
      const r = await transport.send(0x06, 0x00, 0, 0, Buffer.from('abcdef', 'hex'));
      assert.equal(r.toString('hex'), 'abcdef9000');
      const big = Buffer.alloc(255, 0x5a);
      assert.equal((await transport.send(0x06, 0x00, 0, 0, big)).length, 257);
    } finally {
      await transport.close();
      await server.close();
    }
  });
});
