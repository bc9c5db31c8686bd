/**
 * Seeding the demo RP from a softkey credential pool (softkey pool create → DIR/pool.json), so a
 * load test can sign in as pre-enrolled users without registering them first. The demo is a separate
 * program: it reads the pool's public JSON itself and trusts it as an operator's import (the same
 * trust as its own database file), keeping what WebAuthn L3 §7.1 step 27 says an RP keeps per
 * credential: ID, public key (COSE_Key), signature counter, transports, owner.
 *
 * Bounded: at most MAX_SEED_USERS users, each field checked; run once at start-up (an option of
 * createDemoServer, `softkey start --demo --demo-seed DIR`), never over the network.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DemoDb } from './db.js';

export const MAX_SEED_USERS = 100_000;
const MAX_SEED_FILE_BYTES = 128 * 1024 * 1024;
const B64URL = /^[A-Za-z0-9_-]{1,2048}$/;

export class DemoSeedError extends Error {
  override name = 'DemoSeedError';
}

interface SeedUser {
  username: string;
  userHandle: string;
  credentialId: string;
  publicKey: string;
  alg: number;
  counter: number;
  transports?: string[];
}

/** Reads a pool.json (a file, or a pool directory holding one) and adds its users; returns how many were new. */
export function seedFromPool(
  db: DemoDb,
  path: string,
  rpId: string,
  now = Date.now(),
): { added: number; users: number } {
  const file = statSync(path, { throwIfNoEntry: false })?.isDirectory() ? join(path, 'pool.json') : path;
  const size = statSync(file, { throwIfNoEntry: false })?.size;
  if (size === undefined) throw new DemoSeedError(`no pool file at ${file}`);
  if (size > MAX_SEED_FILE_BYTES) throw new DemoSeedError(`${file} is larger than ${MAX_SEED_FILE_BYTES} bytes`);
  let pool: { format?: unknown; rpId?: unknown; users?: unknown };
  try {
    pool = JSON.parse(readFileSync(file, 'utf8')) as typeof pool;
  } catch (e) {
    throw new DemoSeedError(`${file} is not JSON: ${(e as Error).message}`);
  }
  if (pool?.format !== 'softkey-pool' || !Array.isArray(pool.users))
    throw new DemoSeedError(`${file} is not a softkey pool`);
  if (pool.rpId !== rpId)
    throw new DemoSeedError(`the pool is for RP ID "${String(pool.rpId)}", this demo is "${rpId}"`);
  if (pool.users.length > MAX_SEED_USERS) throw new DemoSeedError(`the pool has more than ${MAX_SEED_USERS} users`);
  const users = pool.users.map((u: unknown, i: number) => checkUser(u, i));
  const added = db.transaction(() => {
    let n = 0;
    for (const u of users) {
      if (db.credential(u.credentialId)) continue;
      if (db.userByName(u.username))
        throw new DemoSeedError(`user ${u.username} already exists with other credentials`);
      const user = db.createUser(u.username, u.userHandle, now);
      db.addCredential({
        id: u.credentialId,
        userId: user.id,
        publicKey: Buffer.from(u.publicKey, 'base64url'),
        counter: u.counter,
        transports: u.transports ?? [],
        alg: u.alg,
        fmt: 'none',
        aaguid: '00000000-0000-0000-0000-000000000000',
        deviceType: 'singleDevice',
        backedUp: false,
        registrationJson: JSON.stringify({ seededFrom: 'softkey pool' }),
        createdAt: now,
      });
      n++;
    }
    return n;
  });
  return { added, users: users.length };
}

function checkUser(u: unknown, i: number): SeedUser {
  const o = u as Record<string, unknown>;
  const bad = (what: string) => new DemoSeedError(`pool user ${i}: ${what}`);
  if (typeof o !== 'object' || o === null) throw bad('not an object');
  if (typeof o.username !== 'string' || o.username.length < 1 || o.username.length > 64)
    throw bad('username must be 1 to 64 characters');
  for (const k of ['userHandle', 'credentialId', 'publicKey'] as const) {
    if (typeof o[k] !== 'string' || !B64URL.test(o[k])) throw bad(`${k} must be base64url`);
  }
  if (!Number.isInteger(o.alg)) throw bad('alg must be a COSE algorithm number');
  const counter = o.counter as number;
  if (!(Number.isInteger(counter) && counter >= 0 && counter <= 0xffffffff)) throw bad('counter must be 0–4294967295');
  const transportsOk =
    o.transports === undefined || (Array.isArray(o.transports) && o.transports.every((t) => typeof t === 'string'));
  if (!transportsOk) throw bad('transports must be strings');
  return o as unknown as SeedUser;
}
