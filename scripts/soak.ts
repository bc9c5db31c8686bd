/**
 * `npm run soak [-- --creds N --assertions M --kills K --split|--mode normal|split|both --seed S]`
 * (issue #18, "never lose a key"): runs `softkey start` as a real process on its own UDP ports and
 * kills it with SIGKILL (its whole process group: in split mode the front and the secure core) at
 * random points while a host makes resident credentials and assertions, restarting it after each
 * kill. It checks what a relying party and a PIN holder rely on:
 *   - acknowledged / found: every makeCredential the host saw answered OK is still discoverable after
 *     the restarts (getAssertion without an allowList, then getNextAssertion) and signs with the key
 *     the host was given; one in flight at a kill may or may not exist, and nothing else may appear;
 *   - counters monotonic: every signCount the host sees for a credential is above the last one;
 *   - PIN retries preserved: a PIN is set and wrong PINs are tried (before and between kills); after
 *     each restart getPINRetries equals the last acknowledged value (or the outcome of the attempt in
 *     flight at the kill), so a kill never gives retries back.
 * A short run of each mode is in `npm test` (test/main/soak.test.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createHash } from 'node:crypto';
import { ClientPin } from '../src/client/clientPin.js';
import { verifySignature } from '../src/crypto/credentialKeys.js';
import { parseAuthenticatorData } from '../src/ctap2/authenticatorData.js';
import { Command } from '../src/ctap2/commands.js';
import { PinUvAuthTokenPermission } from '../src/ctap2/clientPin.js';
import { encodeSimpleCommand, pinUvAuthParamFor } from '../src/ctap2/hostCodec.js';
import { decodeGetAssertionResponse, encodeGetAssertionRequest } from '../src/ctap2/getAssertion.js';
import { decodeGetInfoResponse } from '../src/ctap2/getInfo.js';
import { decodeMakeCredentialResponse, encodeMakeCredentialRequest } from '../src/ctap2/makeCredential.js';
import { CtapError, Status } from '../src/ctap2/status.js';
import { concat, toHex } from '../src/encoding/bytes.js';
import { decodeCoseKey, type CoseKey } from '../src/encoding/cose.js';
import { connectSoftKey, type SoftKeyConnection } from '../src/main/softkey.js';
import { intFlag } from './intFlag.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const PIN = '271828';
const WRONG_PIN = '000000';
/** CTAP 2.1 §6.5.2.2: pinRetries starts at (and a right PIN restores) 8. */
const MAX_PIN_RETRIES = 8;

export interface SoakOptions {
  /** Resident credentials to have acknowledged (N). */
  creds: number;
  /** Assertions to have acknowledged (M), on random acknowledged credentials. */
  assertions: number;
  /** kill -9s, spread at random points over the run (K). */
  kills: number;
  split: boolean;
  /** Seed of the run's choices (kill points, delays, order), printed for replay. */
  seed: number;
  /** Progress lines. */
  log?: (line: string) => void;
}

export interface SoakReport {
  mode: 'normal' | 'split';
  seed: number;
  kills: number;
  restarts: number;
  /** Starts refused (a lock or port still held by the killed process) and tried again. */
  startRetries: number;
  /** Operations the kills hit, by kind (in flight: no answer reached the host). */
  killedDuring: Record<string, number>;
  /** makeCredential answered OK. */
  acknowledged: number;
  /** Acknowledged credentials found discoverable, with the acknowledged key, at the end. */
  found: number;
  /** Acknowledged credential IDs (hex) missing at some check. */
  lost: string[];
  /** makeCredentials in flight at a kill, and how many of those exist after it. */
  inFlightCreds: number;
  inFlightPersisted: number;
  /** Credentials found that the host never asked for (must be 0). */
  phantoms: number;
  assertions: number;
  /** signCounts seen (assertions and discovery), and how many were not above the previous one. */
  countersChecked: number;
  counterRegressions: string[];
  badSignatures: number;
  /** getPINRetries checks after restarts, wrong PINs acknowledged, and the checks that failed. */
  pinChecks: number;
  /** Of those, the ones where wrong PINs had been acknowledged (or were in flight) since the last right one. */
  pinChecksBelowMax: number;
  wrongPins: number;
  pinViolations: string[];
  /** Requests that neither answered nor were cut by a kill (the device hung). */
  hangs: number;
  /** Unexpected errors (a status other than the one expected), first few. */
  errors: string[];
  durationMs: number;
}

/** True when every check passed. */
export function soakPassed(r: SoakReport): boolean {
  return (
    r.lost.length === 0 &&
    r.found === r.acknowledged &&
    r.phantoms === 0 &&
    r.counterRegressions.length === 0 &&
    r.badSignatures === 0 &&
    r.pinViolations.length === 0 &&
    r.hangs === 0 &&
    r.errors.length === 0
  );
}

/** One paragraph a lead can paste into a note. */
export function formatSoakReport(r: SoakReport): string {
  const killed = Object.entries(r.killedDuring)
    .map(([op, n]) => `${op} ${n}`)
    .join(', ');
  return [
    `soak ${r.mode} (seed ${r.seed}): ${r.kills} kill -9s, ${r.restarts} restarts (${r.startRetries} retried), ` +
      `${(r.durationMs / 1000).toFixed(1)} s; kills hit: ${killed || 'none'}`,
    `  acknowledged / found: ${r.acknowledged} / ${r.found}` +
      ` (lost ${r.lost.length}; in flight at a kill ${r.inFlightCreds}, of which persisted ${r.inFlightPersisted}; phantoms ${r.phantoms})`,
    `  counters monotonic: ${r.counterRegressions.length === 0 ? 'yes' : 'NO'} ` +
      `(${r.countersChecked} signCounts checked over ${r.assertions} assertions` +
      ` + discovery; regressions ${r.counterRegressions.length}; bad signatures ${r.badSignatures})`,
    `  PIN retries preserved: ${r.pinViolations.length === 0 ? 'yes' : 'NO'} ` +
      `(${r.pinChecks} checks after restarts, ${r.pinChecksBelowMax} of them after wrong PINs;` +
      ` ${r.wrongPins} wrong PINs acknowledged;` +
      ` violations ${r.pinViolations.length})`,
    `  hangs ${r.hangs}, unexpected errors ${r.errors.length}${r.errors.length ? `: ${r.errors.slice(0, 3).join(' | ')}` : ''}`,
    ...r.lost.slice(0, 3).map((l) => `  lost: ${l}`),
    ...r.counterRegressions.slice(0, 3).map((l) => `  counter: ${l}`),
    ...r.pinViolations.slice(0, 3).map((l) => `  pin: ${l}`),
  ].join('\n');
}

/** mulberry32: a small seeded PRNG, so a failing run can be replayed with --seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------- the device process

/** The softkey executable of this build (package.json's bin, compiled). */
function cliPath(): string {
  for (let dir = HERE; dirname(dir) !== dir; dir = dirname(dir)) {
    const bin = join(dir, 'src', 'cli', 'bin.js');
    if (existsSync(bin) && existsSync(join(dir, 'scripts'))) return bin;
    const built = join(dir, 'dist', 'src', 'cli', 'bin.js');
    if (existsSync(built)) return built;
  }
  throw new Error(`softkey's compiled CLI (dist/src/cli/bin.js) not found above ${HERE}: run npm run build`);
}

function udpPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => (s.close(), resolve(false)));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function freePorts(): Promise<[number, number]> {
  for (let i = 0; i < 50; i++) {
    const a = 20000 + Math.floor(Math.random() * 40000);
    const b = a + 1;
    if ((await udpPortFree(a)) && (await udpPortFree(b))) return [a, b];
  }
  throw new Error('no free UDP port pair');
}

interface DeviceProcess {
  child: ChildProcess;
  exited: Promise<void>;
  output(): string;
}

/** `softkey start` in its own process group (so one SIGKILL takes the split core with it). */
function launch(dataDir: string, ports: [number, number], split: boolean): Promise<DeviceProcess> {
  const args = [
    cliPath(),
    'start',
    '--data-dir',
    dataDir,
    '--udp',
    `127.0.0.1:${ports[0]}`,
    '--reply-to',
    `127.0.0.1:${ports[1]}`,
  ];
  args.push('--presence', 'auto', '--no-apdu', ...(split ? ['--split'] : ['--no-panel']));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const killOnExit = () => killGroup(child);
  process.once('exit', killOnExit);
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => (process.off('exit', killOnExit), resolve())));
  return new Promise((resolve, reject) => {
    let ready = false;
    const timer = setTimeout(() => {
      killGroup(child);
      reject(new Error(`softkey did not start within 30 s:\n${out}`));
    }, 30_000);
    for (const stream of [child.stdout, child.stderr]) {
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        out = (out + chunk).slice(-20_000);
        if (!ready && /listening/.test(out)) {
          ready = true;
          clearTimeout(timer);
          resolve({ child, exited, output: () => out });
        }
      });
    }
    void exited.then(() => {
      clearTimeout(timer);
      if (!ready)
        reject(new Error(`softkey exited before it was ready (${child.exitCode ?? child.signalCode}):\n${out}`));
    });
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

// ---------------------------------------------------------------- the run

interface Cred {
  id: Uint8Array;
  userId: string;
  rpId: string;
  /** The public key from the acknowledged answer; absent for a credential whose answer a kill cut. */
  key?: CoseKey;
  lastCount: number;
}

type Op = 'makeCredential' | 'getAssertion' | 'wrongPin';

const sha256 = (s: string) => new Uint8Array(createHash('sha256').update(s).digest());
const rpOf = (lifetime: number) => `soak-${lifetime}.example`;

export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  const t0 = Date.now();
  const random = prng(o.seed);
  const log = o.log ?? (() => {});
  const report: SoakReport = {
    mode: o.split ? 'split' : 'normal',
    seed: o.seed,
    kills: 0,
    restarts: 0,
    startRetries: 0,
    killedDuring: {},
    acknowledged: 0,
    found: 0,
    lost: [],
    inFlightCreds: 0,
    inFlightPersisted: 0,
    phantoms: 0,
    assertions: 0,
    countersChecked: 0,
    counterRegressions: [],
    badSignatures: 0,
    pinChecks: 0,
    pinChecksBelowMax: 0,
    wrongPins: 0,
    pinViolations: [],
    hangs: 0,
    errors: [],
    durationMs: 0,
  };
  const error = (s: string) => void (report.errors.length < 20 && report.errors.push(s));
  const dataDir = mkdtempSync(join(tmpdir(), 'softkey-soak-'));
  const ports = await freePorts();
  const creds = new Map<string, Cred>(); // by credential ID (hex)
  const lost = new Set<string>();
  const inFlightUsers = new Map<string, string>(); // userId hex → rpId of a makeCredential cut by a kill
  let nextUser = 0;
  // PIN retries as the host last saw them acknowledged, and the value an attempt in flight at a kill would leave.
  let ackRetries: number | undefined;
  let pendingRetries: number | undefined;

  let device: DeviceProcess | undefined;
  let conn: SoftKeyConnection | undefined;
  let lifetime = 0;
  let abort = new AbortController();
  /** Rejects when the running device process exits. */
  let died: Promise<never> = new Promise(() => {});

  const start = async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        device = await launch(dataDir, ports, o.split);
        break;
      } catch (e) {
        // A killed process's lock or port may take a moment to be released; anything else is a failure.
        if (attempt >= 5 || !/lock|in use|EADDRINUSE|pid/i.test((e as Error).message)) throw e;
        report.startRetries++;
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
    abort = new AbortController();
    const ac = abort;
    died = device.exited.then(() => {
      ac.abort(new Error('device killed'));
      throw ac.signal.reason as Error;
    });
    died.catch(() => {});
    conn = await connectSoftKey({ udp: `127.0.0.1:${ports[0]}`, replyTo: `127.0.0.1:${ports[1]}`, timeoutMs: 20_000 });
  };
  /**
   * A host request, cut short when the device dies (a host would see its key vanish; CtapHidHost
   * itself, per CTAPHID, keeps waiting for an answer after a CANCEL until its timeout).
   */
  const send = (request: Uint8Array): Promise<Uint8Array> => {
    abort.signal.throwIfAborted();
    const answer = conn!.cbor(request, { signal: abort.signal });
    answer.catch(() => {});
    return Promise.race([answer, died]);
  };
  const stopConn = async () => {
    await conn?.close().catch(() => {});
    conn = undefined;
  };

  /** Every credential of `rpId` through getAssertion (no allowList) + getNextAssertion, checked against the host's record. */
  const discover = async (rpId: string): Promise<number> => {
    const clientDataHash = sha256(`discover ${rpId} ${report.restarts}`);
    const seen = new Set<string>();
    let first;
    try {
      first = decodeGetAssertionResponse(await send(encodeGetAssertionRequest({ rpId, clientDataHash })));
    } catch (e) {
      if (!(e instanceof CtapError && e.status === Status.CTAP2_ERR_NO_CREDENTIALS)) throw e;
    }
    const answers = first ? [first] : [];
    for (let i = 1; i < (first?.numberOfCredentials ?? 1); i++) {
      answers.push(decodeGetAssertionResponse(await send(encodeSimpleCommand(Command.authenticatorGetNextAssertion))));
    }
    let found = 0;
    for (const a of answers) {
      const key = toHex(a.credential.id);
      seen.add(key);
      let cred = creds.get(key);
      if (!cred) {
        const userId = a.user?.id ? toHex(a.user.id) : '';
        if (inFlightUsers.get(userId) !== rpId) {
          report.phantoms++;
          error(`phantom credential ${key.slice(0, 16)} at ${rpId}`);
          continue;
        }
        // A makeCredential cut by a kill that did persist: adopt it. Its public key travelled only in
        // the answer that never arrived, so only its counter is checked from now on.
        inFlightUsers.delete(userId);
        cred = { id: a.credential.id, userId, rpId, lastCount: -1 };
        creds.set(key, cred);
      } else if (cred.key) found++;
      checkAssertion(cred, a.authData, clientDataHash, a.signature);
    }
    for (const c of creds.values()) {
      if (c.rpId === rpId && c.key && !seen.has(toHex(c.id))) lost.add(`${toHex(c.id).slice(0, 16)}… at ${rpId}`);
    }
    return found;
  };

  const checkAssertion = (cred: Cred, authData: Uint8Array, clientDataHash: Uint8Array, signature: Uint8Array) => {
    const { signCount } = parseAuthenticatorData(authData);
    report.countersChecked++;
    if (!(signCount > cred.lastCount)) {
      report.counterRegressions.push(`${toHex(cred.id).slice(0, 16)}…: ${cred.lastCount} then ${signCount}`);
    }
    cred.lastCount = Math.max(cred.lastCount, signCount);
    if (cred.key && !verifySignature(cred.key, concat(authData, clientDataHash), signature)) report.badSignatures++;
  };

  let clientPin: ClientPin | undefined;
  const pinClient = async () =>
    (clientPin ??= new ClientPin(
      send,
      decodeGetInfoResponse(await send(encodeSimpleCommand(Command.authenticatorGetInfo))),
    ));

  let mcSent = false;
  /** Runs one operation; returns false when a kill cut it (no answer reached us). */
  const run = async (op: Op, onSent: (stage: 'token' | 'request') => void): Promise<boolean> => {
    mcSent = false;
    const rpId = rpOf(lifetime);
    const cp = await pinClient();
    try {
      switch (op) {
        case 'wrongPin': {
          pendingRetries = (ackRetries ?? MAX_PIN_RETRIES) - 1;
          const p = cp.tokenFromPin(WRONG_PIN, PinUvAuthTokenPermission.mc, rpId);
          onSent('request');
          try {
            await p;
            error('a wrong PIN was accepted');
          } catch (e) {
            if (!(e instanceof CtapError && e.status === Status.CTAP2_ERR_PIN_INVALID)) throw e;
          }
          ackRetries = pendingRetries;
          report.wrongPins++;
          break;
        }
        case 'makeCredential': {
          // A pinUvAuthToken for this one makeCredential (§6.1.2 step 14.4 clears its permissions after
          // use), from the PIN: pinRetries go back to the maximum.
          pendingRetries = MAX_PIN_RETRIES;
          const tokenPromise = cp.tokenFromPin(PIN, PinUvAuthTokenPermission.mc, rpId);
          onSent('token');
          const token = (await tokenPromise).token;
          ackRetries = MAX_PIN_RETRIES;
          pendingRetries = undefined;
          const userId = Uint8Array.from(Buffer.from(`u${++nextUser}`));
          const clientDataHash = sha256(`create ${nextUser}`);
          inFlightUsers.set(toHex(userId), rpId);
          mcSent = true;
          const p = send(
            encodeMakeCredentialRequest({
              clientDataHash,
              rp: { id: rpId },
              user: { id: userId, name: `user${nextUser}` },
              pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
              options: { rk: true },
              pinUvAuthParam: pinUvAuthParamFor(cp.protocol, token, clientDataHash),
              pinUvAuthProtocol: cp.protocol.version,
            }),
          );
          onSent('request');
          const made = decodeMakeCredentialResponse(await p);
          const acd = parseAuthenticatorData(made.authData).attestedCredentialData!;
          inFlightUsers.delete(toHex(userId));
          const key = decodeCoseKey(acd.credentialPublicKey);
          creds.set(toHex(acd.credentialId), { id: acd.credentialId, userId: toHex(userId), rpId, key, lastCount: -1 });
          report.acknowledged++;
          break;
        }
        case 'getAssertion': {
          const all = [...creds.values()].filter((c) => c.key);
          const cred = all[Math.floor(random() * all.length)]!;
          const clientDataHash = sha256(`get ${report.assertions}`);
          const allowList = [{ type: 'public-key' as const, id: cred.id }];
          const p = send(encodeGetAssertionRequest({ rpId: cred.rpId, clientDataHash, allowList }));
          onSent('request');
          const a = decodeGetAssertionResponse(await p, allowList);
          checkAssertion(cred, a.authData, clientDataHash, a.signature);
          report.assertions++;
          break;
        }
      }
      pendingRetries = undefined;
      return true;
    } catch (e) {
      if (abort.signal.aborted) return false;
      if (/timed out|timeout/i.test((e as Error).message)) {
        report.hangs++;
        error(`${op}: no answer (${(e as Error).message})`);
      } else error(`${op}: ${(e as Error).message}`);
      pendingRetries = undefined;
      return true;
    }
  };

  /** After a restart: PIN retries as acknowledged, and the previous lifetime's credentials all there. */
  const afterRestart = async () => {
    const cp = await pinClient();
    if (ackRetries !== undefined) {
      const now = await cp.pinRetries();
      report.pinChecks++;
      if (ackRetries < MAX_PIN_RETRIES || (pendingRetries ?? MAX_PIN_RETRIES) < MAX_PIN_RETRIES)
        report.pinChecksBelowMax++;
      if (now !== ackRetries && now !== pendingRetries) {
        const inFlight = pendingRetries !== undefined ? ` (in flight: ${pendingRetries})` : '';
        report.pinViolations.push(
          `after restart ${report.restarts}: ${now} retries, acknowledged ${ackRetries}${inFlight}`,
        );
      }
      ackRetries = now;
      pendingRetries = undefined;
    }
    if (lifetime > 0) await discover(rpOf(lifetime - 1));
  };

  try {
    await start();
    // The PIN: set once, before any kill.
    await (await pinClient()).setPin(PIN);
    ackRetries = await clientPin!.pinRetries();
    let killsLeft = o.kills;
    const opMs = new Map<Op, number>();
    while (report.acknowledged < o.creds || report.assertions < o.assertions || killsLeft > 0) {
      // This lifetime's work: a share of what is left, in random order, and a kill point. Every other
      // kill comes right after one or two wrong PINs (while pinRetries is below the maximum), so the
      // restart shows whether they were kept; never so many that the PIN would block.
      const share = (left: number) =>
        Math.max(0, killsLeft === 0 ? left : Math.ceil((left / (killsLeft + 1)) * (0.5 + random())));
      const plan: Op[] = [
        ...new Array<Op>(share(o.creds - report.acknowledged)).fill('makeCredential'),
        ...new Array<Op>(creds.size > 0 ? share(o.assertions - report.assertions) : 0).fill('getAssertion'),
      ];
      for (let i = plan.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [plan[i], plan[j]] = [plan[j]!, plan[i]!];
      }
      if (plan.length === 0) plan.push(creds.size > 0 ? 'getAssertion' : 'makeCredential');
      let killAt = killsLeft > 0 ? Math.floor(random() * plan.length) : -1;
      const burns = 1 + Math.floor(random() * 2);
      if (killAt >= 0 && (o.kills - killsLeft) % 2 === 0 && (ackRetries ?? 0) >= 4) {
        plan.splice(killAt, 0, ...new Array<Op>(burns).fill('wrongPin'));
        // During a wrong PIN, or the operation after them. The first such kill always lands during a
        // wrong PIN, so every run restarts at least once with retries below the maximum (the operation
        // after them may be a makeCredential whose PIN token restores the maximum before the kill).
        killAt += Math.floor(random() * (o.kills === killsLeft ? burns : burns + 1));
      }
      // The kill lands at once after a request is written (a quarter of the kills), or after a random
      // fraction of how long that kind of request has been taking on this machine; a makeCredential
      // is killed during its PIN token (a quarter) or during the makeCredential itself.
      const killFraction = random();
      const killStage = random() < 0.25 ? 'token' : 'request';
      const tl = Date.now();
      const killText =
        killAt >= 0 ? `at #${killAt} (${plan[killAt]}) at ${(killFraction * 100).toFixed(0)}% of it` : 'none';
      log(`lifetime ${lifetime}: ${plan.length} operations, kill ${killText}`);
      for (let i = 0; i < plan.length; i++) {
        let op = plan[i]!;
        if (op === 'getAssertion' && creds.size === 0) op = 'makeCredential';
        const kill = i === killAt;
        let sentAt = performance.now();
        const answered = await run(op, (stage) => {
          if (stage === 'request') sentAt = performance.now();
          if (!kill || (op === 'makeCredential' && stage !== killStage)) return;
          const d = device!;
          if (killFraction < 0.25) killGroup(d.child);
          else setTimeout(() => killGroup(d.child), killFraction * (opMs.get(op) ?? 5));
        });
        const took = performance.now() - sentAt;
        if (!kill) opMs.set(op, 0.8 * (opMs.get(op) ?? took) + 0.2 * took);
        if (kill) {
          await device!.exited;
          report.kills++;
          killsLeft--;
          if (!answered) {
            const what = op === 'makeCredential' && !mcSent ? 'makeCredential (its PIN token)' : op;
            report.killedDuring[what] = (report.killedDuring[what] ?? 0) + 1;
            if (op === 'makeCredential' && mcSent) report.inFlightCreds++;
          } else report.killedDuring['between operations'] = (report.killedDuring['between operations'] ?? 0) + 1;
          break;
        }
      }
      log(`  ran for ${Date.now() - tl} ms`);
      if (killAt < 0) break; // the last lifetime ran to its end
      await stopConn();
      clientPin = undefined;
      lifetime++;
      report.restarts++;
      const t = Date.now();
      await start();
      log(`  restarted in ${Date.now() - t} ms`);
      await afterRestart();
    }
    // A clean stop and one more start: everything acknowledged, once more, across every lifetime's RP.
    await stopConn();
    killGroup(device!.child, 'SIGTERM');
    const stopped = device!.exited;
    const force = setTimeout(() => killGroup(device!.child), 10_000);
    await stopped;
    clearTimeout(force);
    clientPin = undefined;
    lifetime++;
    report.restarts++;
    await start();
    await afterRestart();
    let found = 0;
    for (let l = 0; l < lifetime; l++) found += await discover(rpOf(l));
    report.found = found;
    report.inFlightPersisted = [...creds.values()].filter((c) => !c.key).length;
  } finally {
    report.lost = [...lost];
    await stopConn();
    if (device) {
      killGroup(device.child);
      await device.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
    report.durationMs = Date.now() - t0;
  }
  return report;
}

// ---------------------------------------------------------------- command line

async function main(args: string[]): Promise<number> {
  if (args.includes('--help')) {
    console.log(
      'npm run soak -- [--creds N=1000] [--assertions M=1000] [--kills K=20] [--split | --mode normal|split|both] [--seed S]',
    );
    return 0;
  }
  const creds = intFlag(args, '--creds', 1000);
  const assertions = intFlag(args, '--assertions', 1000);
  const kills = intFlag(args, '--kills', 20);
  const seed = intFlag(args, '--seed', Math.floor(Math.random() * 2 ** 31));
  const modeArg = args.includes('--split')
    ? 'split'
    : args.includes('--mode')
      ? (args[args.indexOf('--mode') + 1] ?? '')
      : 'both';
  if (!['normal', 'split', 'both'].includes(modeArg))
    throw new Error(`--mode must be normal, split or both, got "${modeArg}"`);
  const modes = modeArg === 'both' ? [false, true] : [modeArg === 'split'];
  let ok = true;
  for (const split of modes) {
    const verbose = args.includes('--verbose');
    const r = await runSoak({
      creds,
      assertions,
      kills,
      split,
      seed,
      ...(verbose && { log: (l: string) => console.error(l) }),
    });
    console.log(formatSoakReport(r));
    ok &&= soakPassed(r);
  }
  console.log(ok ? 'soak: PASS' : 'soak: FAIL');
  return ok ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e);
      process.exit(2);
    },
  );
}
