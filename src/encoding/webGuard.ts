/**
 * Checks shared by softkey's loopback web listeners (panel + control API, browser bridge, CTAPHID
 * over WebSocket); pure functions, no I/O. The demo relying party is a separate program and keeps
 * its own copy of the Host rule.
 *
 * DNS rebinding: a page on evil.example can make its own name resolve to 127.0.0.1 and then reach
 * a loopback server "same-origin"; the browser still sends `Host: evil.example:PORT`. So a loopback
 * listener answers only to the names that mean itself: 127.0.0.1:PORT, localhost:PORT, [::1]:PORT
 * and the host it was configured with (RFC 9110 §7.2 Host; §15.5.20 421 Misdirected Request).
 * A listener bound to a wildcard (0.0.0.0, ::) also answers to any IP literal: rebinding needs a
 * name, so an IP literal in Host is never a rebound page.
 */

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];
const WILDCARDS = ['0.0.0.0', '::', '[::]'];

/** "::1" → "[::1]"; names lower-cased; an already bracketed IPv6 literal stays as it is. */
function hostName(host: string): string {
  const h = host.trim().toLowerCase();
  return h.includes(':') && !h.startsWith('[') ? `[${h}]` : h;
}

/** Host header → [name, port]; port 80 when absent (http only). undefined when it is not a host. */
export function parseHostHeader(header: string): [name: string, port: number] | undefined {
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]\s/@]+)(?::(\d{1,5}))?$/i.exec(header.trim());
  if (!m) return undefined;
  const port = m[2] === undefined ? 80 : Number(m[2]);
  return port > 65535 ? undefined : [m[1]!.toLowerCase(), port];
}

const isIpLiteral = (name: string) => name.startsWith('[') || /^\d{1,3}(\.\d{1,3}){3}$/.test(name);

/** The Host values a listener on `port` accepts, for messages: "127.0.0.1:5174, localhost:5174, …". */
export function acceptedHosts(port: number, configuredHosts: readonly string[] = []): string[] {
  const names = [...LOOPBACK_NAMES, ...configuredHosts.map(hostName).filter((h) => !WILDCARDS.includes(h))];
  return [...new Set(names)].map((n) => `${n}:${port}`);
}

/** Whether a request's Host header names this listener (see the file comment). */
export function hostAllowed(
  header: string | undefined,
  port: number,
  configuredHosts: readonly string[] = [],
): boolean {
  if (header === undefined) return false;
  const parsed = parseHostHeader(header);
  if (!parsed || parsed[1] !== port) return false;
  const [name] = parsed;
  const configured = configuredHosts.map(hostName);
  if (LOOPBACK_NAMES.includes(name) || configured.includes(name)) return true;
  return configured.some((h) => WILDCARDS.includes(h)) && isIpLiteral(name);
}

/** The text of a 421 answer. */
export function misdirectedText(
  header: string | undefined,
  port: number,
  configuredHosts: readonly string[] = [],
): string {
  const got = header === undefined ? 'no Host header' : `Host "${header.slice(0, 100)}"`;
  return (
    `softkey: ${got} does not name this server; it answers only to ${acceptedHosts(port, configuredHosts).join(', ')} ` +
    `(a defence against DNS rebinding). Open it by one of those addresses.\n`
  );
}

/** WebSocket close code 1009 "Message Too Big" (RFC 6455 §7.4.1). */
export const CLOSE_MESSAGE_TOO_BIG = 1009;

/**
 * `ws` closes a connection whose message exceeds its maxPayload with 1009 but no reason; this
 * gives that close a reason naming the limit (at most 123 bytes, RFC 6455 §5.5.1).
 */
export function explainOversizeClose(
  ws: { close(code?: number, reason?: string | Buffer): void },
  maxBytes: number,
): void {
  const close = ws.close.bind(ws);
  ws.close = (code?: number, reason?: string | Buffer) =>
    close(
      code,
      code === CLOSE_MESSAGE_TOO_BIG && (reason === undefined || reason.length === 0)
        ? `message larger than ${maxBytes} bytes`
        : reason,
    );
}

/** A `ws` message's bytes: ws hands a message over as one Buffer, an ArrayBuffer or a list of fragments. */
export function messageBytes(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
}
