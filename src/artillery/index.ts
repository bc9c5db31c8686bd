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
 *   pool          a pool directory (softkey pool create), relative to the scenario file
 *   profiles      [{ name, weight, aaguid, attestation: packed|self|none, algorithms: [-7|-8|-257],
 *                    backupEligible, backupState }], one picked per VU by weight
 *   faults        { badSignature: PERCENT, counterRegress: PERCENT, WRONG_ANSWER: PERCENT }: ceremonies
 *                 answered wrongly on purpose (sign-in; and sign-up for the wrong answers of
 *                 key.control.override that belong to registration); the RP must refuse them (counted
 *                 as softkey.faults.refused.KIND, or softkey.faults.accepted.KIND plus an Artillery
 *                 error when it does not); vars.softkeyRegistered says whether the sign-up stands
 *
 * Metrics (Artillery counters, rates and histograms):
 *   softkey.ceremonies.create|get            ceremonies run;   softkey.ceremonies_verified  rate /s
 *   softkey.sign_ms.create|get               softkey's own time per ceremony (client + authenticator)
 *   softkey.key_open_ms                      opening a VU's own ':memory:' key (once per VU, before its sign-up)
 *   softkey.rp.verified                      correct answers the RP verified
 *   softkey.rp.refused.STATUS.REASON         correct answers the RP refused (from its status and body)
 *   softkey.faults.injected|refused|accepted.KIND
 *   softkey.profile.NAME                     VUs per profile
 *   softkey.pool.lane.N                      pool sign-ins per counter lane (one lane per worker)
 */
import { performance } from 'node:perf_hooks';
import { isAbsolute, join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { decode as b64d, encode as b64e } from '../encoding/base64url.js';
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

export type FaultKind = 'badSignature' | 'counterRegress';
export const FAULT_KINDS: readonly FaultKind[] = ['badSignature', 'counterRegress'];
/**
 * Besides FAULT_KINDS, softkey.faults takes every deliberately wrong answer of the RP test bench
 * (key.control.override; README "A relying party's test bench"), e.g. { 'up-cleared': 2, 'client-data-origin': 1 },
 * told in each ceremony it belongs to by VUs with their own key (sign-up, and sign-in after it); pool
 * sign-ins share one key per worker and take only FAULT_KINDS.
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
  key?: SoftKey;
  profile?: string;
  /** The pool user this VU signs in as. */
  poolIndex?: number;
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

function settingsOf(context: ArtilleryContext): SoftkeySettings {
  const s = context.vars.softkey ?? {};
  if (typeof s !== 'object' || s === null || Array.isArray(s)) {
    throw new SoftkeyArtilleryError('config.variables.softkey must be an object');
  }
  const settings = s as SoftkeySettings;
  for (const [k, v] of Object.entries(settings.faults ?? {})) {
    if (!FAULT_KINDS.includes(k as FaultKind) && !WRONG_ANSWER_NAMES.includes(k)) {
      const known = [...FAULT_KINDS, ...WRONG_ANSWER_NAMES].join(', ');
      throw new SoftkeyArtilleryError(`unknown fault "${k}" in softkey.faults (known: ${known})`);
    }
    if (typeof v !== 'number' || !(v >= 0 && v <= 100))
      throw new SoftkeyArtilleryError(`softkey.faults.${k} must be a percentage 0–100`);
  }
  const total = Object.values(settings.faults ?? {}).reduce<number>((a, b) => a + (b ?? 0), 0);
  if (total > 100) throw new SoftkeyArtilleryError(`softkey.faults add up to ${total}%, more than 100%`);
  return settings;
}

function vu(context: ArtilleryContext): VuState {
  let s = vus.get(context);
  if (!s) vus.set(context, (s = { settings: settingsOf(context), lastCounter: 0 }));
  return s;
}

function originOf(context: ArtilleryContext, settings: SoftkeySettings): string {
  if (settings.origin) return settings.origin;
  const target = context.vars.target;
  if (typeof target !== 'string') {
    throw new SoftkeyArtilleryError(
      'set config.target or config.variables.softkey.origin: the RP origin goes into clientDataJSON',
    );
  }
  return new URL(target).origin;
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
  const fault = pickFault(state.settings, 'registration', true);
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
 * vars.softkeyUsername for the RP's options request.
 */
export async function softkeyPickPoolUser(context: ArtilleryContext, _events: ArtilleryEvents): Promise<void> {
  const state = vu(context);
  if (!state.settings.pool) throw new SoftkeyArtilleryError('softkeyPickPoolUser needs config.variables.softkey.pool');
  const signer = await poolSigner(context, state.settings.pool);
  const given = context.vars.softkeyUserIndex; // e.g. from a CSV payload; else a random pool user
  const random = Math.floor(Math.random() * signer.pool.users.length);
  state.poolIndex =
    (typeof given === 'number' || typeof given === 'string') && /^\d+$/.test(String(given)) ? Number(given) : random;
  context.vars.softkeyUsername = signer.user(state.poolIndex).username;
}

/** A fault for this ceremony, drawn by its percentage: FAULT_KINDS (sign-in) and the wrong answers it may tell. */
function pickFault(
  settings: SoftkeySettings,
  ceremony: 'registration' | 'authentication',
  ownKey: boolean,
): string | undefined {
  const kinds = [
    ...(ceremony === 'authentication' ? FAULT_KINDS : []),
    ...(ownKey ? WRONG_ANSWERS.filter((w) => w.ceremonies.includes(ceremony)).map((w) => w.name) : []),
  ];
  let r = Math.random() * 100;
  for (const k of kinds) if ((r -= settings.faults?.[k] ?? 0) < 0) return k;
  return undefined;
}

/** A signature that no key made: one byte of the DER r value flipped (WebAuthn L3 §7.2 step 20 must fail). */
function corruptSignature(signature: string): string {
  const sig = b64d(signature);
  const i = Math.min(6, sig.length - 1);
  sig[i] = sig[i]! ^ 0x01;
  return b64e(sig);
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
    pool = await poolSigner(context, state.settings.pool!);
    key = pool.key;
    credentialId = pool.user(state.poolIndex).credentialId;
  } else if (state.key && state.credentialId) {
    key = state.key;
    credentialId = state.credentialId;
  } else {
    throw new SoftkeyArtilleryError(
      'softkeyGet: this virtual user has no credential (run softkeyCreate or softkeyPickPoolUser first)',
    );
  }
  // A counter regress needs an RP that has seen a counter above 1: pool credentials are seeded at COUNTER_BASE.
  let fault = pickFault(state.settings, 'authentication', !pool);
  const counterFault = fault === 'counterRegress' || fault?.startsWith('counter-');
  if (counterFault && !pool && state.lastCounter < 1) fault = undefined;
  const regress = fault === 'counterRegress';
  if (pool && !regress) pool.armCounter(credentialId);
  if (pool) events.emit('counter', `softkey.pool.lane.${pool.lane}`, 1);
  if (regress) key.control.setCredential(credentialId, { signCount: 0 });
  if (fault && WRONG_ANSWER_NAMES.includes(fault)) {
    // The counter lies are relative to the authenticator's last count: make that the last one the RP saw
    // (earlier refused sign-ins moved it on), so the lie is one to the RP too.
    if (counterFault) key.control.setCredential(credentialId, { signCount: state.lastCounter });
    key.control.override({ answer: fault, once: true, ceremony: 'authentication' });
  }
  const response = await key.client.get(options as never, { origin: originOf(context, state.settings) });
  events.emit('histogram', 'softkey.sign_ms.get', elapsed(t0));
  events.emit('counter', 'softkey.ceremonies.get', 1);
  if (fault === 'badSignature') response.response.signature = corruptSignature(response.response.signature);
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
