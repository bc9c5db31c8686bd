/**
 * `load.ceremonies`: softkey's own cost per sign-in inside an Artillery worker, i.e. what
 * softkey/artillery's softkeyGet does between the RP's options response and the verify request
 * (parse the options JSON, arm the pool credential's time-based counter, WebAuthn get through the
 * in-process authenticator, response JSON), against a raw ES256 sign in the same run.
 * No HTTP and no RP: the options JSON is made here, as a SimpleWebAuthn RP would send it.
 */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alternatingRounds, phase, summarize, type BenchResult } from './measure.js';
import {
  createPool,
  softkeyAttach,
  softkeyGet,
  softkeyPickPoolUser,
  writePool,
  type ArtilleryContext,
} from '../src/artillery/index.js';

export async function benchLoad(): Promise<BenchResult[]> {
  phase('load setup');
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' }); // never exported (see credentialKeys.ts)
  const data = new Uint8Array(69);
  const dir = mkdtempSync(join(tmpdir(), 'softkey-bench-pool-'));
  try {
    const made = await createPool({ users: 1, rpId: 'localhost' });
    writePool(dir, made);
    const context: ArtilleryContext = {
      vars: { target: 'http://localhost:5173', softkey: { pool: dir, bodyField: 'credential' }, softkeyUserIndex: 0 },
    };
    const events = { emit: () => undefined };
    await softkeyPickPoolUser(context, events);
    const allowCredentials = [{ id: made.pool.users[0]!.credentialId, type: 'public-key' }];
    const options = () => ({
      statusCode: 200,
      body: JSON.stringify({
        challenge: randomBytes(32).toString('base64url'),
        rpId: 'localhost',
        allowCredentials,
        userVerification: 'preferred',
        timeout: 60000,
      }),
    });
    const req: { json?: unknown } = {};
    const s = await alternatingRounds({
      'crypto.es256.sign': () => sign('sha256', data, { key: privateKey, dsaEncoding: 'der' }),
      'load.ceremonies': async () => {
        await softkeyGet(req, options(), context, events);
        await softkeyAttach(req, context, events);
      },
    });
    const raw = { name: 'crypto.es256.sign', values: s['crypto.es256.sign']! };
    return [summarize('load.ceremonies', 'ops/s', s['load.ceremonies']!, raw)];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
