/**
 * Composition for `softkey start`'s browser side: the WebSocket bridge (src/bridge) wired to a
 * WebAuthn client over the running key, and optionally the demo relying party (src/rp-demo), whose
 * pages then load the bridge shim with this run's token. Everything binds loopback unless told
 * otherwise.
 */
import { join } from 'node:path';
import { randomBytes } from '../crypto/aead.js';
import * as b64u from '../encoding/base64url.js';
import { normalizeOrigin, startBridgeServer, type BridgeServer } from '../bridge/server.js';
import { listenFor } from './listenErrors.js';
import { DEFAULT_ALLOWED_ORIGINS, DEFAULT_BRIDGE_HOST, DEFAULT_BRIDGE_PORT } from '../bridge/protocol.js';
import { WebAuthnClient, type CtapTransport } from '../client/index.js';
import { createDemoServer, type DemoServer } from '../rp-demo/server.js';
import { parseHostPort, UsageError, type HostPort } from './address.js';

export const DEFAULT_DEMO = { host: 'localhost', port: 5173 } as const;

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

/** A WebAuthn client for the key: its own (key.client) when it has one. */
export function clientFor(key: CtapTransport & { client?: WebAuthnClient }): WebAuthnClient {
  return key.client ?? new WebAuthnClient(key);
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
            client: clientFor(key),
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

/** Where the demo keeps its database inside a data directory. */
export const demoDbPath = (dataDir: string) => (dataDir === ':memory:' ? ':memory:' : join(dataDir, 'rp-demo.sqlite'));

export interface WebFlags {
  bridge?: string;
  'no-bridge'?: boolean;
  'allow-origin'?: string[];
  demo?: string;
  'no-demo'?: boolean;
  /** A softkey credential pool (softkey pool create) whose users the demo adds at start. */
  'demo-seed'?: string;
}

/**
 * `softkey start` flags → what to serve. The bridge runs with --bridge or --demo; the demo with
 * --demo (which `npm start` passes). undefined: nothing to serve.
 */
export function webServicesFromFlags(flags: WebFlags, dataDir: string): WebServicesOptions | undefined {
  if (flags.bridge !== undefined && flags['no-bridge'])
    throw new UsageError('--bridge and --no-bridge exclude each other');
  if (flags.demo !== undefined && flags['no-demo']) throw new UsageError('--demo and --no-demo exclude each other');
  const demo = flags.demo !== undefined && !flags['no-demo'] ? parseHostPort(flags.demo, '--demo') : undefined;
  const origins = (flags['allow-origin'] ?? []).map((o) => {
    const n = normalizeOrigin(o);
    if (!n) throw new UsageError(`--allow-origin must be an origin such as http://localhost:3000, got "${o}"`);
    return n;
  });
  const bridgeWanted = !flags['no-bridge'] && (flags.bridge !== undefined || demo !== undefined || origins.length > 0);
  if (flags['demo-seed'] !== undefined && !demo) throw new UsageError('--demo-seed needs --demo');
  if (!bridgeWanted && !demo) return undefined;
  const bridge = bridgeWanted
    ? parseHostPort(flags.bridge ?? `${DEFAULT_BRIDGE_HOST}:${DEFAULT_BRIDGE_PORT}`, '--bridge')
    : false;
  return {
    bridge,
    ...(origins.length > 0 && { allowOrigins: origins }),
    ...(demo && {
      demo: {
        ...demo,
        dbPath: demoDbPath(dataDir),
        ...(flags['demo-seed'] !== undefined && { seedPool: flags['demo-seed'] }),
      },
    }),
  };
}

/** The parseArgs options of WebFlags. */
export const WEB_FLAGS = {
  bridge: { type: 'string' },
  'no-bridge': { type: 'boolean' },
  'allow-origin': { type: 'string', multiple: true },
  demo: { type: 'string' },
  'no-demo': { type: 'boolean' },
  'demo-seed': { type: 'string' },
} as const;
