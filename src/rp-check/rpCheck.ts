/**
 * rp-check: a relying party's conformance check (issue 16). It drives the RP's own registration
 * and sign-in endpoints, as a browser page would, through a battery of ceremonies: every
 * attestation format softkey emits, told honestly, and every deliberately wrong answer of the
 * catalog (src/control/wrongAnswers.ts), told once through key.control.override. It reports what
 * the RP accepted that it should have refused, with the WebAuthn L3 step (§7.1 / §7.2) it skipped.
 *
 * The RP is described by a small adapter (RpCheckAdapter): where the options JSON comes from and
 * where the response JSON goes, with SimpleWebAuthn's JSON shapes (L3 PublicKeyCredential*OptionsJSON
 * in, RegistrationResponseJSON / AuthenticationResponseJSON out). Each virtual user keeps its
 * own cookies, so RPs that keep the challenge in a session work unchanged.
 */
import { openSoftKey, type SoftKey } from '../main/softkey.js';
import { WRONG_ANSWERS, type WrongAnswerInfo } from '../main/control.js';

/** One HTTP call: the URL (relative to `target`), its method (default POST) and JSON body. */
export interface RpEndpoint {
  url: string;
  method?: 'GET' | 'POST' | 'PUT';
  /** The request body; every string "{username}" in it becomes the virtual user's name. */
  body?: unknown;
}

export interface RpCeremonyAdapter {
  /** Returns the options JSON (or an object holding it under `optionsField`). */
  options: RpEndpoint;
  /** Takes the response JSON as the body, or as `{ [bodyField]: response, ...body }`. */
  verify: RpEndpoint & { bodyField?: string };
  /** Where the options JSON sits in the options answer, e.g. "publicKey"; default: the answer itself. */
  optionsField?: string;
}

export interface RpCheckAdapter {
  /** The RP's base URL, e.g. "http://localhost:5173". */
  target: string;
  /** The origin the pages run at (clientDataJSON origin); default target's origin. */
  origin?: string;
  registration: RpCeremonyAdapter;
  authentication: RpCeremonyAdapter;
  /** Prefix of the virtual users' names; default "rp-check". */
  usernamePrefix?: string;
}

export type RpCheckVerdict =
  /** a correct answer the RP accepted, or a wrong one it refused */
  | 'ok'
  /** a wrong answer the RP accepted: what the report is for */
  | 'wrongly-accepted'
  /** an honest answer the RP refused (e.g. an attestation root it does not trust: `softkey attestation roots`) */
  | 'refused'
  /** the wrong answer cannot reach this RP (e.g. UV not required, no attestation asked for) */
  | 'not-applicable'
  /** the ceremony could not be run (the RP's options failed, the client refused, …) */
  | 'error';

export interface RpCheckResult {
  ceremony: 'registration' | 'authentication';
  /** 'format:<name>' for an honest ceremony with that attestation format, or the wrong answer's name. */
  case: string;
  verdict: RpCheckVerdict;
  /** The RP's HTTP status and its reason (body.error or body.message), when it was asked. */
  status?: number;
  reason?: string;
  /** For wrong answers: what softkey emitted and the WebAuthn step the RP must check. */
  emits?: string;
  check?: string;
}

export interface RpCheckReport {
  target: string;
  results: RpCheckResult[];
  counts: Record<RpCheckVerdict, number>;
  /** The wrong answers the RP accepted (verdict 'wrongly-accepted'). */
  wronglyAccepted: RpCheckResult[];
}

export interface RpCheckOptions {
  /** Only these cases (wrong answer names or 'format:NAME'); default all. */
  only?: readonly string[];
  /** Progress, one line per result. */
  onResult?: (r: RpCheckResult) => void;
}

type Json = Record<string, unknown>;
type RpAnswer = { status: number; json: Json | undefined; text: string };

/** A virtual user: its name and its cookies (RFC 6265 name=value pairs, path and expiry ignored). */
class VirtualUser {
  private readonly cookies = new Map<string, string>();
  constructor(readonly name: string) {}

  async call(adapter: RpCheckAdapter, endpoint: RpEndpoint, body: unknown): Promise<RpAnswer> {
    const url = new URL(endpoint.url, adapter.target);
    const method = endpoint.method ?? 'POST';
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (method !== 'GET') headers['content-type'] = 'application/json';
    const res = await fetch(url, { method, headers, ...(method !== 'GET' && { body: JSON.stringify(body ?? {}) }) });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      if (eq > 0) this.cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
    }
    const text = await res.text();
    let json: Json | undefined;
    try {
      const parsed = JSON.parse(text) as unknown;
      if (typeof parsed === 'object' && parsed !== null) json = parsed as Json;
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text };
  }
}

const withUsername = (value: unknown, username: string): unknown => {
  if (typeof value === 'string') return value.split('{username}').join(username);
  if (Array.isArray(value)) return value.map((v) => withUsername(v, username));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withUsername(v, username)]));
  }
  return value;
};

class CeremonyError extends Error {}

/** The RP's answer to a response: accepted when 2xx and not { verified: false }. */
function verdictOf(r: RpAnswer): { accepted: boolean; status: number; reason?: string } {
  const accepted = r.status >= 200 && r.status < 300 && r.json?.verified !== false;
  const said = r.json?.error ?? r.json?.message ?? (r.json ? undefined : r.text.trim());
  return { accepted, status: r.status, ...(typeof said === 'string' && said !== '' && { reason: said.slice(0, 300) }) };
}

async function run(
  adapter: RpCheckAdapter,
  user: VirtualUser,
  which: RpCeremonyAdapter,
  answer: (options: Json) => Promise<unknown>,
) {
  const got = await user.call(adapter, which.options, withUsername(which.options.body, user.name));
  const holder = which.optionsField ? (got.json?.[which.optionsField] as Json | undefined) : got.json;
  if (got.status < 200 || got.status >= 300 || !holder) {
    throw new CeremonyError(`the options endpoint answered ${got.status}: ${got.text.slice(0, 200)}`);
  }
  let response: unknown;
  try {
    response = await answer(holder);
  } catch (e) {
    throw new CeremonyError(`softkey could not answer the options: ${(e as Error).message}`);
  }
  const extra = withUsername(which.verify.body, user.name);
  const body = which.verify.bodyField
    ? { ...(extra as Json | undefined), [which.verify.bodyField]: response }
    : response;
  return { options: holder, verdict: verdictOf(await user.call(adapter, which.verify, body)) };
}

/** Why a wrong answer cannot reach the RP whose options these are, if it cannot. */
function notApplicable(
  w: WrongAnswerInfo,
  options: Json,
  ceremony: 'registration' | 'authentication',
): string | undefined {
  if (w.needs === 'userVerificationRequired') {
    const uv =
      ceremony === 'registration'
        ? (options.authenticatorSelection as Json | undefined)?.userVerification
        : options.userVerification;
    const said = typeof uv === 'string' ? uv : 'preferred';
    if (uv !== 'required') return `the RP does not require user verification (userVerification "${said}")`;
  }
  if (w.needs === 'attestation' && options.attestation !== 'direct' && options.attestation !== 'enterprise') {
    const said = typeof options.attestation === 'string' ? options.attestation : 'none';
    return `the RP asks for no attestation ("${said}"): the client removes the statement`;
  }
  return undefined;
}

/** Runs the battery against one RP and returns the report. */
export async function rpCheck(adapter: RpCheckAdapter, options: RpCheckOptions = {}): Promise<RpCheckReport> {
  const origin = adapter.origin ?? new URL(adapter.target).origin;
  const key: SoftKey = await openSoftKey({ dataDir: ':memory:', backupEligible: true });
  const results: RpCheckResult[] = [];
  const wanted = (c: string) => !options.only || options.only.includes(c);
  const push = (r: RpCheckResult) => {
    results.push(r);
    options.onResult?.(r);
  };
  let n = 0;
  const newUser = () => new VirtualUser(`${adapter.usernamePrefix ?? 'rp-check'}-${Date.now().toString(36)}-${++n}`);
  const create = (o: Json) => key.client.create(o as never, { origin });
  const get = (o: Json) => key.client.get(o as never, { origin });
  /** Registers a user honestly and signs in twice, so the RP holds a non-zero counter. */
  const enrolled = async (): Promise<VirtualUser> => {
    const user = newUser();
    const reg = await run(adapter, user, adapter.registration, create);
    if (!reg.verdict.accepted) {
      throw new CeremonyError(
        `an honest registration was refused (${reg.verdict.status}: ${reg.verdict.reason ?? ''})`,
      );
    }
    for (let i = 0; i < 2; i++) {
      const s = await run(adapter, user, adapter.authentication, get);
      if (!s.verdict.accepted)
        throw new CeremonyError(`an honest sign-in was refused (${s.verdict.status}: ${s.verdict.reason ?? ''})`);
    }
    return user;
  };
  try {
    key.control.setUv({ available: true });
    // Every format, honestly: registration then a sign-in with the new credential.
    for (const format of key.control.attestation().formats) {
      const name = `format:${format}`;
      if (!wanted(name)) continue;
      key.control.setAttestation({ format });
      const user = newUser();
      for (const [ceremony, which, answer] of [
        ['registration', adapter.registration, create],
        ['authentication', adapter.authentication, get],
      ] as const) {
        try {
          const { verdict } = await run(adapter, user, which, answer);
          const said = { status: verdict.status, ...(verdict.reason && { reason: verdict.reason }) };
          push({ ceremony, case: name, verdict: verdict.accepted ? 'ok' : 'refused', ...said });
          if (!verdict.accepted) break;
        } catch (e) {
          push({ ceremony, case: name, verdict: 'error', reason: (e as Error).message });
          break;
        }
      }
    }
    // Every wrong answer, once, in each ceremony it belongs to; attestation lies go in a full packed chain.
    key.control.setAttestation({ format: 'packed-chain' });
    for (const w of WRONG_ANSWERS) {
      if (!wanted(w.name)) continue;
      for (const ceremony of w.ceremonies) {
        const base = { ceremony, case: w.name, emits: w.emits, check: w.check };
        try {
          const user = ceremony === 'registration' ? newUser() : await enrolled();
          const which = ceremony === 'registration' ? adapter.registration : adapter.authentication;
          let skipped: string | undefined;
          const { verdict } = await run(adapter, user, which, async (o) => {
            skipped = notApplicable(w, o, ceremony);
            if (!skipped) key.control.override({ answer: w.name, once: true, ceremony });
            return ceremony === 'registration' ? create(o) : get(o);
          });
          if (skipped) push({ ...base, verdict: 'not-applicable', reason: skipped });
          else {
            const said = { status: verdict.status, ...(verdict.reason && { reason: verdict.reason }) };
            push({ ...base, verdict: verdict.accepted ? 'wrongly-accepted' : 'ok', ...said });
          }
        } catch (e) {
          push({ ...base, verdict: 'error', reason: (e as Error).message });
        } finally {
          key.control.clearOverrides();
        }
      }
    }
  } finally {
    await key.close();
  }
  const counts = { ok: 0, 'wrongly-accepted': 0, refused: 0, 'not-applicable': 0, error: 0 } as Record<
    RpCheckVerdict,
    number
  >;
  for (const r of results) counts[r.verdict]++;
  return {
    target: adapter.target,
    results,
    counts,
    wronglyAccepted: results.filter((r) => r.verdict === 'wrongly-accepted'),
  };
}

/** The report as text: every wrongly accepted answer with the step the RP skipped, then the counts. */
export function formatRpCheckReport(report: RpCheckReport): string {
  const lines = [`rp-check of ${report.target}`];
  for (const r of report.results) {
    const mark = { ok: 'ok  ', 'not-applicable': 'n/a ', error: 'ERR ', refused: 'note', 'wrongly-accepted': 'FAIL' }[
      r.verdict
    ];
    const what =
      r.verdict === 'ok' ? (r.case.startsWith('format:') ? 'accepted' : `refused (${r.status ?? '?'})`) : r.verdict;
    lines.push(
      `${mark} ${r.ceremony.padEnd(14)} ${r.case.padEnd(26)} ${what}${r.reason && r.verdict !== 'ok' ? `: ${r.reason}` : ''}`,
    );
    if (r.verdict === 'wrongly-accepted') lines.push(`       softkey sent ${r.emits}; the RP skipped ${r.check}`);
  }
  const c = report.counts;
  lines.push(
    `${report.wronglyAccepted.length} wrongly accepted, ${c.refused} honest answers refused, ${c.ok} as expected, ` +
      `${c['not-applicable']} not applicable, ${c.error} errors`,
  );
  return lines.join('\n') + '\n';
}

/** Checks an adapter read from JSON; throws naming the first bad member. */
export function checkRpCheckAdapter(input: unknown): RpCheckAdapter {
  const obj = (v: unknown, what: string): Json => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new RangeError(`${what} must be an object`);
    return v as Json;
  };
  const a = obj(input, 'the adapter');
  if (typeof a.target !== 'string' || !/^https?:\/\//.test(a.target))
    throw new RangeError("target must be the RP's http(s) URL");
  if (a.origin !== undefined && (typeof a.origin !== 'string' || !/^https?:\/\//.test(a.origin))) {
    throw new RangeError('origin must be an http(s) origin');
  }
  for (const c of ['registration', 'authentication'] as const) {
    const cer = obj(a[c], c);
    for (const e of ['options', 'verify'] as const) {
      const ep = obj(cer[e], `${c}.${e}`);
      if (typeof ep.url !== 'string' || ep.url === '') throw new RangeError(`${c}.${e}.url must be a URL or path`);
      if (ep.method !== undefined && !['GET', 'POST', 'PUT'].includes(ep.method as string)) {
        throw new RangeError(`${c}.${e}.method must be GET, POST or PUT`);
      }
    }
  }
  return a as unknown as RpCheckAdapter;
}
