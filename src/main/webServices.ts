/**
 * Composition for `softkey start`'s browser side: the WebSocket bridge (src/bridge) wired to a
 * WebAuthn client over the running key, and optionally the demo relying party (src/rp-demo), whose
 * pages then load the bridge shim with this run's token. Everything binds loopback unless told
 * otherwise.
 */
import { randomBytes } from '../crypto/aead.js';
import * as b64u from '../encoding/base64url.js';
import { startBridgeServer, type BridgeServer } from '../bridge/server.js';
import { listenFor } from './listenErrors.js';
import { DEFAULT_ALLOWED_ORIGINS, DEFAULT_BRIDGE_HOST, DEFAULT_BRIDGE_PORT } from '../bridge/protocol.js';
import { WebAuthnClient, type CtapTransport } from '../client/index.js';
import { createDemoServer, type DemoServer } from '../rp-demo/server.js';
import type { HostPort } from './address.js';

/** What `softkey start`'s flags (cli/webFlags.ts) need of the bridge. */
export { normalizeOrigin } from '../bridge/server.js';
export { DEFAULT_BRIDGE_HOST, DEFAULT_BRIDGE_PORT };

export interface WebServicesOptions {
  /** Where the bridge listens; false: no bridge. Default 127.0.0.1:5175. */
  bridge?: HostPort | false;
  /** Origins the bridge accepts besides the demo's; default http://localhost:5173 when there is no demo. */
  allowOrigins?: readonly string[];
  /** Run the demo RP; its database lives in dbPath. */
  demo?: HostPort & { dbPath: string; seedPool?: string };
  /** The device panel's URL when prompts wait for it (--presence panel): the demo's pages link it. */
  approvalPanel?: () => string | undefined;
}

export interface WebServices {
  readonly bridge?: BridgeServer;
  readonly demo?: DemoServer;
  /** What to tell the user, one line each. */
  readonly lines: string[];
  close(): Promise<void>;
}

export async function startWebServices(
  key: CtapTransport & { client?: WebAuthnClient },
  options: WebServicesOptions,
): Promise<WebServices> {
  const lines: string[] = [];
  let bridge: BridgeServer | undefined;
  let demo: DemoServer | undefined;
  try {
    if (options.bridge !== false) {
      const at = options.bridge ?? { host: DEFAULT_BRIDGE_HOST, port: DEFAULT_BRIDGE_PORT };
      bridge = await listenFor(
        '--bridge',
        () =>
          startBridgeServer({
            client: key.client ?? new WebAuthnClient(key), // the key's own client when it has one
            token: b64u.encode(randomBytes(24)),
            host: at.host,
            port: at.port,
            allowedOrigins: options.allowOrigins ?? (options.demo ? [] : DEFAULT_ALLOWED_ORIGINS),
            onEvent: (e) => console.error(`bridge: ${e}`),
          }),
        '--no-bridge',
      );
    }
    if (options.demo) {
      const at = options.demo;
      demo = await listenFor(
        '--demo',
        () =>
          createDemoServer({
            host: at.host,
            port: at.port,
            dbPath: at.dbPath,
            ...(at.seedPool !== undefined && { seedPool: at.seedPool }),
            ...(bridge && { bridgeScript: bridge.shimScript() }),
            ...(options.approvalPanel && { approvalPanel: options.approvalPanel }),
          }),
        '--no-demo',
      );
      bridge?.allow(demo.origin);
    }
    if (bridge) {
      lines.push(
        `Browser bridge on ws://${bridge.host.includes(':') ? `[${bridge.host}]` : bridge.host}:${bridge.port} for ${bridge.allowedOrigins.join(', ') || '(no origin)'}`,
      );
      lines.push(`  other pages load it with <script src="${bridge.scriptUrl}"></script>`);
    }
    if (demo) lines.push(`WebAuthn Demo (relying party, rp id ${demo.rpId}): Open ${demo.url}`);
  } catch (e) {
    await demo?.close();
    await bridge?.close();
    throw e;
  }
  return {
    ...(bridge && { bridge }),
    ...(demo && { demo }),
    lines,
    async close() {
      await demo?.close();
      await bridge?.close();
    },
  };
}
