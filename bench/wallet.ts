/**
 * Wallet benchmarks:
 *  - wallet.sign.tcp: SIGN_SECP256K1 round trips per second over the Speculos TCP framing (INIT with
 *    the path + LAST with a typical 70-byte transfer message, review auto-approved): parse, review
 *    items, CID digest, RFC 6979 signature, framing and loopback TCP.
 *  - crypto.secp256k1.sign: raw secp256k1 signatures per second over 32-byte digests, same run.
 * ratio = wallet.sign.tcp / crypto.secp256k1.sign (the share of a bare signature's rate the whole
 * device path keeps).
 */
import { connect } from 'node:net';
import { alternatingRounds, formatResult, phase, summarize, type BenchResult } from './measure.js';
import { secp256k1SignDigest } from '../src/crypto/secp256k1.js';
import { fromHex } from '../src/encoding/bytes.js';
import { autoApproveReview, createWalletApp, startWalletServer } from '../src/main/wallet.js';
import { MemoryVault } from '../src/store/memoryStore.js';
import { encodeRequestFrame } from '../src/transport/apduTcp.js';
import { encodeCommandApdu } from '../src/wallet/apdu.js';
import { encodePath } from '../src/wallet/bip32Path.js';
import { importMnemonic } from '../src/wallet/keyring.js';

export type { BenchResult };

const MNEMONIC = 'equip will roof matter pink blind book anxiety banner elbow sun young';
/** The spec's "manual basic" transfer (f1 → f1, value 100000 attoFIL). */
const TYPICAL_TX = fromHex(
  '8a005501fd1d0f4dfcd7e99afcb99a8326b7dc459d32c6285501b882619d46558f3d9e316d11b48dcf211327025a0144000186a01961a8420000430009c40040',
);
const PATH = encodePath([0x8000002c, 0x800001cd, 0x80000000, 0, 1]);

async function walletOverTcp(): Promise<{ op: () => Promise<void>; close: () => Promise<void> }> {
  const vault = new MemoryVault();
  importMnemonic(vault, MNEMONIC);
  const app = createWalletApp({ vault, review: autoApproveReview() });
  const server = await startWalletServer({ app, host: '127.0.0.1', port: 0 });
  const socket = connect(server.address.port, '127.0.0.1');
  socket.setNoDelay(true);
  await new Promise<void>((r) => socket.once('connect', () => r()));
  let buf = Buffer.alloc(0);
  let wake: (() => void) | undefined;
  socket.on('data', (d) => {
    buf = buf.length ? Buffer.concat([buf, d]) : d;
    wake?.();
  });
  const exchange = async (apdu: Uint8Array): Promise<number> => {
    socket.write(encodeRequestFrame(apdu));
    while (buf.length < 4 || buf.length < 6 + buf.readUInt32BE(0)) await new Promise<void>((r) => (wake = r));
    const n = 6 + buf.readUInt32BE(0);
    const sw = buf.readUInt16BE(n - 2);
    buf = buf.subarray(n);
    return sw;
  };
  const init = encodeCommandApdu(0x06, 0x02, 0x00, 0x00, PATH);
  const last = encodeCommandApdu(0x06, 0x02, 0x02, 0x00, TYPICAL_TX);
  return {
    op: async () => {
      if ((await exchange(init)) !== 0x9000 || (await exchange(last)) !== 0x9000) throw new Error('sign failed');
    },
    close: async () => {
      socket.destroy();
      await server.close();
    },
  };
}

function rawSign(): () => void {
  const priv = fromHex('0c64a9d9cf934fb7b3dadbc1f8b2a36db5d05eebfa0d5e43ea42dbf9ceff2909');
  const digest = new Uint8Array(32);
  let i = 0;
  return () => {
    digest[0] = i & 0xff;
    digest[1] = (i++ >>> 8) & 0xff;
    secp256k1SignDigest(digest, priv);
  };
}

export async function benchWallet(): Promise<BenchResult[]> {
  phase('wallet setup');
  const wallet = await walletOverTcp();
  try {
    const s = await alternatingRounds({ 'crypto.secp256k1.sign': rawSign(), 'wallet.sign.tcp': wallet.op });
    const raw = { name: 'crypto.secp256k1.sign', values: s['crypto.secp256k1.sign']! };
    return [
      summarize('wallet.sign.tcp', 'signs/s', s['wallet.sign.tcp']!, raw),
      summarize(raw.name, 'signs/s', raw.values),
    ];
  } finally {
    await wallet.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await benchWallet()) console.log(formatResult(r));
}
