/**
 * `npm run bench [-- --json]`: throughput of softkey's hot paths, each next to a baseline
 * measured in the same run (ratios, not absolute numbers, are what compare across machines).
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { opsPerSecond, phase, startWatchdog, type BenchResult } from './measure.js';
import { connectSoftKey, openSoftKey, type CtapTransport } from '../src/main/softkey.js';
import { parseAuthenticatorData } from '../src/ctap2/authenticatorData.js';
import { decodeMakeCredentialResponse, encodeGetAssertionRequest, encodeMakeCredentialRequest, type MakeCredentialParams } from '../src/ctap2/hostCodec.js';

export type { BenchResult };

const mcParams = (alg = -7): MakeCredentialParams => ({
  clientDataHash: new Uint8Array(32).fill(7),
  rp: { id: 'bench.example', name: 'Bench' },
  user: { id: new Uint8Array([1, 2, 3]), name: 'bench' },
  pubKeyCredParams: [{ type: 'public-key', alg }],
});

async function credentialOn(t: CtapTransport): Promise<Uint8Array> {
  const made = decodeMakeCredentialResponse(await t.cbor(encodeMakeCredentialRequest(mcParams())));
  return parseAuthenticatorData(made.authData).attestedCredentialData!.credentialId;
}

function assertionRequest(id: Uint8Array): Uint8Array {
  return encodeGetAssertionRequest({ rpId: 'bench.example', clientDataHash: new Uint8Array(32).fill(9), allowList: [{ type: 'public-key', id }] });
}

async function checkOk(response: Uint8Array): Promise<void> {
  if (response[0] !== 0) throw new Error(`device answered status 0x${response[0]!.toString(16)}`);
}

export async function benchCtap2(): Promise<BenchResult[]> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const data = new Uint8Array(69);
  phase('crypto.es256.sign');
  const raw = await opsPerSecond(() => sign('sha256', data, { key: privateKey, dsaEncoding: 'der' }));
  const results: BenchResult[] = [{ name: 'crypto.es256.sign', value: raw, unit: 'ops/s' }];
  const ratio = (name: string, value: number): BenchResult => ({ name, value, unit: 'ops/s', baseline: 'crypto.es256.sign', ratio: value / raw });

  const dir = mkdtempSync(join(tmpdir(), 'softkey-bench-'));
  const devicePort = 20000 + Math.floor(Math.random() * 30000);
  const replyPort = devicePort + 1;
  const key = await openSoftKey({ dataDir: dir, udp: `127.0.0.1:${devicePort}`, replyTo: `127.0.0.1:${replyPort}` });
  try {
    phase('ctap2 setup');
    const id = await credentialOn(key);
    const request = assertionRequest(id);
    phase('ctap2.getAssertion.inprocess');
    results.push(ratio('ctap2.getAssertion.inprocess', await opsPerSecond(async () => checkOk(await key.cbor(request)))));

    phase('ctap2.getAssertion.udp');
    const client = await connectSoftKey({ udp: `127.0.0.1:${devicePort}`, replyTo: `127.0.0.1:${replyPort}` });
    try {
      results.push(ratio('ctap2.getAssertion.udp', await opsPerSecond(async () => checkOk(await client.cbor(request)))));
    } finally {
      await client.close();
    }
    phase('ctap2.makeCredential.inprocess');
    const mc = encodeMakeCredentialRequest(mcParams());
    results.push(ratio('ctap2.makeCredential.inprocess', await opsPerSecond(async () => checkOk(await key.cbor(mc)))));
  } finally {
    phase('ctap2 close');
    await key.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  startWatchdog();
  const results = await benchCtap2();
  // Later capabilities add their suites here (wallet over TCP, browser latency).
  for (const extra of ['./wallet.js', './browser.js']) {
    try {
      const mod = (await import(extra)) as Record<string, () => Promise<BenchResult[]>>;
      phase(extra);
      const fn = Object.values(mod).find((f) => typeof f === 'function' && f.name.startsWith('bench'));
      if (fn) results.push(...(await fn()));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw e;
    }
  }
  if (json) {
    console.log(JSON.stringify({ results }));
    return;
  }
  for (const r of results) {
    const ratio = r.ratio === undefined ? '' : `  ${r.ratio.toFixed(3)}× ${r.baseline}`;
    console.log(`${r.name.padEnd(34)} ${r.value.toFixed(0).padStart(9)} ${r.unit}${ratio}`);
  }
}

if (process.argv[1]?.endsWith('bench.js') || process.argv[1]?.endsWith('bench.ts')) {
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
