/**
 * Caller origin and RP ID rules (WebAuthn L3 §5.1.3 steps 5–8, §5.1.4 steps 5–7; HTML "secure
 * context" and "is a registrable domain suffix of or is equal to").
 *
 * Limitation: there is no Public Suffix List here. A parent domain is accepted when it has at least
 * one dot (so `com` is refused but `co.uk` for `example.co.uk` is accepted, which a browser would
 * refuse). `localhost` is accepted as the parent of `*.localhost` (it is not a public suffix).
 * IP addresses: L3 requires the effective domain to be a valid domain, and browsers refuse IP
 * origins; this client accepts an IP origin when the RP ID equals it exactly (handy for tests on
 * 127.0.0.1) but never a "parent" of an IP.
 */
import { WebAuthnError } from './errors.js';

export interface CallerOrigin {
  /** The ASCII serialization of the origin (`scheme://host[:port]`), as clientDataJSON carries it. */
  origin: string;
  /** The origin's effective domain: its host, lowercased (an IPv6 host keeps its brackets). */
  effectiveDomain: string;
  isIp: boolean;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function isLoopbackHost(host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  const m = IPV4.exec(host);
  if (m) return m[1] === '127';
  return host === '[::1]';
}

/** Parsed origins (a load test asks for the same few origins on every ceremony): bounded, successes only. */
const parsedOrigins = new Map<string, Readonly<CallerOrigin>>();
const PARSED_ORIGINS_MAX = 256;

/**
 * Parses the caller origin: SecurityError unless it is a secure context (https, or http on a
 * loopback host), NotAllowedError when it is opaque. The result is frozen and cached per input.
 */
export function callerOrigin(origin: string): Readonly<CallerOrigin> {
  const cached = parsedOrigins.get(origin);
  if (cached) return cached;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    throw new WebAuthnError('SecurityError', `not a valid origin: ${origin}`);
  }
  const serialized = url.origin;
  const host = url.hostname.toLowerCase();
  // L3 §5.1.3 step 6 / §5.1.4 step 6: an opaque origin is a NotAllowedError.
  if (serialized === 'null' || host === '') throw new WebAuthnError('NotAllowedError', `opaque origin: ${origin}`);
  const secure = url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(host));
  if (!secure) throw new WebAuthnError('SecurityError', `${serialized} is not a secure context`);
  const parsed = Object.freeze({
    origin: serialized,
    effectiveDomain: host,
    isIp: IPV4.test(host) || host.startsWith('['),
  });
  if (parsedOrigins.size >= PARSED_ORIGINS_MAX) parsedOrigins.clear();
  parsedOrigins.set(origin, parsed);
  return parsed;
}

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

function isValidDomain(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  return name.split('.').every((label) => LABEL.test(label));
}

/**
 * The RP ID to use: `rpId` if given (it must equal the effective domain or be a registrable
 * parent of it), else the effective domain. SecurityError otherwise.
 */
export function resolveRpId(caller: CallerOrigin, rpId: string | undefined): string {
  const host = caller.effectiveDomain;
  if (rpId === undefined) return host;
  if (rpId === host) return rpId;
  if (caller.isIp) throw new WebAuthnError('SecurityError', `RP ID ${rpId} is not ${host}`);
  if (!isValidDomain(rpId)) throw new WebAuthnError('SecurityError', `RP ID ${rpId} is not a valid domain`);
  const registrable = rpId.includes('.') || rpId === 'localhost';
  if (!registrable || !host.endsWith(`.${rpId}`)) {
    throw new WebAuthnError('SecurityError', `RP ID ${rpId} is not a registrable domain suffix of ${host}`);
  }
  return rpId;
}
