/**
 * `softkey start --split` and its hidden partner `softkey secure-core` (docs/split.md): the front
 * serves CTAPHID over UDP and starts the secure core as a child process of the same program.
 * The secure core keeps the data directory; the front opens no store and no vault.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_DATA_DIR } from './device.js';
import { parseHostPort, UsageError } from './address.js';
import { listenFor } from './listenErrors.js';
import { hidTransportFlags, openHidTransports, planHidTransports, type HidTransportPlan } from './hidTransports.js';
import { startApduTcpServer } from '../transport/apduTcp.js';
import { ProfileError, profileConfig } from './profiles.js';
import { PRESENCE_MODES, type PresenceMode } from './presence.js';
import { Socket } from 'node:net';
import { defaultConfig, type AttestationMode, type AuthenticatorConfig } from '../authenticator/config.js';
import type { Env } from '../authenticator/env.js';
import { SecureCoreService, serveSecureCore } from '../split/core/secureCore.js';
import { FrontPrompts } from '../split/core/frontPrompts.js';
import { openDataDir } from '../store/dataDir.js';
import { systemClock, systemRng } from './device.js';
import { presenceFor, reviewFor, TerminalPresence } from './presence.js';
import { brokerScreen, openSplitSoftKey, secureCoreCommand, type SecureCoreSettings } from './splitDevice.js';
import { createPromptsControl } from '../control/promptsControl.js';
import { startControlServices, type ControlServices } from './panel.js';
import { createWalletApp } from './wallet.js';
import { parseResetWindowMs } from './resetWindow.js';

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

const OPTIONS = {
  'data-dir': { type: 'string' },
  udp: { type: 'string' },
  'reply-to': { type: 'string' },
  presence: { type: 'string' },
  'presence-timeout': { type: 'string' },
  'reset-window-ms': { type: 'string' },
  attestation: { type: 'string' },
  'no-apdu': { type: 'boolean' },
  apdu: { type: 'string' },
  profile: { type: 'string' },
  split: { type: 'boolean' },
  // The panel shows the core's prompts with --presence panel (docs/split.md "Prompts").
  panel: { type: 'string' },
  // Split mode serves no bridge or demo: these ask for what it does anyway (scripts pass them).
  'no-panel': { type: 'boolean' },
  'no-bridge': { type: 'boolean' },
  'no-demo': { type: 'boolean' },
} as const;

function settings(args: string[], allowed: ReadonlyArray<string>) {
  let values;
  try {
    // With the HID transports of hidTransports.ts (--uhid, --usbip, --tcp-hid, --ws), as without --split.
    ({ values } = parseArgs({
      args,
      options: { ...OPTIONS, ...hidTransportFlags() },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new UsageError(
      `${(e as Error).message}: not available in split mode, which takes ${allowed.map((o) => `--${o}`).join(', ')}`,
    );
  }
  for (const name of Object.keys(values)) {
    if (!allowed.includes(name)) throw new UsageError(`--${name} is not available in split mode`);
  }
  const presence = values.presence ?? 'auto';
  if (!(PRESENCE_MODES as readonly string[]).includes(presence))
    throw new UsageError(`--presence must be one of ${PRESENCE_MODES.join(', ')}, got "${presence}"`);
  const attestation = values.attestation ?? 'packed';
  if (!['packed', 'self', 'none'].includes(attestation))
    throw new UsageError(`--attestation must be packed, self or none, got "${attestation}"`);
  let timeout: number | undefined;
  if (values['presence-timeout'] !== undefined) {
    timeout = Number(values['presence-timeout']);
    if (!Number.isInteger(timeout) || timeout <= 0)
      throw new UsageError(`--presence-timeout must be a positive whole number, got "${values['presence-timeout']}"`);
  }
  const resetWindowMs = parseResetWindowMs(values['reset-window-ms']);
  const core: SecureCoreSettings = {
    dataDir: values['data-dir'] ?? DEFAULT_DATA_DIR,
    presence: presence as PresenceMode,
    attestation: attestation as AttestationMode,
    ...(timeout !== undefined && { userActionTimeoutMs: timeout }),
    ...(resetWindowMs !== undefined && { resetWindowMs }),
    ...(values.profile !== undefined && { profile: values.profile }),
  };
  if (core.profile !== undefined) {
    try {
      profileConfig(core.profile);
    } catch (e) {
      if (e instanceof ProfileError) throw new UsageError(e.message);
      throw e;
    }
  }
  return { values, core };
}

/** `softkey start --split …`: runs until SIGINT/SIGTERM. */
export async function startSplit(args: string[], io: Io): Promise<number> {
  const { values, core } = settings(args, [
    ...([
      'split',
      'data-dir',
      'udp',
      'reply-to',
      'presence',
      'presence-timeout',
      'reset-window-ms',
      'attestation',
      'no-apdu',
      'apdu',
      'profile',
      'panel',
    ] as const),
    ...(['no-panel', 'no-bridge', 'no-demo'] as const),
    ...Object.keys(hidTransportFlags()),
  ]);
  const hidPlan: HidTransportPlan = planHidTransports(values);
  if (values.apdu && values['no-apdu']) throw new UsageError('--apdu and --no-apdu exclude each other');
  const apdu = values['no-apdu'] ? undefined : parseHostPort(values.apdu ?? '127.0.0.1:9999', '--apdu');
  // --presence panel: the core sends every prompt to this front, whose panel and control API answer it.
  if (values.panel !== undefined && values['no-panel'])
    throw new UsageError('--panel and --no-panel exclude each other');
  if (values.panel !== undefined && core.presence !== 'panel')
    throw new UsageError('--panel in split mode shows the prompts of --presence panel: add --presence panel');
  if (core.presence === 'panel' && values['no-panel'])
    throw new UsageError('--presence panel answers prompts on the device panel: drop --no-panel');
  const prompts =
    core.presence === 'panel'
      ? createPromptsControl({
          mode: 'panel',
          ...(core.userActionTimeoutMs !== undefined && { timeoutMs: core.userActionTimeoutMs }),
          terminal: new TerminalPresence(process.stdin, process.stderr, core.userActionTimeoutMs),
        })
      : undefined;
  if (values.panel !== undefined) parseHostPort(values.panel, '--panel');
  const key = await listenFor('--udp', () =>
    openSplitSoftKey({
      core: secureCoreCommand(core),
      config: { ...profileConfig(core.profile ?? 'default'), attestation: core.attestation! },
      udp: values.udp ?? '127.0.0.1:8111',
      replyTo: values['reply-to'] ?? '127.0.0.1:7112',
      ...(prompts && { screen: brokerScreen(prompts.presence) }),
    }),
  );
  io.out(`softkey (split: secure core pid ${key.device.link.child?.pid}) data in ${core.dataDir}`);
  io.out(`CTAPHID over UDP listening on ${key.udpAddress}, replying to ${values['reply-to'] ?? '127.0.0.1:7112'}`);
  // Every other HID transport reaches the same front (one CtapHidDevice each); USB/IP's second
  // device is the Filecoin app in the core, as --apdu is.
  let served: Awaited<ReturnType<typeof openHidTransports>>;
  try {
    const wallet = { exchange: (bytes: Uint8Array) => key.device.filecoinApdu(bytes) };
    served = await openHidTransports(key.device, hidPlan, { ...(apdu && { wallet }) });
  } catch (e) {
    await key.close();
    throw e;
  }
  for (const port of served) io.out(port.description);
  // The Filecoin app keeps its seed in the core's vault: its APDUs go to the core (apduRequest 0x0115).
  let wallet: Awaited<ReturnType<typeof startApduTcpServer>> | undefined;
  if (apdu) {
    try {
      const onApdu = (bytes: Uint8Array, { signal }: { signal: AbortSignal }) => key.device.filecoinApdu(bytes, signal);
      wallet = await listenFor(
        '--apdu',
        () => startApduTcpServer({ host: apdu.host, port: apdu.port, onApdu }),
        '--no-apdu',
      );
    } catch (e) {
      for (const port of served) await port.close();
      await key.close();
      throw e;
    }
    io.out(
      `Filecoin app (APDU, Speculos protocol, in the secure core) listening on ${wallet.address.host}:${wallet.address.port}`,
    );
  }
  let panel: ControlServices | undefined;
  if (prompts) {
    try {
      panel = await startControlServices(
        { control: prompts.controller },
        { ...(values.panel !== undefined && { listen: values.panel }), dataDir: core.dataDir },
      );
    } catch (e) {
      await wallet?.close();
      for (const port of served) await port.close();
      await key.close();
      throw e;
    }
    for (const line of panel.lines) io.out(line);
  }
  io.out(`presence: ${core.presence} — press Ctrl-C to stop`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await panel?.close();
  await wallet?.close();
  for (const port of served) await port.close();
  await key.close();
  io.out('softkey stopped');
  return 0;
}

/** `softkey secure-core …` (started by the front, stream on fd 3): runs until the front closes it. */
export async function secureCoreMain(args: string[]): Promise<number> {
  const { core } = settings(args, [
    'data-dir',
    'presence',
    'presence-timeout',
    'reset-window-ms',
    'attestation',
    'profile',
  ]);
  // The front owns the terminal's Ctrl-C; the core ends when its stream closes.
  process.on('SIGINT', () => {});
  await runSecureCore(core);
  return 0;
}

/** `softkey secure-core`: serves the stream on fd 3 until the front closes it. */
export async function runSecureCore(s: SecureCoreSettings & { config?: Partial<AuthenticatorConfig> }): Promise<void> {
  const opened = openDataDir(s.dataDir);
  try {
    const timeout = s.userActionTimeoutMs !== undefined ? { timeoutMs: s.userActionTimeoutMs } : {};
    const stream = new Socket({ fd: 3, readable: true, writable: true });
    // --presence panel: the front shows every prompt (its panel and control API) and answers it.
    const prompts = s.presence === 'panel' ? new FrontPrompts(stream) : undefined;
    const env: Env = {
      clock: systemClock,
      rng: systemRng,
      presence: prompts ?? presenceFor(s.presence, timeout),
      store: opened.store,
      vault: opened.vault,
    };
    const review = prompts ?? reviewFor(s.presence, timeout);
    const makeWallet = () => createWalletApp({ vault: opened.vault, review });
    const config = defaultConfig({
      ...profileConfig(s.profile ?? 'default'),
      ...s.config,
      ...(s.attestation && { attestation: s.attestation }),
      ...(s.resetWindowMs !== undefined && { resetWindowMs: s.resetWindowMs }),
    });
    const service = await SecureCoreService.create(env, config, makeWallet);
    await serveSecureCore(service, stream, prompts);
  } finally {
    opened.close();
  }
}
