/**
 * Related origin requests (WebAuthn L3 §5.11 "Using Web Authentication across related origins",
 * §5.11.1 "Validating Related Origins"): an RP ID that is not a registrable domain suffix of the
 * caller's effective domain is still allowed when the RP lists the caller's origin in the JSON
 * document at https://RP-ID/.well-known/webauthn:
 *
 *   1. fetch the well-known URL (no credentials, no referrer); SecurityError unless it answers 200
 *      with a JSON content type, a JSON object whose `origins` member is an array of strings;
 *   2. walk `origins` in order, counting distinct registrable origin labels (the first label of the
 *      registrable domain, "example" for https://www.example.co.uk) up to maxLabels: an origin with
 *      a label beyond the limit is skipped; the caller's origin found same-origin → allowed;
 *   3. otherwise SecurityError.
 *
 * The registrable domain comes from the Public Suffix List as packaged by `tldts`. The fetch is a
 * port (`RelatedOriginsFetch`), so tests and tools can point it at a local server.
 */
import { createRequire } from 'node:module';
import type * as Tldts from 'tldts';
import { WebAuthnError } from './errors.js';

/**
 * tldts (the Public Suffix List, 0.17 CPU-s to load), required on the first related-origins check
 * rather than by every process that imports the WebAuthn client. It is CommonJS without an exports
 * map, so require() returns the module an import would.
 */
let tldts: typeof Tldts | undefined;
const publicSuffixList = (): typeof Tldts => (tldts ??= createRequire(import.meta.url)('tldts') as typeof Tldts);

/** GETs a URL as the client would (redirects followed); a `fetch`-compatible subset. */
export type RelatedOriginsFetch = (
  url: string,
  init: { redirect: 'follow'; credentials: 'omit'; referrerPolicy: 'no-referrer'; signal?: AbortSignal },
) => Promise<{
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}>;

/** L3 §5.11.1: "at least five" registrable origin labels; Chromium uses 5. */
export const DEFAULT_MAX_LABELS = 5;
/** Larger documents are refused (the client's choice: the list is small by design). */
export const MAX_WELL_KNOWN_BYTES = 64 * 1024;

export interface RelatedOriginsOptions {
  /** The fetch to use; default the global fetch. */
  fetch?: RelatedOriginsFetch;
  maxLabels?: number;
}

/** The registrable origin label of a host (L3 §5.11.1), or undefined when it has none. */
export function registrableOriginLabel(host: string): string | undefined {
  const parsed = publicSuffixList().parse(host, { allowPrivateDomains: false });
  if (parsed.isIp || !parsed.domain) return undefined;
  return parsed.domainWithoutSuffix || undefined;
}

const securityError = (m: string, cause?: unknown) =>
  new WebAuthnError('SecurityError', m, cause === undefined ? undefined : { cause });

/** The `origins` list of https://rpId/.well-known/webauthn, or SecurityError. */
export async function fetchRelatedOrigins(
  rpId: string,
  fetcher: RelatedOriginsFetch,
  signal?: AbortSignal,
): Promise<string[]> {
  const url = `https://${rpId}/.well-known/webauthn`;
  let response: Awaited<ReturnType<RelatedOriginsFetch>>;
  let text: string;
  try {
    response = await fetcher(url, {
      redirect: 'follow',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
      ...(signal && { signal }),
    });
    text = await response.text();
  } catch (e) {
    throw securityError(`related origins: fetching ${url} failed`, e);
  }
  if (response.status !== 200) throw securityError(`related origins: ${url} answered ${response.status}`);
  const type = (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json')
    throw securityError(`related origins: ${url} is ${type || 'untyped'}, not application/json`);
  if (text.length > MAX_WELL_KNOWN_BYTES)
    throw securityError(`related origins: ${url} is larger than ${MAX_WELL_KNOWN_BYTES} bytes`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw securityError(`related origins: ${url} is not valid JSON`, e);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw securityError(`related origins: ${url} is not a JSON object`);
  const origins = (doc as { origins?: unknown }).origins;
  if (!Array.isArray(origins) || !origins.every((o) => typeof o === 'string')) {
    throw securityError(`related origins: ${url} has no "origins" array of strings`);
  }
  return origins;
}

/**
 * §5.11.1 steps 3–5 over a fetched list: whether `callerOrigin` (an ASCII-serialized origin) is
 * among `origins` within the first `maxLabels` registrable origin labels.
 */
export function originListed(
  callerOrigin: string,
  origins: readonly string[],
  maxLabels = DEFAULT_MAX_LABELS,
): boolean {
  const labelsSeen = new Set<string>();
  for (const item of origins) {
    let url: URL;
    try {
      url = new URL(item);
    } catch {
      continue;
    }
    const label = registrableOriginLabel(url.hostname);
    if (!label) continue;
    if (labelsSeen.size >= maxLabels && !labelsSeen.has(label)) continue;
    if (url.origin === callerOrigin) return true;
    if (labelsSeen.size < maxLabels) labelsSeen.add(label);
  }
  return false;
}

/** The related origins validation procedure: resolves when allowed, SecurityError otherwise. */
export async function validateRelatedOrigins(
  callerOrigin: string,
  rpIdRequested: string,
  options: RelatedOriginsOptions = {},
  signal?: AbortSignal,
): Promise<void> {
  const fetcher = options.fetch ?? globalThis.fetch;
  if (!fetcher)
    throw securityError(
      `RP ID ${rpIdRequested} is not a registrable domain suffix of ${callerOrigin}, and this client cannot fetch related origins`,
    );
  const origins = await fetchRelatedOrigins(rpIdRequested, fetcher, signal);
  if (!originListed(callerOrigin, origins, options.maxLabels ?? DEFAULT_MAX_LABELS)) {
    throw securityError(
      `${callerOrigin} is not among the related origins of RP ID ${rpIdRequested} (https://${rpIdRequested}/.well-known/webauthn)`,
    );
  }
}
