/**
 * `softkey ctl <operation> [args]`: the control API of a running `softkey start`, from the shell.
 * It finds the device through <dataDir>/control.json (or --url and --token), calls the HTTP API
 * and prints the JSON answer. Usage mistakes exit 2; the device refusing a request exits 1.
 */
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../main/address.js';
import { controlRequest, readControlInfo } from '../main/controlClient.js';
import { DEFAULT_DATA_DIR } from '../main/defaults.js';

export const CTL_HELP = `softkey ctl [--data-dir DIR | --url URL --token TOKEN] OPERATION [ARGS]
  state                                      everything at once
  presence [MODE] [--timeout MS]             show or set: auto | deny | timeout | prompt | panel
  uv [--available true|false] [--result match|nomatch]
  pin [set PIN]                              PIN state; set the PIN on the device itself
  prompts | approve ID | longTouch ID | deny ID   pending prompts; answer one (longTouch: held button)
  credentials list [--private-keys] | clear | remove ID
  credentials get ID [--rp RPID]             one credential with its private key (--rp for a non-resident one)
  credentials add --rp RPID (--user-id B64URL | --non-resident) (--pkcs8-file F | --jwk-file F | --scalar HEX)
                  [--user-name N] [--display-name N] [--rp-name N] [--cred-protect 1|2|3] [--sign-count N]
                  [--credential-id B64URL] [--backup-eligible true|false] [--backup-state true|false]
  credentials import FILE                    add each credential of a JSON list (credentials list --private-keys)
  credentials set ID [--sign-count N] [--backup-eligible true|false] [--backup-state true|false]
  backup-defaults [--eligible true|false] [--state true|false]   BE/BS of new credentials
  reset | power-cycle
  attestation [show | reset | roots]          the format/AAGUID the next makeCredential uses; the root CA (PEM)
  attestation set [--format FMT] [--aaguid UUID] [--once]
  override [show | clear | list]                the armed wrong answers; list: every one with the RP check that catches it
  override NAME... [--once] [--ceremony registration|authentication]   arm deliberately wrong answers
  faults [show | clear]
  faults set [--delay MS] [--drop N] [--corrupt N [--offset O] [--xor X]] [--error COMMAND:STATUS [--every]]
             [--bad-signature] [--withhold timeout|cancel]
  trace [--since N] | trace clear
  wallet [--count N]`;

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T, positionals = 0) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (parsed.positionals.length > positionals)
    throw new UsageError(`unexpected argument "${parsed.positionals[positionals]}"`);
  return parsed;
}

function int(value: string | undefined, what: string, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${what} must be a whole number ≥ ${min}, got "${value}"`);
  return n;
}

function bool(value: string | undefined, what: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value !== 'true' && value !== 'false') throw new UsageError(`${what} must be true or false, got "${value}"`);
  return value === 'true';
}

function readFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${(e as Error).message}`);
  }
}

/** The request an operation makes: [method, path, body?]. */
type Call = [method: string, path: string, body?: unknown];

function credentialsCall(args: string[]): Call {
  const [sub, ...rest] = args;
  switch (sub) {
    case undefined:
    case 'list': {
      const { values } = parse(rest, { 'private-keys': { type: 'boolean' } });
      return ['GET', `/credentials${values['private-keys'] ? '?privateKeys=true' : ''}`];
    }
    case 'get': {
      const { values, positionals } = parse(rest, { rp: { type: 'string' } }, 1);
      if (!positionals[0]) throw new UsageError('credentials get needs a credential ID');
      return [
        'GET',
        `/credentials/${encodeURIComponent(positionals[0])}${values.rp ? `?rpId=${encodeURIComponent(values.rp)}` : ''}`,
      ];
    }
    case 'clear':
      parse(rest, {});
      return ['DELETE', '/credentials'];
    case 'remove': {
      const { positionals } = parse(rest, {}, 1);
      if (!positionals[0]) throw new UsageError('credentials remove needs a credential ID');
      return ['DELETE', `/credentials/${encodeURIComponent(positionals[0])}`];
    }
    case 'set': {
      const { values, positionals } = parse(
        rest,
        { 'sign-count': { type: 'string' }, 'backup-eligible': { type: 'string' }, 'backup-state': { type: 'string' } },
        1,
      );
      if (!positionals[0]) throw new UsageError('credentials set needs a credential ID');
      const body = {
        signCount: int(values['sign-count'], '--sign-count'),
        backupEligible: bool(values['backup-eligible'], '--backup-eligible'),
        backupState: bool(values['backup-state'], '--backup-state'),
      };
      if (Object.values(body).every((v) => v === undefined))
        throw new UsageError('credentials set needs --sign-count, --backup-eligible or --backup-state');
      return ['PATCH', `/credentials/${encodeURIComponent(positionals[0])}`, body];
    }
    case 'add': {
      const { values } = parse(rest, {
        rp: { type: 'string' },
        'rp-name': { type: 'string' },
        'user-id': { type: 'string' },
        'user-name': { type: 'string' },
        'display-name': { type: 'string' },
        'non-resident': { type: 'boolean' },
        'pkcs8-file': { type: 'string' },
        'jwk-file': { type: 'string' },
        scalar: { type: 'string' },
        'cred-protect': { type: 'string' },
        'sign-count': { type: 'string' },
        'credential-id': { type: 'string' },
        'backup-eligible': { type: 'string' },
        'backup-state': { type: 'string' },
      });
      if (!values.rp) throw new UsageError('credentials add needs --rp RPID');
      const keys = [values['pkcs8-file'], values['jwk-file'], values.scalar].filter((v) => v !== undefined);
      if (keys.length !== 1)
        throw new UsageError('credentials add needs exactly one of --pkcs8-file, --jwk-file, --scalar');
      if (!values['non-resident'] && !values['user-id'])
        throw new UsageError('a resident credential needs --user-id (base64url)');
      let privateKey: unknown;
      if (values['pkcs8-file']) privateKey = { pkcs8: readFile(values['pkcs8-file']) };
      else if (values['jwk-file']) {
        try {
          privateKey = { jwk: JSON.parse(readFile(values['jwk-file'])) as unknown };
        } catch (e) {
          throw e instanceof UsageError ? e : new UsageError(`${values['jwk-file']} is not JSON`);
        }
      } else privateKey = { p256Scalar: values.scalar };
      const cp = int(values['cred-protect'], '--cred-protect', 1);
      return [
        'POST',
        '/credentials',
        {
          rpId: values.rp,
          rpName: values['rp-name'],
          resident: !values['non-resident'],
          userId: values['user-id'],
          userName: values['user-name'],
          userDisplayName: values['display-name'],
          privateKey,
          credProtect: cp,
          signCount: int(values['sign-count'], '--sign-count'),
          credentialId: values['credential-id'],
          backupEligible: bool(values['backup-eligible'], '--backup-eligible'),
          backupState: bool(values['backup-state'], '--backup-state'),
        },
      ];
    }
    default:
      throw new UsageError(
        `softkey ctl credentials: expected list, get, add, import, remove, set or clear, got "${sub}"`,
      );
  }
}

function faultsCall(args: string[]): Call {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === 'show') return (parse(rest, {}), ['GET', '/faults']);
  if (sub === 'clear') return (parse(rest, {}), ['DELETE', '/faults']);
  if (sub !== 'set') throw new UsageError(`softkey ctl faults: expected show, set or clear, got "${sub}"`);
  const { values } = parse(rest, {
    delay: { type: 'string' },
    drop: { type: 'string' },
    corrupt: { type: 'string' },
    offset: { type: 'string' },
    xor: { type: 'string' },
    error: { type: 'string' },
    every: { type: 'boolean' },
    'bad-signature': { type: 'boolean' },
    withhold: { type: 'string' },
  });
  const plan: Record<string, unknown> = {};
  if (values.delay !== undefined) plan.delayMs = int(values.delay, '--delay');
  if (values.drop !== undefined) plan.dropReport = int(values.drop, '--drop', 1);
  if (values.corrupt !== undefined) {
    plan.corruptReport = {
      nth: int(values.corrupt, '--corrupt', 1),
      offset: int(values.offset, '--offset'),
      xor: values.xor === undefined ? undefined : Number(values.xor),
    };
  } else if (values.offset !== undefined || values.xor !== undefined)
    throw new UsageError('--offset and --xor go with --corrupt N');
  if (values.error !== undefined) {
    const m = /^([^:]+):([^:]+)$/.exec(values.error);
    if (!m) throw new UsageError('--error takes COMMAND:STATUS, e.g. makeCredential:CTAP2_ERR_KEY_STORE_FULL');
    plan.ctapError = { command: m[1], status: m[2], ...(values.every && { every: true }) };
  } else if (values.every) throw new UsageError('--every goes with --error');
  if (values['bad-signature']) plan.badSignature = true;
  if (values.withhold !== undefined) plan.withholdPresence = values.withhold;
  if (Object.keys(plan).length === 0) throw new UsageError('faults set needs at least one fault');
  return ['PUT', '/faults', plan];
}

function callFor(operation: string | undefined, args: string[]): Call {
  switch (operation) {
    case 'state':
      return (parse(args, {}), ['GET', '/state']);
    case 'presence': {
      const { values, positionals } = parse(args, { timeout: { type: 'string' } }, 1);
      if (!positionals[0] && values.timeout === undefined) return ['GET', '/presence'];
      return ['PUT', '/presence', { mode: positionals[0], timeoutMs: int(values.timeout, '--timeout', 1) }];
    }
    case 'uv': {
      const { values } = parse(args, { available: { type: 'string' }, result: { type: 'string' } });
      if (values.available === undefined && values.result === undefined) return ['GET', '/uv'];
      if (values.result !== undefined && !['match', 'nomatch'].includes(values.result))
        throw new UsageError('--result must be match or nomatch');
      return ['PUT', '/uv', { available: bool(values.available, '--available'), result: values.result }];
    }
    case 'prompts':
      return (parse(args, {}), ['GET', '/prompts']);
    case 'pin': {
      const { positionals } = parse(args, {}, 2);
      if (positionals.length === 0) return ['GET', '/pin'];
      if (positionals[0] !== 'set' || positionals[1] === undefined)
        throw new UsageError('expected: softkey ctl pin set PIN');
      return ['PUT', '/pin', { pin: positionals[1] }];
    }
    case 'approve':
    case 'longTouch':
    case 'deny': {
      const { positionals } = parse(args, {}, 1);
      if (!positionals[0]) throw new UsageError(`${operation} needs a prompt ID (softkey ctl prompts)`);
      return ['POST', `/prompts/${encodeURIComponent(positionals[0])}/${operation}`];
    }
    case 'credentials':
      return credentialsCall(args);
    case 'backup-defaults': {
      const { values } = parse(args, { eligible: { type: 'string' }, state: { type: 'string' } });
      if (values.eligible === undefined && values.state === undefined) return ['GET', '/backup-defaults'];
      return [
        'PUT',
        '/backup-defaults',
        {
          backupEligible: bool(values.eligible, '--eligible'),
          backupState: bool(values.state, '--state'),
        },
      ];
    }
    case 'reset':
      return (parse(args, {}), ['POST', '/reset']);
    case 'power-cycle':
      return (parse(args, {}), ['POST', '/power-cycle']);
    case 'faults':
      return faultsCall(args);
    case 'override': {
      // softkey ctl override [show | clear | list | NAME... [--once] [--ceremony registration|authentication]]
      const [sub, ...rest] = args;
      if (sub === undefined || sub === 'show') return (parse(rest, {}), ['GET', '/overrides']);
      if (sub === 'clear') return (parse(rest, {}), ['DELETE', '/overrides']);
      if (sub === 'list') return (parse(rest, {}), ['GET', '/wrong-answers']);
      const { values, positionals } = parse(
        args,
        { once: { type: 'boolean' }, ceremony: { type: 'string' } },
        Infinity,
      );
      const body = {
        answer: positionals,
        ...(values.once && { once: true }),
        ...(values.ceremony && { ceremony: values.ceremony }),
      };
      return ['POST', '/overrides', body];
    }
    case 'attestation': {
      const [sub, ...rest] = args;
      if (sub === undefined || sub === 'show') return (parse(rest, {}), ['GET', '/attestation']);
      if (sub === 'reset') return (parse(rest, {}), ['PUT', '/attestation', { reset: true }]);
      if (sub === 'roots') return (parse(rest, {}), ['GET', '/attestation/roots']);
      if (sub !== 'set')
        throw new UsageError(`softkey ctl attestation: expected show, set, reset or roots, got "${sub}"`);
      const { values } = parse(rest, {
        format: { type: 'string' },
        aaguid: { type: 'string' },
        once: { type: 'boolean' },
      });
      if (values.format === undefined && values.aaguid === undefined)
        throw new UsageError('attestation set needs --format or --aaguid');
      return [
        'PUT',
        '/attestation',
        { format: values.format, aaguid: values.aaguid, ...(values.once && { once: true }) },
      ];
    }
    case 'trace': {
      if (args[0] === 'clear') return (parse(args.slice(1), {}), ['DELETE', '/trace']);
      const { values } = parse(args, { since: { type: 'string' } });
      return ['GET', `/trace${values.since !== undefined ? `?since=${int(values.since, '--since')}` : ''}`];
    }
    case 'wallet': {
      const { values } = parse(args, { count: { type: 'string' } });
      return [
        'GET',
        `/wallet/addresses${values.count !== undefined ? `?count=${int(values.count, '--count', 1)}` : ''}`,
      ];
    }
    case undefined:
      throw new UsageError(`softkey ctl needs an operation:\n${CTL_HELP}`);
    default:
      throw new UsageError(`softkey ctl: unknown operation "${operation}"\n${CTL_HELP}`);
  }
}

/** Splits the leading connection options from the operation and its arguments. */
function connection(args: string[]): {
  endpoint: { url: string; token: string } | { dataDir: string };
  rest: string[];
} {
  const opts: Record<string, string> = {};
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i]!;
    const m = /^--(data-dir|url|token)(?:=(.*))?$/.exec(a);
    if (!m) break;
    const value = m[2] ?? args[++i];
    if (value === undefined) throw new UsageError(`--${m[1]} needs a value`);
    opts[m[1]!] = value;
  }
  if ((opts.url === undefined) !== (opts.token === undefined)) throw new UsageError('--url and --token go together');
  if (opts.url && opts['data-dir']) throw new UsageError('give --data-dir or --url/--token, not both');
  return {
    endpoint: opts.url ? { url: opts.url, token: opts.token! } : { dataDir: opts['data-dir'] ?? DEFAULT_DATA_DIR },
    rest: args.slice(i),
  };
}

export async function ctlCommand(args: string[], io: Io): Promise<number> {
  if (args[0] === '--help' || args[0] === '-h' || args[0] === 'help') {
    io.out(CTL_HELP);
    return 0;
  }
  const { endpoint, rest } = connection(args);
  const [operation, ...operationArgs] = rest;
  if (operation === 'credentials' && operationArgs[0] === 'import')
    return importCredentials(endpoint, operationArgs.slice(1), io);
  const [method, path, body] = callFor(operation, operationArgs);
  const target = 'url' in endpoint ? endpoint : readControlInfo(endpoint.dataDir);
  io.out(JSON.stringify(await controlRequest(target, method, path, body), null, 2));
  return 0;
}

/** `credentials import FILE`: each entry of a list read back with --private-keys, added again (IDs, counters, flags kept). */
async function importCredentials(
  endpoint: { url: string; token: string } | { dataDir: string },
  args: string[],
  io: Io,
): Promise<number> {
  const { positionals } = parse(args, {}, 1);
  if (!positionals[0])
    throw new UsageError('credentials import needs a FILE (a JSON list from credentials list --private-keys)');
  let list: unknown;
  try {
    list = JSON.parse(readFile(positionals[0]));
  } catch (e) {
    throw e instanceof UsageError ? e : new UsageError(`${positionals[0]} is not JSON`);
  }
  if (!Array.isArray(list)) throw new UsageError(`${positionals[0]} must hold a JSON list of credentials`);
  const target = 'url' in endpoint ? endpoint : readControlInfo(endpoint.dataDir);
  const added = [];
  for (const c of list) added.push(await controlRequest(target, 'POST', '/credentials', c));
  io.out(JSON.stringify(added, null, 2));
  return 0;
}
