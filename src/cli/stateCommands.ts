/**
 * `softkey state export|import`: a whole key as one JSON file (main/keyState.ts). The passphrase of
 * a sealed file comes from a file or an environment variable, never the command line (ps shows it).
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { UsageError } from '../main/address.js';
import { DEFAULT_DATA_DIR } from '../main/defaults.js';

export const STATE_HELP = `softkey state export [--data-dir DIR] [--out FILE] [--passphrase-file F | --passphrase-env VAR]
      the whole key (credentials with private keys, counters, PIN, large blobs, secrets) as JSON;
      sealed with scrypt + AES-256-GCM when a passphrase is given; FILE is written mode 0600
softkey state import FILE [--data-dir DIR] [--force] [--passphrase-file F | --passphrase-env VAR]
      restore it into DIR (refused while a device runs there, or when DIR holds a key unless --force)`;

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

const OPTIONS = {
  'data-dir': { type: 'string' },
  out: { type: 'string' },
  force: { type: 'boolean' },
  'passphrase-file': { type: 'string' },
  'passphrase-env': { type: 'string' },
} as const;

function passphraseOf(values: { 'passphrase-file'?: string; 'passphrase-env'?: string }): string | undefined {
  if (values['passphrase-file'] !== undefined && values['passphrase-env'] !== undefined) {
    throw new UsageError('give --passphrase-file or --passphrase-env, not both');
  }
  if (values['passphrase-file'] !== undefined) {
    let text: string;
    try {
      text = readFileSync(values['passphrase-file'], 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read ${values['passphrase-file']}: ${(e as Error).message}`);
    }
    const pass = text.replace(/\r?\n$/, '');
    if (pass === '') throw new UsageError(`${values['passphrase-file']} is empty`);
    return pass;
  }
  if (values['passphrase-env'] !== undefined) {
    const pass = process.env[values['passphrase-env']];
    if (!pass) throw new UsageError(`environment variable ${values['passphrase-env']} is not set`);
    return pass;
  }
  return undefined;
}

export async function stateCommand(args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === 'help') {
    io.out(STATE_HELP);
    return sub === undefined ? 2 : 0;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: OPTIONS, strict: true, allowPositionals: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values, positionals } = parsed;
  const dataDir = values['data-dir'] ?? DEFAULT_DATA_DIR;
  const passphrase = passphraseOf(values);
  if (sub === 'export') {
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    if (values.force) throw new UsageError('--force goes with import');
    // Loaded here: --help and usage mistakes need not load the device stack.
    const { exportKeyState } = await import('../main/keyState.js');
    const doc = await exportKeyState(dataDir, passphrase === undefined ? {} : { passphrase });
    const json = JSON.stringify(doc, null, 2) + '\n';
    if (values.out === undefined) io.out(json.trimEnd());
    else {
      writeFileSync(values.out, json, { mode: 0o600 });
      chmodSync(values.out, 0o600); // an existing file keeps its mode otherwise
      io.err(
        passphrase === undefined
          ? `wrote ${values.out} (it holds private keys in the clear)`
          : `wrote ${values.out} (sealed with the passphrase)`,
      );
    }
    return 0;
  }
  if (sub === 'import') {
    if (positionals.length !== 1) throw new UsageError('state import needs exactly one FILE');
    if (values.out !== undefined) throw new UsageError('--out goes with export');
    let text: string;
    try {
      text = readFileSync(positionals[0]!, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read ${positionals[0]}: ${(e as Error).message}`);
    }
    const { importKeyState } = await import('../main/keyState.js');
    const config = await importKeyState(dataDir, text, {
      ...(passphrase !== undefined && { passphrase }),
      ...(values.force && { force: true }),
    });
    const profile =
      typeof config.profile === 'string' && config.profile !== 'default'
        ? ` (it was a "${config.profile}" key: start it with --profile ${config.profile})`
        : '';
    io.out(`restored the key into ${dataDir}${profile}`);
    return 0;
  }
  throw new UsageError(`softkey state: expected export or import, got "${sub}"`);
}
