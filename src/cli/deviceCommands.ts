/**
 * The commands that run or open the device itself: start, info, attestation roots, credentials list,
 * reset, pin set, backup and restore. Loaded by main.ts only for these commands, since the device
 * stack is most of the command's start-up cost.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { createInterface } from 'node:readline/promises';
import { parseHostPort, UsageError } from '../main/address.js';
import { DEFAULT_DATA_DIR } from '../main/defaults.js';
import { PRESENCE_MODES, type PresenceMode } from '../main/presence.js';
import type { startWalletServer } from '../main/wallet.js';
import { backupDataDir, DataDirOccupiedError, restoreDataDir } from '../main/dataDir.js';
import {
  hidTransportDefaults,
  hidTransportFlags,
  openHidTransports,
  planHidTransports,
} from '../main/hidTransports.js';
import { connectSoftKey, openSoftKey, type CtapTransport } from '../main/softkey.js';
import { readInfo, resetDevice } from '../main/operations.js';
import { ATTESTATION_FORMATS, isAttestationFormat, ProfileError, profileConfig } from '../main/profiles.js';
import type { WebServices } from '../main/webServices.js';
import { WEB_FLAGS, webServicesFromFlags } from './webFlags.js';
import type { ControlServices } from '../main/panel.js';
import { PANEL_DEFAULT, PANEL_FLAGS } from '../main/serviceDefaults.js';
import { listCredentials } from '../main/control.js';
import { listenFor } from '../main/listenErrors.js';
import { parseResetWindowMs } from '../main/resetWindow.js';

import { VERSION } from './version.js';

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  /** Where `softkey pin set` reads the PIN; default process.stdin. */
  stdin?: NodeJS.ReadableStream;
}

/** A --profile value, checked before anything starts: a mistake in it is a usage error. */
function checkProfile(value: string): string {
  try {
    profileConfig(value);
  } catch (e) {
    if (e instanceof ProfileError) throw new UsageError(e.message);
    throw e;
  }
  return value;
}

const common = { 'data-dir': { type: 'string' } } as const;

function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function presenceMode(value: string | undefined): PresenceMode {
  const mode = value ?? 'auto';
  if (!(PRESENCE_MODES as readonly string[]).includes(mode)) {
    throw new UsageError(`--presence must be one of ${PRESENCE_MODES.join(', ')}, got "${mode}"`);
  }
  return mode as PresenceMode;
}

function positiveInt(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${what} must be a positive whole number, got "${value}"`);
  return n;
}

/** Flags whose value is optional get their default when none follows. */
function withDefaults(args: string[], defaults: Record<string, string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    out.push(a);
    const next = args[i + 1];
    if (a in defaults && (next === undefined || next.startsWith('--'))) out.push(defaults[a]!);
  }
  return out;
}

export async function start(rawArgs: string[], io: Io): Promise<number> {
  if (rawArgs.includes('--split')) {
    const { startSplit } = await import('../main/splitStart.js');
    return startSplit(withDefaults(rawArgs, { ...hidTransportDefaults(), '--panel': PANEL_DEFAULT }), io); // docs/split.md
  }
  const args = withDefaults(rawArgs, {
    ...hidTransportDefaults(),
    '--bridge': '127.0.0.1:5175',
    '--demo': 'localhost:5173',
    '--panel': PANEL_DEFAULT,
  });
  const { values } = parse(args, {
    ...common,
    udp: { type: 'string' },
    'reply-to': { type: 'string' },
    presence: { type: 'string' },
    'presence-timeout': { type: 'string' },
    'reset-window-ms': { type: 'string' },
    attestation: { type: 'string' },
    aaguid: { type: 'string' },
    apdu: { type: 'string' },
    'no-apdu': { type: 'boolean' },
    ...hidTransportFlags(),
    profile: { type: 'string' },
    'hid-channels': { type: 'string' },
    ...WEB_FLAGS,
    ...PANEL_FLAGS,
  });
  const hidPlan = planHidTransports(values);
  // Checked before the data directory opens, so a typo is a usage error even beside a damaged store.
  if (values.udp !== undefined) parseHostPort(values.udp, '--udp');
  if (values['reply-to'] !== undefined) parseHostPort(values['reply-to'], '--reply-to');
  if (values.apdu && values['no-apdu']) throw new UsageError('--apdu and --no-apdu exclude each other');
  const apdu = values['no-apdu'] ? undefined : parseHostPort(values.apdu ?? '127.0.0.1:9999', '--apdu');
  const attestation = values.attestation;
  const profile = values.profile !== undefined ? checkProfile(values.profile) : undefined;
  if (attestation !== undefined && !isAttestationFormat(attestation))
    throw new UsageError(`--attestation must be one of ${ATTESTATION_FORMATS.join(', ')}, got "${attestation}"`);
  const aaguid = values.aaguid !== undefined ? parseAaguidFlag(values.aaguid) : undefined;
  const timeout = positiveInt(values['presence-timeout'], '--presence-timeout');
  const resetWindowMs = parseResetWindowMs(values['reset-window-ms']);
  const hidChannels = values['hid-channels'];
  if (hidChannels !== undefined && hidChannels !== 'allocated' && hidChannels !== 'any')
    throw new UsageError(`--hid-channels must be allocated or any, got "${hidChannels}"`);
  const webOptions = webServicesFromFlags(values, values['data-dir'] ?? DEFAULT_DATA_DIR);
  if (values.panel !== undefined && values['no-panel'])
    throw new UsageError('--panel and --no-panel exclude each other');
  const key = await listenFor('--udp', () =>
    openSoftKey({
      dataDir: values['data-dir'] ?? DEFAULT_DATA_DIR,
      trace: !values['no-panel'],
      presence: presenceMode(values.presence),
      ...(timeout !== undefined && { userActionTimeoutMs: timeout }),
      udp: values.udp ?? '127.0.0.1:8111',
      replyTo: values['reply-to'] ?? '127.0.0.1:7112',
      ...(profile !== undefined && { profile }),
      ...(attestation !== undefined && { attestation: attestation }),
      ...(aaguid && { aaguid }),
      config: {
        ...(resetWindowMs !== undefined && { resetWindowMs }),
        ...(hidChannels !== undefined && { hidChannels }),
      },
    }),
  );
  io.out(
    `softkey ${VERSION} data in ${values['data-dir'] ?? DEFAULT_DATA_DIR}, profile ${key.device.authenticator.core.config.profile}`,
  );
  io.out(`CTAPHID over UDP listening on ${key.udpAddress}, replying to ${values['reply-to'] ?? '127.0.0.1:7112'}`);
  // The Filecoin app (unless --no-apdu): served on --apdu and as USB/IP's second device.
  // Loaded only when served (--no-apdu, as tests run devices, skips the BIP32/BIP39 stack).
  const walletModule = apdu ? await import('../main/wallet.js') : undefined;
  const walletApp = walletModule
    ? key.traceWallet(walletModule.createWalletApp({ vault: key.device.vault, review: key.review }))
    : undefined;
  let served: Array<{ description: string; close(): Promise<void> }>;
  try {
    served = await openHidTransports(key.device, hidPlan, { ...(walletApp && { wallet: walletApp }) });
  } catch (e) {
    await key.close();
    throw e;
  }
  for (const t of served) io.out(t.description);
  let wallet: Awaited<ReturnType<typeof startWalletServer>> | undefined;
  if (apdu && walletModule && walletApp) {
    const app = walletApp;
    const { startWalletServer } = walletModule;
    try {
      wallet = await listenFor(
        '--apdu',
        () => startWalletServer({ app, host: apdu.host, port: apdu.port }),
        '--no-apdu',
      );
    } catch (e) {
      await key.close();
      throw e;
    }
    io.out(`Filecoin app (APDU, Speculos protocol) listening on ${wallet.address.host}:${wallet.address.port}`);
  }
  let web: WebServices | undefined;
  let panel: ControlServices | undefined;
  // With --presence panel the demo's pages tell the user to approve there, and link the panel.
  const approvalPanel = values.presence === 'panel' ? () => panel?.server.origin : undefined;
  try {
    // Loaded only when served: the bridge, the demo RP and @simplewebauthn/server are a large share of start-up.
    if (webOptions) {
      const { startWebServices } = await import('../main/webServices.js');
      web = await startWebServices(key, { ...webOptions, ...(approvalPanel && { approvalPanel }) });
    }
  } catch (e) {
    await wallet?.close();
    for (const t of served) await t.close();
    await key.close();
    throw e;
  }
  for (const line of web?.lines ?? []) io.out(line);
  try {
    if (!values['no-panel']) {
      const { startControlServices } = await import('../main/panel.js');
      panel = await startControlServices(key, {
        ...(values.panel !== undefined && { listen: values.panel }),
        dataDir: values['data-dir'] ?? DEFAULT_DATA_DIR,
      });
    }
  } catch (e) {
    await web?.close();
    await wallet?.close();
    for (const t of served) await t.close();
    await key.close();
    throw e;
  }
  for (const line of panel?.lines ?? []) io.out(line);
  io.out(`presence: ${values.presence ?? 'auto'} — press Ctrl-C to stop`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await panel?.close();
  await web?.close();
  await wallet?.close();
  for (const t of served) await t.close();
  await key.close();
  io.out('softkey stopped');
  return 0;
}

async function withTransport<T>(
  values: { 'data-dir'?: string; udp?: string; 'reply-to'?: string; profile?: string },
  fn: (t: CtapTransport) => Promise<T>,
): Promise<T> {
  if (values.udp) {
    const conn = await connectSoftKey({ udp: values.udp, ...(values['reply-to'] && { replyTo: values['reply-to'] }) });
    try {
      return await fn(conn);
    } finally {
      await conn.close();
    }
  }
  const key = await openSoftKey({
    dataDir: values['data-dir'] ?? DEFAULT_DATA_DIR,
    presence: 'auto',
    ...(values.profile !== undefined && { profile: checkProfile(values.profile) }),
  });
  try {
    return await fn(key);
  } finally {
    await key.close();
  }
}

export async function info(args: string[], io: Io): Promise<number> {
  const { values } = parse(args, {
    ...common,
    udp: { type: 'string' },
    'reply-to': { type: 'string' },
    profile: { type: 'string' },
  });
  if (values.profile !== undefined && values.udp)
    throw new UsageError('--profile is for --data-dir: a running device has its own');
  io.out(JSON.stringify(await withTransport(values, readInfo), null, 2));
  return 0;
}

function parseAaguidFlag(value: string): Uint8Array {
  const hex = value.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new UsageError(`--aaguid must be a UUID or 32 hex digits, got "${value}"`);
  return Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));
}

/** `softkey attestation roots`: the root CA certificate(s) of the data directory's device, PEM. */
export async function attestation(args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'roots')
    throw new UsageError(`softkey attestation: expected "roots", got ${sub ? `"${sub}"` : 'nothing'}`);
  const { values } = parse(rest, common);
  const key = await openSoftKey({ dataDir: values['data-dir'] ?? DEFAULT_DATA_DIR, presence: 'auto' });
  try {
    for (const pem of (await key.control.attestationRoots()).roots) io.out(pem.trimEnd());
  } finally {
    await key.close();
  }
  return 0;
}

export async function credentials(args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'list') throw new UsageError(`softkey credentials: expected "list", got ${sub ? `"${sub}"` : 'nothing'}`);
  const { values } = parse(rest, common);
  const { lines, source } = await listCredentials(values['data-dir'] ?? DEFAULT_DATA_DIR);
  if (lines.length === 0) io.out('no discoverable credentials');
  for (const l of lines) io.out(l);
  io.err(source);
  return 0;
}

export async function reset(args: string[], io: Io): Promise<number> {
  const { values } = parse(args, { ...common, yes: { type: 'boolean' } });
  const dataDir = values['data-dir'] ?? DEFAULT_DATA_DIR;
  if (!values.yes) {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const answer = await rl.question(`Erase every credential in ${dataDir}? [y/N] `);
    rl.close();
    if (!/^\s*y(es)?\s*$/i.test(answer)) {
      io.err('not reset');
      return 1;
    }
  }
  // A fresh in-process power-up is inside the 10 s reset window; presence was given above.
  const key = await openSoftKey({ dataDir, presence: 'auto' });
  try {
    const failure = await resetDevice(key);
    if (failure) {
      io.err(`reset failed: ${failure}`);
      return 1;
    }
  } finally {
    await key.close();
  }
  io.out(`softkey in ${dataDir} was reset`);
  return 0;
}

/** `softkey pin set`: the PIN from stdin (a prompt on a terminal), set on the device. */
export async function pin(args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'set') throw new UsageError(`softkey pin: expected "set", got ${sub ? `"${sub}"` : 'nothing'}`);
  const { values } = parse(rest, common);
  const dataDir = values['data-dir'] ?? DEFAULT_DATA_DIR;
  // Opened first: a data directory in use is refused before the PIN is asked for.
  const key = await openSoftKey({ dataDir, presence: 'auto' });
  try {
    const stdin = io.stdin ?? process.stdin;
    let text: string;
    if ((stdin as { isTTY?: boolean }).isTTY) {
      const rl = createInterface({ input: stdin, output: process.stderr });
      text = await rl.question('New PIN: ');
      rl.close();
    } else {
      const chunks: Buffer[] = [];
      for await (const chunk of stdin as AsyncIterable<Buffer | string>) chunks.push(Buffer.from(chunk));
      text = Buffer.concat(chunks).toString('utf8');
    }
    key.setDevicePin(text.replace(/\r?\n$/, ''));
  } catch (e) {
    io.err(`PIN not set: ${(e as Error).message}`);
    return 1;
  } finally {
    await key.close();
  }
  io.out(`PIN set on softkey in ${dataDir}`);
  return 0;
}

/** `softkey backup FILE`: an online copy of the database with its master key (store/backup.ts). */
export async function backup(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseWithFile(args, {});
  const dataDir = values['data-dir'] ?? DEFAULT_DATA_DIR;
  const r = await backupDataDir(dataDir, positionals[0]!);
  io.out(
    `backup of ${dataDir} written to ${r.file} (${r.bytes} bytes, ${r.residentCredentials} discoverable credentials)`,
  );
  io.out('it holds the master key and every secret of this softkey: keep it private (mode 0600)');
  return 0;
}

/** `softkey restore FILE`: refused while a device owns the data directory. */
export async function restore(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseWithFile(args, { force: { type: 'boolean' } });
  const dataDir = values['data-dir'] ?? DEFAULT_DATA_DIR;
  let r;
  try {
    r = await restoreDataDir(positionals[0]!, dataDir, { replace: values.force === true, warn: io.err });
  } catch (e) {
    if (!(e instanceof DataDirOccupiedError)) throw e;
    io.err(
      `softkey restore: ${e.message}. Add --force to replace it (the current database and master key are moved aside, not deleted).`,
    );
    return 1;
  }
  io.out(`restored ${positionals[0]} into ${dataDir} (${r.residentCredentials} discoverable credentials)`);
  if (r.replacedInto) io.out(`the replaced database and master key were moved to ${r.replacedInto}`);
  return 0;
}

function parseWithFile<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T) {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...common, ...options }, strict: true, allowPositionals: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (parsed.positionals.length !== 1) throw new UsageError('expected one FILE');
  return parsed;
}
