/**
 * The WebSocket channel of an `attach` (softkey/puppeteer always, softkey/playwright with
 * `channel: 'websocket'`): a loopback bridge server (server.ts) started for this attach, with a random
 * per-attach token in its URL, and the shim configured to reach it. The caller's origin is the
 * WebSocket's Origin header, which the browser sets and page script cannot forge; the Host header
 * must name the bridge (DNS rebinding). The bridge learns from the driver which origins the attached
 * pages show at top level (their main frames), so script in a cross-origin frame that reaches the
 * bridge without its embedder's grant is refused (WebAuthn L3 §5.9, server.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { encode as base64url } from '../encoding/base64url.js';
import { startBridgeServer, type BridgeServer } from './server.js';
import { normalizeOrigin } from './protocol.js';
import type { BridgeClient } from './session.js';

/** What an attach over the WebSocket bridge gives back. */
export interface Attachment {
  /** The bridge the pages talk to. */
  readonly bridge: BridgeServer;
  /** Stops the bridge (also done when the page closes or the browser or context goes away). */
  detach(): Promise<void>;
}

/** What the bridge asks of a driver's page (a Playwright or a Puppeteer Page). */
export interface DriverPage {
  url(): string;
  isClosed(): boolean;
  evaluate(fn: () => string): Promise<string>;
}

/** How long the bridge waits for a page to say its own origin. */
const ASK_PAGE_MS = 2000;

/**
 * Whether one of `pages` shows a document of `origin` at top level: the driver's record of the main
 * frame's URL, else (it may lag a navigation that has just committed) the main frame asked itself.
 */
export async function showsAtTopLevel(pages: Iterable<DriverPage>, origin: string): Promise<boolean> {
  const open = [...pages].filter((p) => !p.isClosed());
  if (open.some((p) => normalizeOrigin(p.url()) === origin)) return true;
  const ask = async (p: DriverPage) => {
    const stop = new AbortController();
    try {
      return await Promise.race([
        p.evaluate(() => location.origin).catch(() => undefined),
        sleep(ASK_PAGE_MS, undefined, { signal: stop.signal }).catch(() => undefined),
      ]);
    } finally {
      stop.abort();
    }
  };
  return (await Promise.all(open.map(ask))).includes(origin);
}

/**
 * Starts the bridge of one attach: loopback, port 0, a fresh 24-byte token; `origins` (default any:
 * the token admits a page) gate the Origin header. `pages()` lists the attached pages, read at each ask.
 */
export async function startAttachBridge(
  client: BridgeClient,
  pages: () => Iterable<DriverPage>,
  origins?: readonly string[],
): Promise<Attachment> {
  const bridge = await startBridgeServer({
    client,
    token: base64url(globalThis.crypto.getRandomValues(new Uint8Array(24))),
    port: 0,
    allowedOrigins: origins ?? 'any',
    topLevel: (origin) => showsAtTopLevel(pages(), origin),
  });
  let closed = false;
  return {
    bridge,
    detach: async () => {
      if (closed) return;
      closed = true;
      await bridge.close();
    },
  };
}
