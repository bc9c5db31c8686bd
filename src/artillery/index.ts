/**
 * softkey/artillery: passkey ceremonies inside Artillery load tests (https://www.artillery.io).
 *
 * Processor functions, not an engine. Artillery's HTTP engine already does what a relying party's
 * endpoints need (cookies for the RP's session, JSON bodies, captures, expectations, per-endpoint
 * metrics, its distributed runners); an engine would have to redo all of that. What is missing is
 * only the authenticator between two HTTP steps, which is what a processor hook is for:
 *
 *   - post: { url: /api/register/options, json: {...}, afterResponse: softkeyCreate }
 *   - post: { url: /api/register/verify, beforeRequest: softkeyAttach, afterResponse: softkeyVerdict }
 *   - post: { url: /api/login/options, json: {...}, afterResponse: softkeyGet }
 *   - post: { url: /api/login/verify, beforeRequest: softkeyAttach, afterResponse: softkeyVerdict }
 *
 * softkeyCreate / softkeyGet read the creation / request options JSON the RP returned
 * (SimpleWebAuthn-style, WebAuthn L3 §5.1.3 / §5.1.4 PublicKeyCredential*OptionsJSON) and run the
 * real ceremony through softkey's WebAuthn client and authenticator, in process: each virtual user
 * (VU) has its own ':memory:' key for sign-up; sign-in against a pool (config.variables.softkey.pool)
 * uses the worker's key opened from the pool secret (./pool.ts). softkeyAttach puts the response JSON
 * in the next request's body; softkeyVerdict reads the RP's answer.
 *
 * Settings, in the scenario's `config.variables.softkey` (an object, so Artillery passes it as is):
 *   origin        the RP's origin (default: the origin of config.target)
 *   bodyField     the response JSON goes in { [bodyField]: response } (default: the body is the response)
 *   pool          a pool directory (softkey pool create), relative to the scenario file; in a resident
 *                 pool (--resident) each VU gets its own key holding its user's discoverable credential,
 *                 so the RP's options may leave allowCredentials empty (discoverable sign-in)
 *   profiles      [{ name, weight, aaguid, attestation: packed|self|none, algorithms: [-7|-8|-257],
 *                    backupEligible, backupState }], one picked per VU by weight
 *   faults        { WRONG_ANSWER: PERCENT }: ceremonies answered wrongly on purpose with the RP test
 *                 bench's wrong answers (key.control.override; control/wrongAnswers.ts), each in the
 *                 ceremonies it belongs to; the RP must refuse them (counted as
 *                 softkey.faults.refused.KIND, or softkey.faults.accepted.KIND plus an Artillery error
 *                 when it does not); vars.softkeyRegistered says whether the sign-up stands. The older
 *                 keys badSignature and counterRegress still work, as aliases (FAULT_ALIASES)
 *
 * Metrics (Artillery counters, rates and histograms):
 *   softkey.ceremonies.create|get            ceremonies run;   softkey.ceremonies_verified  rate /s
 *   softkey.sign_ms.create|get               softkey's own time per ceremony (client + authenticator)
 *   softkey.key_open_ms                      opening a VU's own key (before its sign-up; a resident pool user's)
 *   softkey.rp.verified                      correct answers the RP verified
 *   softkey.rp.refused.STATUS.REASON         correct answers the RP refused (from its status and body)
 *   softkey.faults.injected|refused|accepted.KIND
 *   softkey.profile.NAME                     VUs per profile
 *   softkey.pool.lane.N                      pool sign-ins per counter lane (one lane per worker)
 *
 * Pool sign-ins that share the worker's key run one at a time on it (serially): a wrong answer armed
 * for one ceremony is then told in that ceremony, never in another VU's running at the same moment.
 */
import { performance } from 'node:perf_hooks';
import { isAbsolute, join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { decode as b64d } from '../encoding/base64url.js';
import { fromHex } from '../encoding/bytes.js';
import { openSoftKey, type SoftKey } from '../main/softkey.js';
import { WRONG_ANSWERS } from '../main/control.js';
import { PoolSigner } from './pool.js';

export { createPool, writePool, readPoolFile, PoolSigner, PoolError, COUNTER_BASE, COUNTER_LANES } from './pool.js';
export type { PoolFile, PoolUser, PoolSecretFile, CreatePoolOptions } from './pool.js';

/** The part of Artillery's event emitter a processor uses. */
export interface ArtilleryEvents {
  emit(type: 'counter', name: string, value: number): unknown;
  emit(type: 'histogram', name: string, value: number): unknown;
  emit(type: 'rate', name: string): unknown;
  emit(type: 'error', message: string): unknown;
}
export interface ArtilleryContext {
  vars: Record<string, unknown>;
}
export interface ArtilleryRequest {
  json?: unknown;
  [k: string]: unknown;
}
export interface ArtilleryResponse {
  statusCode: number;
  body?: unknown;
}

/**
 * The fault names of softkey/artillery's first release, now names of the RP test bench's wrong answers
 * (one implementation of each lie, in the authenticator): a bad signature is `bad-signature`, a
 * regressed counter `counter-backwards` (signCount 1 after the RP stored a larger one). Metrics use the
 * wrong answer's name.
 */
export const FAULT_ALIASES: Readonly<Record<string, string>> = {
  badSignature: 'bad-signature',
  counterRegress: 'counter-backwards',
};
/**
 * softkey.faults takes every deliberately wrong answer of the RP test bench (key.control.override;
 * README "A relying party's test bench"), e.g. { 'bad-signature': 2, 'up-cleared': 2, 'client-data-origin': 1 },
 * told in each ceremony it belongs to (sign-up: own-key VUs; sign-in: every VU).
 */
const WRONG_ANSWER_NAMES = WRONG_ANSWERS.map((w) => w.name);

export interface ProfileSetting {
  name?: string;
  weight?: number;
  /** 32 hex digits, dashes allowed. */
  aaguid?: string;
  attestation?: 'packed' | 'self' | 'none';
  algorithms?: number[];
  backupEligible?: boolean;
  backupState?: boolean;
}

export interface SoftkeySettings {
  origin?: string;
  bodyField?: string;
  pool?: string;
  profiles?: ProfileSetting[];
  faults?: Record<string, number | undefined>;
}

interface VuState {
  settings: SoftkeySettings;
  /** Percent per wrong answer, aliases resolved. */
  faults: ReadonlyMap<string, number>;
  /** The VU's own key: made at its sign-up, or a resident pool user's. */
  key?: SoftKey;
  profile?: string;
  /** The pool user this VU signs in as, and the worker's pool signer. */
  poolIndex?: number;
  signer?: PoolSigner;
  /** The credential softkeyCreate made for this VU. */
  credentialId?: string;
  lastCounter: number;
  pending?: { body: unknown; ceremony: 'create' | 'get'; fault?: string };
}

const vus = new WeakMap<object, VuState>();
const pools = new Map<string, Promise<PoolSigner>>();

export class SoftkeyArtilleryError extends Error {
  override name = 'SoftkeyArtilleryError';
}

function settingsOf(context: ArtilleryContext): { settings: SoftkeySettings; faults: Map<string, number> } {
  const s = context.vars.softkey ?? {};
  if (typeof s !== 'object' || s === null || Array.isArray(s)) {
    throw new SoftkeyArtilleryError('config.variables.softkey must be an object');
  }
  const settings = s as SoftkeySettings;
  const faults = new Map<string, number>();
  for (const [k, v] of Object.entries(settings.faults ?? {})) {
    const name = FAULT_ALIASES[k] ?? k;
    if (!WRONG_ANSWER_NAMES.includes(name)) {
      const known = [...WRONG_ANSWER_NAMES, ...Object.keys(FAULT_ALIASES)].join(', ');
      throw new SoftkeyArtilleryError(`unknown fault "${k}" in softkey.faults (known: ${known})`);
    }
    if (typeof v !== 'number' || !(v >= 0 && v <= 100))
      throw new SoftkeyArtilleryError(`softkey.faults.${k} must be a percentage 0–100`);
    if (v > 0) faults.set(name, (faults.get(name) ?? 0) + v); // an alias and its wrong answer both given: added
  }
  const total = [...faults.values()].reduce((a, b) => a + b, 0);
  if (total > 100) throw new SoftkeyArtilleryError(`softkey.faults add up to ${total}%, more than 100%`);
  return { settings, faults };
}

function vu(context: ArtilleryContext): VuState {
  let s = vus.get(context);
  if (!s) vus.set(context, (s = { ...settingsOf(context), lastCounter: 0 }));
  return s;
}

/** Per shared key: when its last queued ceremony has settled, and how many are queued or running. */
const queues = new WeakMap<SoftKey, { tail: Promise<unknown>; queued: number }>();

/**
 * Runs `ceremony` on `key` after every one queued before it (the pool's shared key; see the header);
 * at once when none is (one VU per worker, or a quiet moment), without waiting a turn for the queue.
 */
function serially<T>(key: SoftKey, ceremony: () => Promise<T>): Promise<T> {
  let q = queues.get(key);
  if (!q) queues.set(key, (q = { tail: Promise.resolve(), queued: 0 }));
  const queue = q;
  let run: Promise<T>;
  if (queue.queued > 0) run = queue.tail.then(ceremony, ceremony);
  else {
    try {
      run = ceremony();
    } catch (e) {
      run = Promise.reject(e);
    }
  }
  queue.queued++;
  const settled = () => void queue.queued--;
  queue.tail = run.then(settled, settled);
  return run;
}

/** Origins of config.target values, parsed once (every ceremony of a run has the same). */
const targetOrigins = new Map<string, string>();

function originOf(context: ArtilleryContext, settings: SoftkeySettings): string {
  if (settings.origin) return settings.origin;
  const target = context.vars.target;
  if (typeof target !== 'string') {
    throw new SoftkeyArtilleryError(
      'set config.target or config.variables.softkey.origin: the RP origin goes into clientDataJSON',
    );
  }
  let origin = targetOrigins.get(target);
  if (origin === undefined) {
    if (targetOrigins.size >= 64) targetOrigins.clear();
    targetOrigins.set(target, (origin = new URL(target).origin));
  }
  return origin;
}

function pickWeighted<T extends { weight?: number }>(items: readonly T[]): T | undefined {
  const total = items.reduce((a, p) => a + (p.weight ?? 1), 0);
  let r = Math.random() * total;
  for (const p of items) if ((r -= p.weight ?? 1) < 0) return p;
  return items.at(-1);
}

async function openVuKey(state: VuState, events: ArtilleryEvents): Promise<SoftKey> {
  const p = state.settings.profiles?.length ? pickWeighted(state.settings.profiles) : undefined;
  state.profile = p?.name ?? (p ? `profile${state.settings.profiles!.indexOf(p)}` : 'default');
  events.emit('counter', `softkey.profile.${state.profile}`, 1);
  const aaguid = p?.aaguid ? fromHex(p.aaguid.replaceAll('-', '').toLowerCase()) : undefined;
  if (aaguid && aaguid.length !== 16)
    throw new SoftkeyArtilleryError(`profile ${state.profile}: aaguid must be 16 bytes (32 hex digits)`);
  return openSoftKey({
    dataDir: ':memory:',
    presence: 'auto',
    config: {
      ...(aaguid && { aaguid }),
      ...(p?.attestation && { attestation: p.attestation }),
      ...(p?.algorithms && { algorithms: p.algorithms as never }),
    },
    ...(p?.backupEligible !== undefined && { backupEligible: p.backupEligible }),
    ...(p?.backupState !== undefined && { backupState: p.backupState }),
  });
}

/** The worker's counter lane: SOFTKEY_POOL_LANE when set (one per load-generator worker), else its thread and process. */
function workerLane(): number {
  const env = process.env.SOFTKEY_POOL_LANE;
  if (env !== undefined && /^\d+$/.test(env)) return Number(env);
  return (process.pid * 31 + threadId) >>> 0;
}

function poolSigner(context: ArtilleryContext, dir: string): Promise<PoolSigner> {
  const base = typeof context.vars.$dirname === 'string' ? context.vars.$dirname : process.cwd();
  const path = isAbsolute(dir) ? dir : join(base, dir);
  let p = pools.get(path);
  if (!p) {
    const passphrase = process.env.SOFTKEY_POOL_PASSPHRASE;
    pools.set(path, (p = PoolSigner.open(path, { lane: workerLane(), ...(passphrase && { passphrase }) })));
  }
  return p;
}

function parseBody(res: ArtilleryResponse, what: string): Record<string, unknown> {
  const raw = res.body;
  const body = typeof raw === 'string' ? (JSON.parse(raw) as unknown) : raw;
  if (res.statusCode !== 200 || typeof body !== 'object' || body === null) {
    const text = String(typeof raw === 'string' ? raw : JSON.stringify(raw)).slice(0, 200);
    throw new SoftkeyArtilleryError(`the RP answered ${res.statusCode} to the ${what} request: ${text}`);
  }
  return body as Record<string, unknown>;
}

const elapsed = (t0: number) => performance.now() - t0;

/** afterResponse hook: the response holds creation options JSON; makes this VU's credential. */
export async function softkeyCreate(
  _req: ArtilleryRequest,
  res: ArtilleryResponse,
  context: ArtilleryContext,
  events: ArtilleryEvents,
): Promise<void> {
  const state = vu(context);
  const options = parseBody(res, 'creation options');
  if (!state.key) {
    const t = performance.now();
    state.key = await openVuKey(state, events);
    events.emit('histogram', 'softkey.key_open_ms', elapsed(t));
  }
  const fault = pickFault(state.faults, 'registration');
  if (fault) state.key.control.override({ answer: fault, once: true, ceremony: 'registration' });
  const t0 = performance.now();
  const response = await state.key.client.create(options as never, { origin: originOf(context, state.settings) });
  events.emit('histogram', 'softkey.sign_ms.create', elapsed(t0));
  events.emit('counter', 'softkey.ceremonies.create', 1);
  if (fault) events.emit('counter', `softkey.faults.injected.${fault}`, 1);
  state.credentialId = response.id;
  state.pending = { body: response, ceremony: 'create', ...(fault && { fault }) };
}

/**
 * Function step: picks a pool user for this VU (vars.softkeyUserIndex when set, else at random) and sets
 * vars.softkeyUsername for the RP's options request. In a resident pool it also opens the VU's own key
 * (closed by softkeyEnd, the afterScenario hook).
 */
export async function softkeyPickPoolUser(context: ArtilleryContext, events: ArtilleryEvents): Promise<void> {
  const state = vu(context);
  if (!state.settings.pool) throw new SoftkeyArtilleryError('softkeyPickPoolUser needs config.variables.softkey.pool');
  const signer = (state.signer = await poolSigner(context, state.settings.pool));
  const given = context.vars.softkeyUserIndex; // e.g. from a CSV payload; else a random pool user
  const random = Math.floor(Math.random() * signer.pool.users.length);
  state.poolIndex =
    (typeof given === 'number' || typeof given === 'string') && /^\d+$/.test(String(given)) ? Number(given) : random;
  context.vars.softkeyUsername = signer.user(state.poolIndex).username;
  if (signer.pool.resident) {
    await state.key?.close();
    const t = performance.now();
    state.key = await signer.openUserKey(state.poolIndex);
    events.emit('histogram', 'softkey.key_open_ms', elapsed(t));
  }
}

/** A wrong answer for this ceremony, drawn by its percentage among those that belong to it. */
function pickFault(
  faults: ReadonlyMap<string, number>,
  ceremony: 'registration' | 'authentication',
): string | undefined {
  if (faults.size === 0) return undefined;
  let r = Math.random() * 100;
  for (const w of WRONG_ANSWERS) {
    if (w.ceremonies.includes(ceremony) && (r -= faults.get(w.name) ?? 0) < 0) return w.name;
  }
  return undefined;
}

/** afterResponse hook: the response holds request options JSON; signs with this VU's (or its pool user's) credential. */
export async function softkeyGet(
  _req: ArtilleryRequest,
  res: ArtilleryResponse,
  context: ArtilleryContext,
  events: ArtilleryEvents,
): Promise<void> {
  const state = vu(context);
  const options = parseBody(res, 'request options');
  const t0 = performance.now();
  let key: SoftKey;
  let credentialId: string;
  let pool: PoolSigner | undefined;
  if (state.poolIndex !== undefined) {
    pool = state.signer ?? (state.signer = await poolSigner(context, state.settings.pool!));
    key = state.key ?? pool.key; // a resident pool user's own key, else the worker's
    credentialId = pool.user(state.poolIndex).credentialId;
  } else if (state.key && state.credentialId) {
    key = state.key;
    credentialId = state.credentialId;
  } else {
    throw new SoftkeyArtilleryError(
      'softkeyGet: this virtual user has no credential (run softkeyCreate or softkeyPickPoolUser first)',
    );
  }
  let fault = pickFault(state.faults, 'authentication');
  // A counter lie needs an RP that holds a non-zero counter: pool credentials are seeded at COUNTER_BASE.
  if (fault?.startsWith('counter-') && !pool && state.lastCounter < 1) fault = undefined;
  const counterFault = fault?.startsWith('counter-') === true;
  const origin = originOf(context, state.settings);
  const ceremony = () => {
    // The counter lies are relative to the authenticator's last count: make that one the RP has surely
    // seen (a pool's seed; an own key's last verified count, as refused sign-ins moved it on), so the lie
    // is one to the RP too. Honest pool answers carry the next time-based counter.
    if (pool && !counterFault) pool.armCounter(credentialId, key);
    if (counterFault)
      key.control.setCredential(credentialId, { signCount: pool ? pool.pool.counterBase : state.lastCounter });
    if (fault) key.control.override({ answer: fault, once: true, ceremony: 'authentication' });
    return key.client.get(options as never, { origin });
  };
  const response = pool && key === pool.key ? await serially(key, ceremony) : await ceremony();
  events.emit('histogram', 'softkey.sign_ms.get', elapsed(t0));
  events.emit('counter', 'softkey.ceremonies.get', 1);
  if (pool) events.emit('counter', pool.laneMetric, 1);
  if (!fault && !pool) {
    const authData = b64d(response.response.authenticatorData); // may be a view into a shared buffer: read at its offset
    const signCount = new DataView(authData.buffer, authData.byteOffset, authData.byteLength).getUint32(33); // §6.1 signCount
    state.lastCounter = Math.max(state.lastCounter, signCount);
  }
  if (fault) events.emit('counter', `softkey.faults.injected.${fault}`, 1);
  state.pending = { body: response, ceremony: 'get', ...(fault && { fault }) };
}

/** beforeRequest hook: puts the last ceremony's response JSON in this request's body. */
export async function softkeyAttach(
  req: ArtilleryRequest,
  context: ArtilleryContext,
  _events: ArtilleryEvents,
): Promise<void> {
  const state = vu(context);
  if (!state.pending)
    throw new SoftkeyArtilleryError('softkeyAttach: no ceremony ran before this request (softkeyCreate or softkeyGet)');
  req.json = state.settings.bodyField ? { [state.settings.bodyField]: state.pending.body } : state.pending.body;
}

/**
 * The RP's refusal as a metric name: "sign-in not verified: Response counter value 1 was lower than expected 1000"
 * → "400.sign-in_not_verified_response_counter_value_n_was_lower_than_expected_n".
 */
export function refusalReason(res: ArtilleryResponse): string {
  let text: string;
  try {
    const body = (typeof res.body === 'string' ? JSON.parse(res.body) : res.body) as Record<string, unknown>;
    text = typeof body?.error === 'string' ? body.error : typeof body?.message === 'string' ? body.message : '';
  } catch {
    text = typeof res.body === 'string' ? res.body : '';
  }
  const words = text
    .toLowerCase()
    .replace(/[a-z0-9_-]{20,}/g, 'x')
    .replace(/\d+/g, 'n')
    .replace(/[^a-z_ -]+/g, ' ')
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 12);
  return `${res.statusCode}${words.length ? `.${words.join('_')}` : ''}`;
}

/** afterResponse hook on the verify request: counts what the RP did with the answer. */
export async function softkeyVerdict(
  _req: ArtilleryRequest,
  res: ArtilleryResponse,
  context: ArtilleryContext,
  events: ArtilleryEvents,
): Promise<void> {
  const state = vu(context);
  const pending = state.pending;
  delete state.pending;
  let verified = false;
  if (res.statusCode >= 200 && res.statusCode < 300) {
    try {
      const body = (typeof res.body === 'string' ? JSON.parse(res.body) : res.body) as Record<string, unknown>;
      verified = body?.verified !== false;
    } catch {
      verified = true; // a 2xx without JSON: the RP took it
    }
  }
  // For scenario conditions (ifTrue: softkeyRegistered): a sign-up answered wrongly on purpose leaves no account.
  if (pending?.ceremony === 'create') context.vars.softkeyRegistered = verified && !pending.fault;
  if (pending?.fault) {
    if (verified) {
      events.emit('counter', `softkey.faults.accepted.${pending.fault}`, 1);
      events.emit('error', `softkey: the RP accepted a deliberately wrong answer (${pending.fault})`);
    } else {
      events.emit('counter', `softkey.faults.refused.${pending.fault}`, 1);
    }
    return;
  }
  if (verified) {
    events.emit('counter', 'softkey.rp.verified', 1);
    events.emit('rate', 'softkey.ceremonies_verified');
  } else {
    events.emit('counter', `softkey.rp.refused.${refusalReason(res)}`, 1);
  }
}

/** afterScenario hook: closes this VU's own key. */
export async function softkeyEnd(context: ArtilleryContext, _events: ArtilleryEvents): Promise<void> {
  const state = vus.get(context);
  vus.delete(context);
  await state?.key?.close();
}
