/** "HOST:PORT" option values ("[::1]:8111" for IPv6). */
export interface HostPort {
  host: string;
  port: number;
}

export function parseHostPort(value: string, what: string): HostPort {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535)
    throw new UsageError(`${what} must be HOST:PORT (for example 127.0.0.1:8111), got "${value}"`);
  return { host: (m[1] ?? m[2])!, port };
}

/** "HOST:PORT", IPv6 hosts in brackets: the transports' one formatter. */
export { hostPort as formatHostPort } from '../transport/hidPort.js';

/** A mistake in how softkey was called: the CLI prints the message and exits with code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
