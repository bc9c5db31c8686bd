/**
 * softkey/artillery's processor functions driven in process, the way Artillery's HTTP engine calls
 * them, against the demo RP (SimpleWebAuthn verifies every answer): sign-up/sign-in per virtual user,
 * profiles, a pool seeded into the demo and signed for by two independent workers, time-based
 * counters, and deliberately wrong answers the RP must refuse.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  createPool,
  PoolSigner,
  refusalReason,
  softkeyAttach,
  softkeyCreate,
  softkeyEnd,
  softkeyGet,
  softkeyPickPoolUser,
  softkeyVerdict,
  writePool,
  COUNTER_BASE,
  type ArtilleryContext,
  type SoftkeySettings,
} from '../../src/artillery/index.js';
import { createDemoServer, type DemoServer } from '../../src/rp-demo/server.js';
import { seedFromPool } from '../../src/rp-demo/seed.js';

/** Artillery's event emitter, reduced to what the report would show. */
function recorder() {
  const counters: Record<string, number> = {};
  const histograms: Record<string, number[]> = {};
  const errors: string[] = [];
  return {
    counters,
    histograms,
    errors,
    emit(type: string, name: string, value?: number) {
      if (type === 'counter') counters[name] = (counters[name] ?? 0) + (value ?? 0);
      else if (type === 'histogram') (histograms[name] ??= []).push(value!);
      else if (type === 'rate') counters[`rate:${name}`] = (counters[`rate:${name}`] ?? 0) + 1;
      else if (type === 'error') errors.push(name);
    },
  };
}

/** One virtual user: its cookie jar and its context, stepping through a flow like the HTTP engine. */
function virtualUser(demo: DemoServer, softkey: SoftkeySettings, dirname?: string) {
  let cookie = '';
  const context: ArtilleryContext = { vars: { target: demo.origin, softkey, ...(dirname && { $dirname: dirname }) } };
  const events = recorder();
  const post = async (
    path: string,
    json: unknown,
    hooks: { before?: typeof softkeyAttach; after?: typeof softkeyCreate } = {},
  ) => {
    const req: { json?: unknown } = { json };
    if (hooks.before) await hooks.before(req, context, events);
    const res = await fetch(new URL(path, demo.origin), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(cookie && { cookie }) },
      body: JSON.stringify(req.json),
    });
    const set = res.headers.get('set-cookie');
    if (set) cookie = set.split(';')[0]!;
    const response = { statusCode: res.status, body: await res.text() };
    if (hooks.after) await hooks.after(req, response, context, events);
    return response;
  };
  return {
    context,
    events,
    post,
    signUp: async (username: string) => {
      await post('/api/register/options', { username, attestation: 'direct' }, { after: softkeyCreate });
      return post('/api/register/verify', undefined, { before: softkeyAttach, after: softkeyVerdict });
    },
    /** Without a user name the demo's options leave allowCredentials empty: discoverable sign-in. */
    signIn: async (username?: string) => {
      await post('/api/login/options', username === undefined ? {} : { username }, { after: softkeyGet });
      return post('/api/login/verify', undefined, { before: softkeyAttach, after: softkeyVerdict });
    },
  };
}

describe('softkey/artillery processor functions against the demo RP', () => {
  let dir: string;
  let demo: DemoServer;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'softkey-pool-'));
    writePool(join(dir, 'pool'), await createPool({ users: 4, rpId: 'localhost' }));
    demo = await createDemoServer({ port: 0, dbPath: ':memory:', seedPool: join(dir, 'pool') });
  });
  after(async () => {
    await demo.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the pool secret 0600 and seeds the demo with every pool user', () => {
    assert.equal(statSync(join(dir, 'pool', 'secret.json')).mode & 0o777, 0o600);
    const seeded = demo.db.allCredentials();
    assert.deepEqual(seeded.map((c) => c.userName).sort(), [
      'pool-user-0',
      'pool-user-1',
      'pool-user-2',
      'pool-user-3',
    ]);
    assert.ok(seeded.every((c) => c.counter === COUNTER_BASE));
  });

  it('signs up and signs in a virtual user per profile, each answer verified by the RP', async () => {
    const profiles = [
      { name: 'eddsa', algorithms: [-8], attestation: 'self' as const },
      { name: 'rs256', algorithms: [-257], attestation: 'packed' as const },
      {
        name: 'synced',
        attestation: 'packed' as const,
        backupEligible: true,
        backupState: true,
        aaguid: 'fbfc3007-154e-4ecc-8c0b-6e020557d7bd',
      },
    ];
    for (const p of profiles) {
      const vu = virtualUser(demo, { bodyField: 'credential', profiles: [p] });
      const username = `vu-${p.name}`;
      assert.equal((await vu.signUp(username)).statusCode, 200);
      assert.equal((await vu.signIn(username)).statusCode, 200);
      assert.equal((await vu.signIn(username)).statusCode, 200);
      assert.deepEqual(vu.events.errors, []);
      assert.equal(vu.events.counters['softkey.rp.verified'], 3);
      assert.equal(vu.events.counters[`softkey.profile.${p.name}`], 1);
      assert.equal(vu.events.histograms['softkey.sign_ms.get']?.length, 2);
      const [cred] = demo.db.credentialsOf(demo.db.userByName(username)!.id);
      assert.equal(cred!.alg, p.algorithms?.[0] ?? -7);
      assert.equal(cred!.fmt, 'packed'); // self attestation is packed without x5c (§8.2)
      assert.equal(cred!.backedUp, p.backupState === true);
      if (p.aaguid) assert.equal(cred!.aaguid, p.aaguid);
      assert.equal(cred!.counter, 2);
      await softkeyEnd(vu.context, vu.events);
    }
  });

  it('the older fault names are aliases of wrong answers: badSignature is bad-signature, counterRegress counter-backwards', async () => {
    const bad = virtualUser(demo, { bodyField: 'credential', faults: { badSignature: 100 } });
    await bad.signUp('vu-bad-signature');
    const refused = await bad.signIn('vu-bad-signature');
    assert.equal(refused.statusCode, 400);
    assert.equal(refusalReason(refused), '400.sign-in_not_verified'); // SimpleWebAuthn: the signature does not verify
    assert.equal(bad.events.counters['softkey.faults.refused.bad-signature'], 1);
    assert.equal(bad.events.counters['softkey.faults.accepted.bad-signature'], undefined);

    const regress = virtualUser(demo, { bodyField: 'credential', faults: { counterRegress: 100 } });
    await regress.signUp('vu-regress');
    // The first sign-in cannot regress (the RP has counter 0); the second one does.
    assert.equal((await regress.signIn('vu-regress')).statusCode, 200);
    const r = await regress.signIn('vu-regress');
    assert.equal(r.statusCode, 400);
    assert.match(refusalReason(r), /^400\.sign-in_not_verified_response_counter_value_n_was_lower_than_expected/);
    assert.equal(regress.events.counters['softkey.faults.refused.counter-backwards'], 1);
    assert.equal(regress.events.counters['softkey.rp.verified'], 2);
    assert.deepEqual([...bad.events.errors, ...regress.events.errors], []);
  });

  it("the RP test bench's wrong answers as faults, at sign-up and sign-in: the RP refuses each; softkeyRegistered says so", async () => {
    const signUpFaults = ['up-cleared', 'client-data-origin', 'cose-alg', 'rp-id-hash'];
    for (const fault of signUpFaults) {
      const vu = virtualUser(demo, { bodyField: 'credential', faults: { [fault]: 100 } });
      const r = await vu.signUp(`vu-${fault}`);
      assert.equal(r.statusCode, 400, fault);
      assert.equal(vu.events.counters[`softkey.faults.injected.${fault}`], 1);
      assert.equal(vu.events.counters[`softkey.faults.refused.${fault}`], 1);
      assert.equal(vu.context.vars.softkeyRegistered, false);
      assert.deepEqual(vu.events.errors, []);
      await softkeyEnd(vu.context, vu.events);
    }
    const vu = virtualUser(demo, { bodyField: 'credential', faults: { 'counter-fixed': 50, 'be-flip': 50 } });
    // Sign-up has neither (both belong to sign-in only); the first sign-in cannot be a counter fault (the RP holds 0).
    assert.equal((await vu.signUp('vu-wrong-signin')).statusCode, 200);
    assert.equal(vu.context.vars.softkeyRegistered, true);
    for (let i = 0; i < 4; i++) await vu.signIn('vu-wrong-signin');
    const injected = Object.entries(vu.events.counters).filter(([k]) => k.startsWith('softkey.faults.injected.'));
    const { counters } = vu.events;
    const honestSignIns = counters['softkey.rp.verified']! - 1;
    assert.equal(
      injected.reduce((a, [, n]) => a + n, 0),
      counters['softkey.ceremonies.get']! - honestSignIns,
    );
    const accepted = Object.keys(counters).filter((k) => k.startsWith('softkey.faults.accepted.'));
    assert.deepEqual(accepted, [], JSON.stringify(counters));
    assert.deepEqual(vu.events.errors, []);
    await softkeyEnd(vu.context, vu.events);
  });

  it('pool: two workers with nothing but the pool secret sign for the same users; counters rise across them', async () => {
    const counters: number[] = [];
    for (let round = 0; round < 6; round++) {
      // Alternate two independent workers (separate softkeys from the secret, distinct lanes).
      process.env.SOFTKEY_POOL_LANE = String(round % 2);
      // 'pool/' is a second path to the same pool: the processor keeps one signer per path, so a second worker.
      const vu = virtualUser(demo, { bodyField: 'credential', pool: round % 2 === 0 ? 'pool' : 'pool/' }, dir);
      vu.context.vars.softkeyUserIndex = 1; // the same credential every round
      await softkeyPickPoolUser(vu.context, vu.events);
      assert.equal(vu.context.vars.softkeyUsername, 'pool-user-1');
      const res = await vu.signIn('pool-user-1').catch((e: Error) => ({ statusCode: 0, body: e.message }));
      assert.equal(res.statusCode, 200, res.body);
      counters.push(JSON.parse(res.body).counter as number);
    }
    delete process.env.SOFTKEY_POOL_LANE;
    for (let i = 1; i < counters.length; i++)
      assert.ok(counters[i]! > counters[i - 1]!, `counter ${counters[i]} after ${counters[i - 1]}`);
    assert.ok(counters[0]! > COUNTER_BASE);
    assert.deepEqual(
      new Set(counters.map((c) => (c - COUNTER_BASE) % 8)),
      new Set([0, 1]),
      'each worker on its own lane',
    );
  });

  it("pool faults: the RP test bench's sign-in wrong answers are refused for a pool user", async () => {
    for (const fault of [
      'counter-backwards',
      'counter-fixed',
      'counter-zero',
      'bad-signature',
      'up-cleared',
      'client-data-challenge',
    ]) {
      const vu = virtualUser(demo, { bodyField: 'credential', pool: 'pool', faults: { [fault]: 100 } }, dir);
      await softkeyPickPoolUser(vu.context, vu.events);
      const res = await vu.signIn(vu.context.vars.softkeyUsername as string);
      assert.equal(res.statusCode, 400, `${fault}: ${res.body}`);
      assert.equal(vu.events.counters[`softkey.faults.refused.${fault}`], 1, fault);
    }
  });

  it("pool VUs at once on the worker's shared key: each armed wrong answer is told in its own ceremony", async () => {
    // One pool user per VU: two concurrent sign-ins of one credential may reach the RP's verification in
    // either order, and the later-counted one verified first makes the other a counter regression.
    writePool(join(dir, 'pool12'), await createPool({ users: 12, rpId: 'localhost', usernamePrefix: 'vu12' }));
    seedFromPool(demo.db, join(dir, 'pool12'), 'localhost');
    const settings = { bodyField: 'credential', pool: 'pool12', faults: { 'bad-signature': 30, 'up-cleared': 20 } };
    const vus = Array.from({ length: 12 }, () => virtualUser(demo, settings, dir));
    await Promise.all(
      vus.map(async (vu, i) => {
        vu.context.vars.softkeyUserIndex = i;
        await softkeyPickPoolUser(vu.context, vu.events);
        await vu.signIn(vu.context.vars.softkeyUsername as string);
        await vu.signIn(vu.context.vars.softkeyUsername as string);
      }),
    );
    for (const vu of vus) {
      const keys = Object.keys(vu.events.counters);
      assert.deepEqual(vu.events.errors, []);
      assert.deepEqual(
        keys.filter((k) => k.startsWith('softkey.rp.refused') || k.startsWith('softkey.faults.accepted')),
        [],
        JSON.stringify(vu.events.counters),
      );
      const refused = keys
        .filter((k) => k.startsWith('softkey.faults.refused.'))
        .reduce((a, k) => a + vu.events.counters[k]!, 0);
      assert.equal((vu.events.counters['softkey.rp.verified'] ?? 0) + refused, 2);
    }
  });

  it('time-based counters: lanes never collide and stay monotonic per worker', async () => {
    let now = 1_000_000;
    const a = await PoolSigner.open(join(dir, 'pool'), { lane: 0, now: () => now });
    const b = await PoolSigner.open(join(dir, 'pool'), { lane: 1, now: () => now });
    try {
      const epoch = a.pool.epochMs;
      now = epoch + 10;
      const seen = [a.nextCounter('x'), b.nextCounter('x'), a.nextCounter('x'), b.nextCounter('x')];
      assert.equal(new Set(seen).size, 4);
      assert.equal(seen[0], COUNTER_BASE + 10 * 8);
      assert.equal(seen[1], COUNTER_BASE + 10 * 8 + 1);
      assert.ok(seen[2]! > seen[0] && seen[3]! > seen[1]);
      now = epoch + 11;
      assert.ok(a.nextCounter('x') > seen[3]!);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a resident pool: discoverable sign-in with an empty allowCredentials, from the master secrets alone', async () => {
    const made = await createPool({ users: 3, rpId: 'localhost', resident: true, usernamePrefix: 'rk-user' });
    writePool(join(dir, 'rk'), made);
    assert.equal(made.pool.resident, true);
    seedFromPool(demo.db, join(dir, 'rk'), 'localhost');
    // secret.json keeps only the master secrets: no discoverable record, no user name.
    const secretText = readFileSync(join(dir, 'rk', 'secret.json'), 'utf8');
    const secret = JSON.parse(secretText) as { state: { residentCredentials: unknown[] } };
    assert.deepEqual(secret.state.residentCredentials, []);
    assert.doesNotMatch(secretText, /rk-user/);
    const counters: number[] = [];
    for (let round = 0; round < 4; round++) {
      process.env.SOFTKEY_POOL_LANE = String(round % 2);
      const vu = virtualUser(demo, { bodyField: 'credential', pool: round % 2 === 0 ? 'rk' : 'rk/' }, dir);
      vu.context.vars.softkeyUserIndex = round < 2 ? 2 : round - 2;
      await softkeyPickPoolUser(vu.context, vu.events);
      const res = await vu.signIn(); // no user name: the demo's options have allowCredentials []
      assert.equal(res.statusCode, 200, res.body);
      const verdict = JSON.parse(res.body) as { username: string; counter: number };
      assert.equal(verdict.username, vu.context.vars.softkeyUsername); // the VU's own user, found discoverably
      assert.equal(vu.events.histograms['softkey.key_open_ms']?.length, 1);
      if (round < 2) counters.push(verdict.counter);
      await softkeyEnd(vu.context, vu.events);
    }
    delete process.env.SOFTKEY_POOL_LANE;
    assert.ok(counters[1]! > counters[0]! && counters[0]! > COUNTER_BASE, `${counters}`);
    // A wrong answer from a resident pool user's own key is refused too.
    const vu = virtualUser(demo, { bodyField: 'credential', pool: 'rk', faults: { badSignature: 100 } }, dir);
    await softkeyPickPoolUser(vu.context, vu.events);
    assert.equal((await vu.signIn()).statusCode, 400);
    assert.equal(vu.events.counters['softkey.faults.refused.bad-signature'], 1);
    await softkeyEnd(vu.context, vu.events);
    // A non-resident pool has no user keys to open.
    const signer = await PoolSigner.open(join(dir, 'pool'), { lane: 0 });
    assert.throws(() => signer.openUserKey(0), /no discoverable credentials/);
    await signer.close();
  });

  it('refuses bad settings with a message naming the cause', async () => {
    const vu = virtualUser(demo, { faults: { nope: 5 } as never });
    await assert.rejects(softkeyPickPoolUser(vu.context, vu.events), /unknown fault "nope"/);
    const vu2 = virtualUser(demo, { faults: { badSignature: 80, counterRegress: 30 } });
    await assert.rejects(softkeyPickPoolUser(vu2.context, vu2.events), /more than 100%/);
  });
});
