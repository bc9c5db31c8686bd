/**
 * `store.scale`: the store's cost as one RP's discoverable credentials grow to 1, 1,000, 10,000 and
 * 100,000 (`--quick` stops at 10,000). Every size is a real device on its own data directory, open
 * at the same time, filled in bulk with real credentials (residentFill.ts); the operations of every
 * size alternate inside each round, and each rate is compared, round by round, with the same
 * operation on the 1-credential device (getNextAssertion, which needs two credentials, with the
 * 1,000 one). Per operation:
 *   - allowList getAssertion of one credential, in-process;
 *   - discoverable getAssertion (no allowList, no UV: credProtect 1 only, numberOfCredentials counted);
 *   - makeCredential rk (built-in UV), the same user each time: it replaces its previous credential;
 *   - credentialManagement enumerateCredentials, per credential returned (Begin, then GetNext);
 *   - getNextAssertion per call (a discoverable getAssertion opens each walk);
 *   - RSS of the whole process once the size's device is filled (every smaller device still open).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fillResident } from './residentFill.js';
import {
  alternatingRounds,
  formatResult,
  phase,
  progress,
  ROUNDS,
  startWatchdog,
  summarize,
  type BenchResult,
} from './measure.js';
import { openSoftKey, type SoftKey } from '../src/main/softkey.js';
import { Command } from '../src/ctap2/commands.js';
import { PinUvAuthTokenPermission, decodeClientPinResponse, encodeClientPinRequest } from '../src/ctap2/clientPin.js';
import { parseAuthenticatorData } from '../src/ctap2/authenticatorData.js';
import {
  decryptPinUvAuthToken,
  encodeCredentialManagementCall,
  encodeSimpleCommand,
  getKeyAgreementParams,
  getPinUvAuthTokenUsingPinParams,
  setPinParams,
  type PinUvAuthSession,
} from '../src/ctap2/hostCodec.js';
import { decodeGetAssertionResponse, encodeGetAssertionRequest } from '../src/ctap2/getAssertion.js';
import { encodeMakeCredentialRequest } from '../src/ctap2/makeCredential.js';
import { platformProtocol } from '../src/ctap2/pinUvAuthProtocol.js';
import {
  CredentialManagementSubCommand as CM,
  encodeCredentialManagementRequest,
} from '../src/ctap2/credentialManagement.js';
import { Status } from '../src/ctap2/status.js';
import { sha256 } from '../src/crypto/hash.js';
import { utf8 } from '../src/encoding/bytes.js';

const RP = 'scale.example';
const PIN = '1234';
const label = (n: number) => (n >= 1000 ? `${n / 1000}k` : String(n));

function ok(r: Uint8Array, what: string): Uint8Array {
  if (r[0] !== Status.CTAP2_OK) throw new Error(`${what}: device answered status 0x${r[0]!.toString(16)}`);
  return r;
}

interface ScaleDevice {
  size: number;
  key: SoftKey;
  dir: string;
  rssMb: number;
  ops: Record<string, () => Promise<unknown>>;
}

async function scaleDevice(size: number): Promise<ScaleDevice> {
  const dir = mkdtempSync(join(tmpdir(), 'softkey-bench-scale-'));
  const key = await openSoftKey({
    dataDir: dir,
    uv: { available: true, verify: async () => 'verified' },
    config: { maxResidentCredentials: 1_000_000 },
  });
  phase(`store.scale fill ${label(size)}`);
  // One credential in ten has credProtect 3 (seen only with UV): lookups filter on the level.
  fillResident(key.device.authenticator.core, {
    rpId: RP,
    count: size,
    credProtect: (i) => (i % 10 === 9 ? 3 : 1),
    batch: 2000,
    progress: () => progress.tick(),
  });
  const protocol = platformProtocol(2);
  const pinCall = async (params: Parameters<typeof encodeClientPinRequest>[0], what: string) =>
    decodeClientPinResponse(ok(await key.cbor(encodeClientPinRequest(params)), what));
  const keyAgreement = async () => (await pinCall(getKeyAgreementParams(protocol), 'keyAgreement')).keyAgreement!;
  ok(await key.cbor(encodeClientPinRequest(setPinParams(protocol, await keyAgreement(), PIN).params)), 'setPIN');
  let cm: PinUvAuthSession | undefined;
  const cmToken = async (): Promise<PinUvAuthSession> => {
    const ex = getPinUvAuthTokenUsingPinParams(protocol, await keyAgreement(), PIN, PinUvAuthTokenPermission.cm);
    const token = decryptPinUvAuthToken(protocol, ex.sharedSecret, await pinCall(ex.params, 'token'));
    return { protocol, pinUvAuthToken: token! };
  };

  const cdh = new Uint8Array(32).fill(9);
  // The oldest credential (position 1: the first stored), the same one at every size.
  const oldest = key.device.store.nextResident({ rpIdHash: sha256(utf8.encode(RP)), maxCredProtect: 3 }, 2)!.credential;
  const allowList = encodeGetAssertionRequest({
    rpId: RP,
    clientDataHash: cdh,
    allowList: [{ type: 'public-key', id: oldest.credentialId }],
  });
  const discoverable = encodeGetAssertionRequest({ rpId: RP, clientDataHash: cdh });
  const next = encodeSimpleCommand(Command.authenticatorGetNextAssertion);
  const makeRk = encodeMakeCredentialRequest({
    clientDataHash: cdh,
    rp: { id: RP, name: 'Scale' },
    user: { id: utf8.encode('bench-user'), name: 'bench' },
    pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
    options: { rk: true, uv: true },
  });
  const getNextCredential = encodeCredentialManagementRequest({ subCommand: CM.enumerateCredentialsGetNextCredential });
  let enumerating = false;

  const ops: Record<string, () => Promise<unknown>> = {
    'getAssertion.allowList': async () => ok(await key.cbor(allowList), 'allowList getAssertion'),
    'getAssertion.discoverable': async () => ok(await key.cbor(discoverable), 'discoverable getAssertion'),
    'makeCredential.rk': async () => ok(await key.cbor(makeRk), 'makeCredential rk'),
    // One credential returned per call: GetNextCredential while the enumeration lasts, else Begin
    // (a new cm token when another command used the last one up).
    'enumerate.perCredential': async () => {
      if (enumerating) {
        const r = await key.cbor(getNextCredential);
        if (r[0] === Status.CTAP2_OK) return;
        enumerating = false;
      }
      cm ??= await cmToken();
      const begin = (session: PinUvAuthSession) =>
        key.cbor(
          encodeCredentialManagementCall(
            { subCommand: CM.enumerateCredentialsBegin, subCommandParams: { rpIDHash: sha256(utf8.encode(RP)) } },
            session,
          ),
        );
      let r = await begin(cm);
      if (r[0] !== Status.CTAP2_OK) {
        cm = await cmToken();
        r = await begin(cm);
      }
      ok(r, 'enumerateCredentialsBegin');
      enumerating = true;
    },
  };
  if (size >= 2) {
    ops['getNextAssertion'] = async () => {
      const r = await key.cbor(next);
      if (r[0] === Status.CTAP2_OK) return;
      const first = decodeGetAssertionResponse(ok(await key.cbor(discoverable), 'discoverable getAssertion'));
      if ((first.numberOfCredentials ?? 1) < 2) throw new Error('getNextAssertion needs two credentials');
      ok(await key.cbor(next), 'getNextAssertion');
    };
  }
  // Sanity: the oldest credential signs, and rk makes one more.
  parseAuthenticatorData(decodeGetAssertionResponse(ok(await key.cbor(allowList), 'allowList getAssertion')).authData);
  return { size, key, dir, rssMb: process.memoryUsage().rss / 2 ** 20, ops };
}

export async function benchStoreScale(): Promise<BenchResult[]> {
  const quick = process.argv.includes('--quick');
  const sizes = quick ? [1, 1000, 10_000] : [1, 1000, 10_000, 100_000];
  const devices: ScaleDevice[] = [];
  try {
    const fillMs: number[] = [];
    for (const size of sizes) {
      const t0 = performance.now();
      devices.push(await scaleDevice(size));
      fillMs.push(performance.now() - t0);
    }
    const ops: Record<string, () => Promise<unknown>> = {};
    for (const d of devices)
      for (const [name, op] of Object.entries(d.ops)) ops[`store.scale.${name}.${label(d.size)}`] = op;
    const s = await alternatingRounds(ops);
    const results: BenchResult[] = [];
    for (const name of Object.keys(devices[0]!.ops).concat('getNextAssertion')) {
      const base = devices.find((d) => d.ops[name])!;
      const baseName = `store.scale.${name}.${label(base.size)}`;
      for (const d of devices) {
        const full = `store.scale.${name}.${label(d.size)}`;
        if (!s[full]) continue;
        const unit = name.startsWith('enumerate') ? 'creds/s' : 'ops/s';
        results.push(
          summarize(full, unit, s[full]!, d === base ? undefined : { name: baseName, values: s[baseName]! }),
        );
      }
    }
    devices.forEach((d, i) => {
      results.push({ name: `store.scale.rss.${label(d.size)}`, value: d.rssMb, unit: 'MB' });
      results.push({ name: `store.scale.fill.${label(d.size)}`, value: fillMs[i]! / 1000, unit: 's' });
    });
    results.push({ name: 'store.scale.rss.end', value: process.memoryUsage().rss / 2 ** 20, unit: 'MB' });
    return results;
  } finally {
    phase('store.scale close');
    for (const d of devices) {
      await d.key.close();
      rmSync(d.dir, { recursive: true, force: true });
    }
  }
}

if (process.argv[1]?.endsWith('storeScale.js')) {
  startWatchdog();
  benchStoreScale().then(
    (results) => {
      if (process.argv.includes('--json')) console.log(JSON.stringify({ results }));
      else {
        console.log(`median [min–max] over ${ROUNDS} alternating rounds; ratios are per round`);
        for (const r of results) console.log(formatResult(r));
      }
      process.exit(0);
    },
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
