/**
 * The CTAPHID channel policy by profile (docs/profiles.md, src/ctaphid/channels.ts), over raw UDP as the
 * SoloKeys fido2-tests suite speaks it (`--sim`): the suite sends PING and CBOR on CIDs it never
 * allocated (0x11223344, 0x05040302). The default and ctap20 profiles serve them as the solo1, canokey
 * and pico-fido firmware do; hidChannels 'allocated' refuses them (ERR_INVALID_CHANNEL, CTAP 2.1 §11.2.4)
 * as OpenSK does. The reports are
 * built and read here byte by byte from §11.2.4's packet layout, not with softkey's codec.
 */
import '../helpers/tempHome.js';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { decode } from 'cbor2';
import { main } from '../../src/cli/main.js';
import { defaultConfig } from '../../src/authenticator/config.js';
import { ProfileError, profileConfig } from '../../src/main/profiles.js';
import { openSoftKey, type SoftKey } from '../../src/main/softkey.js';

const SOLO_CID = 0x11223344;
const CTAPHID_PING = 0x01;
const CTAPHID_CBOR = 0x10;
const CTAPHID_ERROR = 0x3f;
const ERR_INVALID_CHANNEL = 0x0b;

const opened: Array<{ close(): unknown }> = [];
after(async () => {
  for (const c of opened.splice(0)) await c.close();
});

/** A host on a loopback UDP port talking to a softkey opened with `options`, one report per datagram. */
async function udpHost(options: Parameters<typeof openSoftKey>[0]) {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  opened.push({ close: () => new Promise<void>((resolve) => socket.close(() => resolve())) });
  const key: SoftKey = await openSoftKey({
    dataDir: ':memory:',
    udp: '127.0.0.1:0',
    replyTo: `127.0.0.1:${socket.address().port}`,
    ...options,
  });
  opened.push(key);
  const port = Number(key.udpAddress!.split(':').pop());
  const reports: Buffer[] = [];
  let wake = () => {};
  socket.on('message', (m) => {
    reports.push(m);
    wake();
  });
  const nextReport = async (): Promise<Buffer> => {
    while (reports.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    return reports.shift()!;
  };
  /** One single-packet request (payload ≤ 57 bytes); the answer's command and payload. */
  const exchange = async (cid: number, cmd: number, payload: number[]) => {
    const report = Buffer.alloc(64);
    report.writeUInt32BE(cid, 0);
    report[4] = 0x80 | cmd;
    report.writeUInt16BE(payload.length, 5);
    Buffer.from(payload).copy(report, 7);
    socket.send(report, port, '127.0.0.1');
    for (;;) {
      const r = await nextReport();
      assert.equal(r.length, 64);
      assert.equal(r.readUInt32BE(0), cid, 'answered on the request CID');
      const answered = r[4]! & 0x7f;
      if (answered === 0x3b) continue; // KEEPALIVE
      // §11.2.4: an initialization packet (57 payload bytes) then continuation packets (CID, SEQ, 59 bytes).
      const length = r.readUInt16BE(5);
      const parts = [r.subarray(7, 7 + Math.min(length, 57))];
      for (let got = parts[0]!.length, seq = 0; got < length; seq++) {
        const c = await nextReport();
        assert.equal(c.readUInt32BE(0), cid);
        assert.equal(c[4], seq, 'continuation packets in order');
        parts.push(c.subarray(5, 5 + Math.min(length - got, 59)));
        got += parts.at(-1)!.length;
      }
      return { cmd: answered, data: Buffer.concat(parts) };
    }
  };
  return { exchange };
}

describe('CTAPHID channel policy (SoloKeys suite channels over raw UDP)', () => {
  it('ctap20 serves a CID never allocated by INIT: PING echoes, getInfo answers', async () => {
    const { exchange } = await udpHost({ profile: 'ctap20' });
    assert.deepEqual(await exchange(SOLO_CID, CTAPHID_PING, [1, 2, 3]), {
      cmd: CTAPHID_PING,
      data: Buffer.from([1, 2, 3]),
    });
    const info = await exchange(SOLO_CID, CTAPHID_CBOR, [0x04]);
    assert.equal(info.cmd, CTAPHID_CBOR);
    assert.equal(info.data[0], 0x00, 'CTAP2_OK');
    const versions = (decode(info.data.subarray(1)) as Map<number, unknown>).get(1);
    assert.deepEqual(versions, ['U2F_V2', 'FIDO_2_0']);
    // CID 0 stays reserved under 'any' (§11.2.3).
    assert.deepEqual(await exchange(0, CTAPHID_PING, [1]), {
      cmd: CTAPHID_ERROR,
      data: Buffer.from([ERR_INVALID_CHANNEL]),
    });
  });

  it('the default profile serves the same CID; config hidChannels "allocated" refuses it (§11.2.4)', async () => {
    const lenient = await udpHost({});
    assert.deepEqual(await lenient.exchange(SOLO_CID, CTAPHID_PING, [9]), {
      cmd: CTAPHID_PING,
      data: Buffer.from([9]),
    });
    const info = await lenient.exchange(SOLO_CID, CTAPHID_CBOR, [0x04]);
    assert.equal(info.data[0], 0x00, 'CTAP2_OK');
    assert.ok(((decode(info.data.subarray(1)) as Map<number, unknown>).get(1) as string[]).includes('FIDO_2_1'));
    const strict = await udpHost({ config: { hidChannels: 'allocated' } });
    assert.deepEqual(await strict.exchange(SOLO_CID, CTAPHID_PING, [1, 2, 3]), {
      cmd: CTAPHID_ERROR,
      data: Buffer.from([ERR_INVALID_CHANNEL]),
    });
  });
});

describe('hidChannels in profiles and on the command line', () => {
  it('default "any", ctap20 "any"; a file may set it; other values are refused by name', () => {
    assert.equal(profileConfig('default').hidChannels, undefined, 'the default config');
    assert.equal(defaultConfig().hidChannels, 'any');
    assert.equal(profileConfig('ctap20').hidChannels, 'any');
    assert.equal(profileConfig('badge').hidChannels, undefined);
    assert.equal(profileConfig({ base: 'ctap20', behaviour: { hidChannels: 'allocated' } }).hidChannels, 'allocated');
    assert.throws(
      () => profileConfig({ behaviour: { hidChannels: 'all' as never } }),
      (e: unknown) =>
        e instanceof ProfileError && /behaviour\.hidChannels must be one of allocated, any/.test(e.message),
    );
  });

  it('--hid-channels takes allocated or any; anything else is a usage error', async () => {
    const err: string[] = [];
    const code = await main(['start', '--hid-channels', 'some', '--data-dir', ':memory:'], {
      out: () => {},
      err: (s) => err.push(s),
      stdin: Readable.from([]),
    });
    assert.equal(code, 2);
    assert.match(err.join('\n'), /--hid-channels must be allocated or any, got "some"/);
  });
});
