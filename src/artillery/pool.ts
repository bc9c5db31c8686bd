/**
 * Credential pools for load tests: N virtual users pre-enrolled once, then signed for by any number
 * of load-generator workers that share nothing at run time but the pool secret.
 *
 * How: one throwaway softkey (':memory:') makes one non-discoverable credential per user through the
 * ordinary WebAuthn create path (WebAuthn L3 §5.1.3). A non-discoverable credential ID is sealed
 * under the key's wrapping key and its private key is derived from the ID under the key's key seed
 * (store/credentialId.ts, version 0x04), so the exported key state (its master secrets;
 * `key.exportState()`) is all a worker needs: each worker opens its own softkey from that state and
 * the one authenticator unwraps whichever credential ID the relying party lists in allowCredentials
 * (CTAP 2.1 §6.2 getAssertion).
 *
 *   DIR/pool.json    public: what a relying party seeds its database from (per user: name, user
 *                    handle, credential ID, COSE public key, SPKI, algorithm, counter)
 *   DIR/secret.json  mode 0600: the key state (sealed with scrypt + AES-256-GCM when
 *                    SOFTKEY_POOL_PASSPHRASE is set at creation; workers then need the same variable)
 *
 * Resident pools (`resident: true`, `softkey pool create --resident`): the credentials are made
 * discoverable (residentKey "required", L3 §5.4.6), so a scenario can sign in with an empty
 * allowCredentials (§5.1.4, CTAP 2.1 §6.2.2 step 11 without an allowList). Their IDs are sealed under
 * the same wrapping key, and everything else a discoverable credential's record holds (RP, user handle,
 * user name, algorithm, public key) is public and already in pool.json; so secret.json still holds
 * only the key's master secrets (the records are deleted before the export), and a worker rebuilds a
 * user's record from pool.json when a virtual user signs in as that user: each such virtual user gets
 * its own in-memory key holding that one discoverable credential (a user with their own authenticator),
 * opened from the master secrets already decrypted once per worker.
 *
 * Signature counters (WebAuthn L3 §6.1.1) stay monotonic per credential across workers without any
 * coordination: they are time-based, on a grid of COUNTER_LANES lanes,
 *
 *   counter = COUNTER_BASE + (ms since the pool's epoch) × COUNTER_LANES + lane
 *
 * where each worker (thread or process) has its own lane, so two workers never hand out the same
 * value and a later sign-in always carries a larger counter than an earlier one (to within clock skew
 * between the load-generator machines, which must stay under 1 ms for strict ordering of two
 * sign-ins of one credential in the same millisecond). An RP sees counters that start above
 * COUNTER_BASE and rise by about 8,000 per second of wall time; a 32-bit counter lasts
 * ~6.2 days after the pool's creation, after which signing refuses with a message: make a new pool.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAuthenticatorData } from '../ctap2/authenticatorData.js';
import { decode as b64d, encode as b64e } from '../encoding/base64url.js';
import { utf8 } from '../encoding/bytes.js';
import { openSoftKey, readKeyState, type SoftKey } from '../main/softkey.js';

export const POOL_FORMAT = 'softkey-pool';
export const POOL_VERSION = 1;
/** The counter every pool credential is seeded with: a regressed counter (≤ this) is always refused. */
export const COUNTER_BASE = 1000;
export const COUNTER_LANES = 8;
const MAX_COUNTER = 0xffffffff;
/** Bounded: a pool is for load tests, and pool.json is read whole by each RP seeder. */
export const MAX_POOL_USERS = 100_000;

export interface PoolUser {
  index: number;
  username: string;
  /** base64url user handle (user.id). */
  userHandle: string;
  /** base64url credential ID (key-wrapped; discoverable in a resident pool). */
  credentialId: string;
  /** base64url COSE_Key (WebAuthn L3 §6.5.1 credentialPublicKey). */
  publicKey: string;
  /** base64url SPKI DER, as AuthenticatorAttestationResponse.getPublicKey() gives it. */
  publicKeySpki?: string;
  alg: number;
  counter: number;
  transports: string[];
}

export interface PoolFile {
  format: typeof POOL_FORMAT;
  version: typeof POOL_VERSION;
  rpId: string;
  origin: string;
  /** Unix ms; time-based counters count from here. */
  epochMs: number;
  counterBase: number;
  counterLanes: number;
  /** The credentials are discoverable (absent: not). */
  resident?: boolean;
  users: PoolUser[];
}

export interface PoolSecretFile {
  format: 'softkey-pool-secret';
  version: typeof POOL_VERSION;
  /** The key state (`key.exportState()`), sealed when made with a passphrase. */
  state: ReturnType<SoftKey['exportState']>;
}

export class PoolError extends Error {
  override name = 'PoolError';
}

export interface CreatePoolOptions {
  users: number;
  rpId: string;
  /** Default https://RPID (http://localhost for localhost). */
  origin?: string;
  /** User names are PREFIX-INDEX; default "pool-user". */
  usernamePrefix?: string;
  /** Algorithms offered, in order (COSE); default ES256. */
  algorithms?: number[];
  /** Seals secret.json (scrypt + AES-256-GCM). */
  passphrase?: string;
  /** Discoverable credentials, for sign-in with an empty allowCredentials (see the header). */
  resident?: boolean;
  now?: () => number;
}

export const defaultOrigin = (rpId: string) => (rpId === 'localhost' ? 'http://localhost' : `https://${rpId}`);
export const poolUsername = (prefix: string, index: number) => `${prefix}-${index}`;

/** Makes the pool in memory: the public file and the secret. */
export async function createPool(o: CreatePoolOptions): Promise<{ pool: PoolFile; secret: PoolSecretFile }> {
  if (!Number.isInteger(o.users) || o.users < 1 || o.users > MAX_POOL_USERS)
    throw new PoolError(`--users must be 1–${MAX_POOL_USERS}`);
  if (!o.rpId || /[\s/:]/.test(o.rpId))
    throw new PoolError(`--rp-id must be a domain name such as example.com, not "${o.rpId}"`);
  const origin = o.origin ?? defaultOrigin(o.rpId);
  const prefix = o.usernamePrefix ?? 'pool-user';
  const epochMs = (o.now ?? Date.now)();
  const key = await openSoftKey({ dataDir: ':memory:', presence: 'auto' });
  try {
    const users: PoolUser[] = [];
    for (let index = 0; index < o.users; index++) {
      const username = poolUsername(prefix, index);
      const userHandle = b64e(utf8.encode(`${prefix}:${index}`.padEnd(16, '.')));
      const challenge = b64e(utf8.encode(`softkey pool enrolment ${index}`.padEnd(32, '.')));
      const reg = await key.client.create(
        {
          rp: { id: o.rpId, name: o.rpId },
          user: { id: userHandle, name: username, displayName: username },
          challenge,
          pubKeyCredParams: (o.algorithms ?? [-7]).map((alg) => ({ type: 'public-key' as const, alg })),
          authenticatorSelection: {
            residentKey: o.resident ? 'required' : 'discouraged',
            userVerification: 'discouraged',
          },
          attestation: 'none',
        },
        { origin },
      );
      const acd = parseAuthenticatorData(b64d(reg.response.authenticatorData)).attestedCredentialData;
      if (!acd) throw new PoolError('the registration carried no attested credential data');
      users.push({
        index,
        username,
        userHandle,
        credentialId: reg.id,
        publicKey: b64e(acd.credentialPublicKey),
        ...(reg.response.publicKey && { publicKeySpki: reg.response.publicKey }),
        alg: reg.response.publicKeyAlgorithm,
        counter: COUNTER_BASE,
        transports: reg.response.transports,
      });
    }
    const pool: PoolFile = {
      format: POOL_FORMAT,
      version: POOL_VERSION,
      rpId: o.rpId,
      origin,
      epochMs,
      counterBase: COUNTER_BASE,
      counterLanes: COUNTER_LANES,
      ...(o.resident && { resident: true }),
      users,
    };
    // The discoverable records are rebuilt from pool.json by the workers: the secret keeps only secrets.
    if (o.resident) key.control.clearCredentials();
    const state = key.exportState(o.passphrase ? { passphrase: o.passphrase } : {});
    return { pool, secret: { format: 'softkey-pool-secret', version: POOL_VERSION, state } };
  } finally {
    await key.close();
  }
}

/** Writes DIR/pool.json and DIR/secret.json (0600). */
export function writePool(
  dir: string,
  made: { pool: PoolFile; secret: PoolSecretFile },
): { poolPath: string; secretPath: string } {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const poolPath = join(dir, 'pool.json');
  const secretPath = join(dir, 'secret.json');
  writeFileSync(secretPath, JSON.stringify(made.secret), { mode: 0o600 });
  chmodSync(secretPath, 0o600);
  writeFileSync(poolPath, `${JSON.stringify(made.pool, null, 1)}\n`);
  return { poolPath, secretPath };
}

export function readPoolFile(dir: string): PoolFile {
  const path = join(dir, 'pool.json');
  let p: PoolFile;
  try {
    p = JSON.parse(readFileSync(path, 'utf8')) as PoolFile;
  } catch (e) {
    throw new PoolError(`cannot read the pool at ${path}: ${(e as Error).message}`);
  }
  if (p?.format !== POOL_FORMAT || p.version !== POOL_VERSION || !Array.isArray(p.users)) {
    throw new PoolError(`${path} is not a softkey pool (version ${POOL_VERSION})`);
  }
  return p;
}

type MasterState = ReturnType<typeof readKeyState>;

/**
 * A worker's view of a pool: its own softkey opened from the pool secret, and its counter lane. For a
 * resident pool, also the master state (decrypted once) that each virtual user's own key opens from.
 */
export class PoolSigner {
  private readonly last = new Map<string, number>();
  /** The Artillery counter of this worker's sign-ins (softkey.pool.lane.N). */
  readonly laneMetric: string;
  private constructor(
    readonly pool: PoolFile,
    readonly key: SoftKey,
    readonly lane: number,
    private readonly now: () => number,
    private readonly master: MasterState,
  ) {
    this.laneMetric = `softkey.pool.lane.${lane}`;
  }

  static async open(dir: string, o: { lane: number; passphrase?: string; now?: () => number }): Promise<PoolSigner> {
    const pool = readPoolFile(dir);
    const secretPath = join(dir, 'secret.json');
    let secret: PoolSecretFile;
    try {
      secret = JSON.parse(readFileSync(secretPath, 'utf8')) as PoolSecretFile;
    } catch (e) {
      throw new PoolError(`cannot read the pool secret at ${secretPath}: ${(e as Error).message}`);
    }
    if (secret?.format !== 'softkey-pool-secret') throw new PoolError(`${secretPath} is not a softkey pool secret`);
    const master = readKeyState(secret.state, o.passphrase); // scrypt once per worker, not per key
    const key = await openSoftKey({ state: master, presence: 'auto' });
    return new PoolSigner(
      pool,
      key,
      ((o.lane % pool.counterLanes) + pool.counterLanes) % pool.counterLanes,
      o.now ?? Date.now,
      master,
    );
  }

  /**
   * A resident pool user's own key: the master secrets and that user's discoverable credential, its
   * record rebuilt from pool.json (the fields makeCredential stored: CTAP 2.1 §6.1.2 step 17). The
   * caller closes it.
   */
  openUserKey(index: number): Promise<SoftKey> {
    if (!this.pool.resident)
      throw new PoolError('this pool holds no discoverable credentials (pool create --resident)');
    const u = this.user(index);
    const record = {
      credentialId: u.credentialId,
      rpId: this.pool.rpId,
      rpName: this.pool.rpId,
      userId: u.userHandle,
      userName: u.username,
      userDisplayName: u.username,
      alg: u.alg,
      publicKey: u.publicKey,
      credProtect: 1 as const,
      createdAt: this.pool.epochMs,
    };
    return openSoftKey({ state: { ...this.master, residentCredentials: [record] }, presence: 'auto' });
  }

  user(index: number): PoolUser {
    const u = this.pool.users[index];
    if (!u) throw new PoolError(`the pool has no user ${index} (it has ${this.pool.users.length})`);
    return u;
  }

  /** The next time-based counter of a credential on this worker's lane (see the header). */
  nextCounter(credentialId: string): number {
    const lanes = this.pool.counterLanes;
    const fromTime =
      this.pool.counterBase + Math.max(0, Math.floor(this.now() - this.pool.epochMs)) * lanes + this.lane;
    const prev = this.last.get(credentialId) ?? 0;
    let next = Math.max(fromTime, prev + 1);
    next += (((this.lane - next) % lanes) + lanes) % lanes; // back onto this worker's lane
    if (next > MAX_COUNTER)
      throw new PoolError('this pool is too old for 32-bit time-based counters (about 6 days): make a new pool');
    this.last.set(credentialId, next);
    return next;
  }

  /** Arms the credential's counter on `key` (the worker's, or a user's own) so its next assertion carries `nextCounter`. */
  armCounter(credentialId: string, key: SoftKey = this.key): number {
    const next = this.nextCounter(credentialId);
    key.control.setCredential(credentialId, { signCount: next - 1 });
    return next;
  }

  close(): Promise<void> {
    return this.key.close();
  }
}
