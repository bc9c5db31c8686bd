/**
 * `npm run bench [-- --json] [-- --quick]` (--quick: store.scale stops at 10,000 credentials):
 * throughput of softkey's hot paths, each next to a baseline measured in the same run (ratios, not absolute numbers, are what compare across machines).
 */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  alternatingRounds,
  formatResult,
  phase,
  ROUNDS,
  startWatchdog,
  summarize,
  type BenchResult,
} from './measure.js';
import { connectSoftKey, openSoftKey, type CtapTransport } from '../src/main/softkey.js';
import { parseAuthenticatorData } from '../src/ctap2/authenticatorData.js';
import {
  decodeMakeCredentialResponse,
  encodeMakeCredentialRequest,
  type MakeCredentialRequest,
} from '../src/ctap2/makeCredential.js';
import { encodeGetAssertionRequest } from '../src/ctap2/getAssertion.js';
import { CtapHidHost } from '../src/ctaphid/hostDevice.js';
import { connectUdpHost } from '../src/transport/udp.js';

export type { BenchResult };

const mcParams = (alg = -7): MakeCredentialRequest => ({
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
  return encodeGetAssertionRequest({
    rpId: 'bench.example',
    clientDataHash: new Uint8Array(32).fill(9),
    allowList: [{ type: 'public-key', id }],
  });
}

async function checkOk(response: Uint8Array): Promise<void> {
  if (response[0] !== 0) throw new Error(`device answered status 0x${response[0]!.toString(16)}`);
}

/**
 * The UDP datagrams one call takes, counted on a host socket of its own (bound to the device's
 * reply port before the bench client is, and closed again): to the device and back.
 */
async function datagramsPerCall(
  devicePort: number,
  replyPort: number,
  request: Uint8Array,
): Promise<{ toDevice: number; fromDevice: number; requestBytes: number; responseBytes: number }> {
  const udp = await connectUdpHost({ devicePort, bindPort: replyPort });
  const counts = { toDevice: 0, fromDevice: 0 };
  try {
    const hid = new CtapHidHost(
      {
        send: (report) => {
          counts.toDevice++;
          udp.send(report);
        },
        onReport: (callback) =>
          udp.onReport((report) => {
            counts.fromDevice++;
            callback(report);
          }),
      },
      { rng: (n) => new Uint8Array(randomBytes(n)) },
    );
    await hid.init();
    await checkOk(await hid.cbor(request)); // a first call (opens and caches the ID), then the counted one
    Object.assign(counts, { toDevice: 0, fromDevice: 0 });
    const response = await hid.cbor(request);
    await checkOk(response);
    return { ...counts, requestBytes: request.length, responseBytes: response.length };
  } finally {
    await udp.close();
  }
}

export async function benchCtap2(): Promise<BenchResult[]> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' }); // never exported (see credentialKeys.ts)
  const data = new Uint8Array(69);
  const dir = mkdtempSync(join(tmpdir(), 'softkey-bench-'));
  const devicePort = 20000 + Math.floor(Math.random() * 30000);
  const replyPort = devicePort + 1;
  phase('ctap2 setup');
  const key = await openSoftKey({ dataDir: dir, udp: `127.0.0.1:${devicePort}`, replyTo: `127.0.0.1:${replyPort}` });
  let client: Awaited<ReturnType<typeof connectSoftKey>> | undefined;
  try {
    const request = assertionRequest(await credentialOn(key));
    const datagrams = await datagramsPerCall(devicePort, replyPort, request);
    if (!process.argv.includes('--json'))
      console.log(
        `ctap2.getAssertion.udp: ${datagrams.toDevice + datagrams.fromDevice} datagrams per call ` +
          `(${datagrams.toDevice} to the device for ${datagrams.requestBytes} bytes, ` +
          `${datagrams.fromDevice} back for ${datagrams.responseBytes})`,
      );
    client = await connectSoftKey({ udp: `127.0.0.1:${devicePort}`, replyTo: `127.0.0.1:${replyPort}` });
    const udpClient = client;
    const mc = encodeMakeCredentialRequest(mcParams());
    const s = await alternatingRounds({
      'crypto.es256.sign': () => sign('sha256', data, { key: privateKey, dsaEncoding: 'der' }),
      'ctap2.getAssertion.inprocess': async () => checkOk(await key.cbor(request)),
      'ctap2.getAssertion.udp': async () => checkOk(await udpClient.cbor(request)),
      'ctap2.makeCredential.inprocess': async () => checkOk(await key.cbor(mc)),
    });
    const raw = { name: 'crypto.es256.sign', values: s['crypto.es256.sign']! };
    return [
      summarize('crypto.es256.sign', 'ops/s', raw.values),
      summarize('ctap2.getAssertion.inprocess', 'ops/s', s['ctap2.getAssertion.inprocess']!, raw),
      summarize('ctap2.getAssertion.udp', 'ops/s', s['ctap2.getAssertion.udp']!, raw),
      summarize('ctap2.makeCredential.inprocess', 'ops/s', s['ctap2.makeCredential.inprocess']!, raw),
    ];
  } finally {
    phase('ctap2 close');
    await client?.close();
    await key.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The suites after ctap2, each a module whose first `bench*` export answers its results. */
const SUITES: ReadonlyArray<readonly [name: string, module: string]> = [
  ['wallet', './wallet.js'],
  ['peers', './peers.js'],
  ['load', './load.js'],
  ['browser', './browser.js'],
  ['store', './storeScale.js'],
];

/**
 * `npm run bench [-- --json] [SUITE...]`: every suite, or only those named (ctap2, wallet, peers,
 * load, browser, store). Every result name appears once; `--json` prints them with the notes of what
 * could not be measured here.
 */
async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const wanted = (name: string) => only.length === 0 || only.includes(name);
  startWatchdog();
  // Text mode prints each suite as it ends (a long run shows what it has so far).
  const show = (rs: BenchResult[]) => {
    if (!json) for (const r of rs) console.log(formatResult(r));
  };
  if (!json) console.log(`median [min–max] over ${ROUNDS} alternating rounds; ratios are per round`);
  const results: BenchResult[] = wanted('ctap2') ? await benchCtap2() : [];
  show(results);
  const notes: string[] = [];
  for (const [name, module] of SUITES) {
    if (!wanted(name)) continue;
    try {
      phase(`loading ${module}`);
      const mod = (await import(module)) as Record<string, unknown>;
      phase(module);
      const fn = Object.values(mod).find(
        (f): f is () => Promise<BenchResult[]> => typeof f === 'function' && f.name.startsWith('bench'),
      );
      if (fn) {
        const rs = await fn();
        show(rs);
        results.push(...rs);
      }
      if (Array.isArray(mod.PEER_NOTES)) notes.push(...(mod.PEER_NOTES as string[]));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw e;
      notes.push(`${name}: not run (${(e as Error).message.split('\n')[0]})`);
    }
  }
  const seen = new Set<string>();
  for (const r of results) {
    if (seen.has(r.name)) throw new Error(`bench result name ${r.name} appears twice`);
    seen.add(r.name);
  }
  if (json) {
    console.log(JSON.stringify({ rounds: ROUNDS, results, notes }));
    return;
  }
  for (const n of notes) console.log(`note: ${n}`);
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
