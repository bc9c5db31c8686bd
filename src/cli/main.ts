/**
 * The `softkey` command.
 *   softkey start [--data-dir D] [--udp HOST:PORT] [--reply-to HOST:PORT] [--presence MODE]
 *   softkey info [--data-dir D | --udp HOST:PORT [--reply-to HOST:PORT]]
 *   softkey credentials list [--data-dir D]
 *   softkey reset [--data-dir D] [--yes]
 * Usage mistakes print a clear message and exit with code 2.
 */
import { UsageError } from '../main/address.js';
import { DEFAULT_DATA_DIR } from '../main/defaults.js';
import type { Io } from './deviceCommands.js';
import { VERSION } from './version.js';

// Each command loads its own modules (one dynamic import per command): the device stack, web services,
// wallet, MDS, WebDriver and the MCP SDK together cost every `softkey` process ~1 s of CPU at start-up,
// and tests start dozens of `softkey ctl` and device processes.

/** Built only for --help: the transports and webdriver texts come from modules the other commands do not need. */
async function help(): Promise<string> {
  const { hidTransportHelp } = await import('../main/hidTransports.js');
  const { WEBDRIVER_HELP } = await import('./webdriverCommand.js');
  return `softkey — a software FIDO2 security key

Usage:
  softkey start [options]          run the device until Ctrl-C
      --data-dir DIR               where credentials live (default ${DEFAULT_DATA_DIR})
      --udp HOST:PORT              CTAPHID over UDP, SoloKeys convention (default 127.0.0.1:8111)
      --reply-to HOST:PORT         where UDP reports go (default 127.0.0.1:7112)
      --presence MODE              auto | deny | timeout | prompt | panel (default auto)
      --presence-timeout MS        how long timeout/prompt wait for the user (default 30000)
      --reset-window-ms MS         how long after power-up authenticatorReset is allowed (CTAP 2.1 §6.6;
                                   100-10000, default 10000; tests shorten it so they need not wait)
      --attestation FMT            packed (one self-signed x5c certificate, default) | self | none |
                                   packed-chain | fido-u2f | tpm | android-key | android-safetynet | apple |
                                   compound (WebAuthn L3 §8; roots: softkey attestation roots)
      --aaguid UUID                the AAGUID the device reports and attests
      --apdu HOST:PORT             Filecoin app, Speculos APDU protocol (default 127.0.0.1:9999)
      --no-apdu                    do not serve the Filecoin app
${hidTransportHelp()}
      --split                      keys, store and prompts in a separate secure-core process (docs/split.md)
      --profile NAME|FILE.json     default | badge | ctap20 | a profile file (docs/profiles.md)
      --hid-channels allocated|any CTAPHID channels served: any CID but 0 and broadcast, as most keys (default),
                                   or only those CTAPHID_INIT allocated, as OpenSK (docs/profiles.md)
      --bridge [HOST:PORT]         browser bridge (WebSocket) for the page shim (default 127.0.0.1:5175)
      --allow-origin ORIGIN        a page origin the bridge accepts (repeatable; default http://localhost:5173)
      --demo [HOST:PORT]           the WebAuthn Demo relying party, with the bridge (default localhost:5173;
                                   npm start passes it)
      --demo-seed DIR              add a credential pool's users to the demo at start (softkey pool create)
      --no-bridge, --no-demo       serve neither
      --panel HOST:PORT            device panel + control API (default 127.0.0.1:5174, or a free port
                                   when that is taken; URL and token in DIR/control.json)
      --no-panel                   no device panel or control API
  softkey info [--data-dir DIR [--profile P] | --udp HOST:PORT [--reply-to HOST:PORT]]
                                   authenticatorGetInfo, pretty-printed
  softkey attestation roots [--data-dir DIR]
                                   the attestation root CA (PEM) an RP trusts for every format
  softkey credentials list [--data-dir DIR]
                                   the discoverable credentials on the device
  softkey reset [--data-dir DIR] [--yes]
                                   erase every credential (asks first unless --yes)
  softkey backup FILE [--data-dir DIR]
                                   copy the data directory (database AND master key) into FILE
                                   (0600; it holds every secret: keep it like a private key);
                                   works while the device runs
  softkey restore FILE [--data-dir DIR] [--force]
                                   restore a backup (refused while a device runs; --force replaces
                                   an existing database, which is moved aside, not deleted)
  softkey pin set [--data-dir DIR]
                                   set the PIN on the device itself (read from stdin; the badge
                                   profile refuses setPIN/changePIN over the wire)
  softkey wallet init | import | address PATH [--data-dir DIR]
                                   the Filecoin app's seed and addresses
  softkey state export [--out FILE] | import FILE [--force]   [--data-dir DIR]
                                   the whole key as one JSON file (softkey state --help)
  softkey pool create --users N --rp-id ID --out DIR [--resident]
                                   pre-enroll a load test's virtual users (README "Load testing")
  ${WEBDRIVER_HELP.trimStart()}
  softkey mds [--data-dir DIR] [--out FILE | --listen HOST:PORT] [--root-out FILE] [--status PROFILE=STATUS]...
                                   a local FIDO Metadata Service: MDS 3.0 BLOB with a statement per profile
  softkey rp-check CONFIG.json [--only NAME,...] [--json]
                                   drive an RP's endpoints through every attestation format and deliberately
                                   wrong answer; report what it wrongly accepted (exit 1) and the step it skipped
  softkey ctl OPERATION [ARGS]     drive a running device: presence, prompts, credentials, faults…
                                   (softkey ctl --help)
  softkey mcp [--data-dir DIR]     a Model Context Protocol server (stdio) for AI agents over the control API
  softkey --version | --help
`;
}

/** What to use instead of an offline command while a device owns its data directory. */
const WHILE_RUNNING: Record<string, string> = {
  info: 'softkey info --udp HOST:PORT',
  credentials: 'softkey ctl credentials list',
  reset: 'softkey ctl reset',
  pin: 'softkey ctl pin set PIN',
  restore: '',
  start: '',
};

export async function main(
  argv: string[],
  io: Io = { out: (s) => console.log(s), err: (s) => console.error(s) },
): Promise<number> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case 'start':
        return await (await import('./deviceCommands.js')).start(args, io);
      case 'secure-core': // started by `start --split`, not by people (docs/split.md)
        return await (await import('../main/splitStart.js')).secureCoreMain(args);
      case 'info':
        return await (await import('./deviceCommands.js')).info(args, io);
      case 'credentials':
        return await (await import('./deviceCommands.js')).credentials(args, io);
      case 'attestation':
        return await (await import('./deviceCommands.js')).attestation(args, io);
      case 'pin':
        return await (await import('./deviceCommands.js')).pin(args, io);
      case 'reset':
        return await (await import('./deviceCommands.js')).reset(args, io);
      case 'backup':
        return await (await import('./deviceCommands.js')).backup(args, io);
      case 'restore':
        return await (await import('./deviceCommands.js')).restore(args, io);
      case 'ctl':
        return await (await import('./ctlCommands.js')).ctlCommand(args, io);
      case 'mcp': {
        const { mcpCommand } = await import('./mcpCommand.js');
        return await mcpCommand(args, io, VERSION);
      }
      case 'state':
        return await (await import('./stateCommands.js')).stateCommand(args, io);
      case 'pool':
        return await (await import('./poolCommands.js')).poolCommand(args, io);
      case 'webdriver':
        return await (await import('./webdriverCommand.js')).webdriverCommand(args, io);
      case 'rp-check':
        return await (await import('./rpCheckCommand.js')).rpCheckCommand(args, io);
      case 'mds':
        return await (await import('./mdsCommand.js')).mdsCommand(args, io);
      case 'wallet': {
        const { walletCommand } = await import('./walletCommands.js');
        const { openDataDir } = await import('../main/dataDir.js');
        return await walletCommand(args, {
          stdin: process.stdin,
          stdout: io.out,
          stderr: io.err,
          openVault: (dir) => openDataDir(dir),
        });
      }
      case '--version':
      case '-v':
        io.out(VERSION);
        return 0;
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        io.out(await help());
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`softkey: ${e.message}\nRun "softkey --help" for usage.`);
      return 2;
    }
    // Loaded only on the error path: the store's error classes are not light.
    const { DataDirLockedError } = await import('../main/dataDir.js');
    if (e instanceof DataDirLockedError) {
      const instead = WHILE_RUNNING[command!];
      io.err(`softkey ${command}: ${e.message}. Stop it first${instead ? `, or use "${instead}"` : ''}.`);
      return 1;
    }
    io.err(`softkey: ${(e as Error).message}`);
    return 1;
  }
}
