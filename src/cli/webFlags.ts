/**
 * `softkey start`'s browser-side flags (--bridge, --demo, --allow-origin, --demo-seed) → what
 * main/webServices.ts serves.
 */
import { join } from 'node:path';
import { parseHostPort, UsageError } from '../main/address.js';
import { DEFAULT_BRIDGE_HOST, DEFAULT_BRIDGE_PORT, normalizeOrigin } from '../main/serviceDefaults.js';
import type { WebServicesOptions } from '../main/webServices.js';

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
