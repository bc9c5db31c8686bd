/**
 * Captured-style APDU transcripts (`=> hex` / `<= hex`, as ledgerjs' RecordStore), replayed against
 * the app directly and over the Speculos TCP framing. Expected bytes come from the spec (§1.4, §1.5,
 * §5): GET_VERSION, the full GET_ADDR exchange, sign_basic chunked as the JS client sends it, and
 * error cases.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { encodeRequestFrame } from '../../src/transport/apduTcp.js';
import { startWalletServer } from '../../src/main/wallet.js';
import { hex, SIG_VECTORS, TX, unhex, walletWithZemuSeed } from './helpers.js';

const SIGN_BASIC_LEN = (TX.signBasic.length / 2).toString(16).padStart(2, '0');

export const TRANSCRIPT = `
# GET_VERSION (CLA 06 INS 00): test=00 2.3.7 unlocked, Nano S+
=> 0600000000
<= 0002030700331000049000
# GET_ADDR_SECP256K1 m/44'/461'/5'/0/3 (the spec's full exchange)
=> 06010000142c000080cd010080050000800000000003000000
<= 0425d0dbeedb2053e690a58e9456363158836b1361f30dba0332f440558fa803d056042b50d0e70e4a2940428e82c7cea54259d65254aed4663e4d0cffd649f4fb150162b79110b5599e0c70bbd0bb56468ae9a08378742966316d6b337a636566766c67706179346633326335766d72756b35677169673664756d6337707a36719000
# SIGN_SECP256K1 sign_basic on m/44'/461'/0'/0/1: INIT with the path, then one LAST chunk
=> 06020000142c000080cd010080000000800000000001000000
<= 9000
=> 06020200${SIGN_BASIC_LEN}${TX.signBasic}
<= ${SIG_VECTORS.signBasic.answer}9000
# LAST again without INIT
=> 06020200${SIGN_BASIC_LEN}${TX.signBasic}
<= 6987
# bad P2, unknown INS, unknown CLA, short APDU, INS 04 on CLA 06
=> 0602000100
<= 6b00
=> 0609000000
<= 6d00
=> 1200000000
<= 6e00
=> 06000000
<= 6700
=> 0604000000
<= 6986
# a 9-element message: "Unexpected data type" ‖ 6984
=> 06020000142c000080cd010080000000800000000001000000
<= 9000
=> 0602020003890000
<= ${hex(new TextEncoder().encode('Unexpected data type'))}6984
`;

function parseTranscript(text: string): Array<{ command: string; response: string }> {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const pairs: Array<{ command: string; response: string }> = [];
  for (let i = 0; i < lines.length; i += 2) {
    const c = lines[i]!;
    const r = lines[i + 1]!;
    assert.ok(c.startsWith('=> ') && r?.startsWith('<= '), `malformed transcript near "${c}"`);
    pairs.push({ command: c.slice(3).toLowerCase(), response: r.slice(3).toLowerCase() });
  }
  return pairs;
}

describe('APDU transcripts', () => {
  it('replay against the app', async () => {
    const { app } = walletWithZemuSeed();
    for (const { command, response } of parseTranscript(TRANSCRIPT)) {
      assert.equal(hex(await app.exchange(unhex(command))), response, `=> ${command}`);
    }
  });

  it('replay over the Speculos TCP framing (length prefix excludes the SW)', async () => {
    const { app } = walletWithZemuSeed();
    const server = await startWalletServer({ app, port: 0, onError: () => {} });
    const socket = connect(server.address.port, '127.0.0.1');
    await new Promise<void>((r) => socket.once('connect', () => r()));
    let buffered = Buffer.alloc(0);
    const waiters: Array<() => void> = [];
    socket.on('data', (d) => {
      buffered = Buffer.concat([buffered, d]);
      waiters.shift()?.();
    });
    const readFrame = async (): Promise<Uint8Array> => {
      while (buffered.length < 4 || buffered.length < 4 + buffered.readUInt32BE(0) + 2)
        await new Promise<void>((r) => waiters.push(r));
      const n = buffered.readUInt32BE(0) + 2;
      const payload = new Uint8Array(buffered.subarray(4, 4 + n));
      buffered = buffered.subarray(4 + n);
      return payload;
    };
    try {
      for (const { command, response } of parseTranscript(TRANSCRIPT)) {
        socket.write(encodeRequestFrame(unhex(command)));
        assert.equal(hex(await readFrame()), response, `=> ${command}`);
      }
    } finally {
      socket.destroy();
      await server.close();
    }
  });
});
