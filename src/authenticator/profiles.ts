/**
 * Device profiles: what a device says about itself in authenticatorGetInfo (CTAP 2.1 §6.4) and the
 * behaviour that goes with it, as different configs of the same authenticator (config.ts).
 *
 *   default  everything softkey does (CTAP 2.1 and the ctap23 capability: CTAP 2.3)
 *   badge    the badge of seed 003 (a hardware key whose FIDO2 surface the seed documents); no ctap23
 *   ctap20   a CTAP 2.0-only key: FIDO_2_0, PIN protocol 1, no 2.1 commands, options or members; no ctap23
 *
 * A profile is a ProfileSpec: a base profile plus overrides of getInfo values and behaviour
 * switches. Built-in profiles are specs like any other; a JSON file with the same shape adds one
 * (docs/profiles.md). Lists name what a profile allows, so a command or extension softkey gains
 * later stays hidden from profiles that do not list it.
 */
import { ATTESTATION_FORMATS, type AttestationMode as AttestationFormat, type AuthenticatorConfig } from './config.js';

export { ATTESTATION_FORMATS, type AttestationFormat };
export const isAttestationFormat = (v: string): v is AttestationFormat =>
  (ATTESTATION_FORMATS as readonly string[]).includes(v);
import { Command } from '../ctap2/commands.js';
import { ClientPinSubCommand } from '../ctap2/clientPin.js';
import { GetInfoKey } from '../ctap2/getInfo.js';
import { fromHex } from '../encoding/bytes.js';
import { CoseAlg } from '../encoding/cose.js';

export interface ProfileSpec {
  /** Shown by `softkey start`; a JSON file's default is its file name. */
  name?: string;
  description?: string;
  /** A built-in profile this one starts from (default: "default"). */
  base?: string;
  getInfo?: {
    /** Members emitted, by their spec names (§6.4); absent: every member the device computes. */
    members?: string[];
    versions?: string[];
    /** Extension identifiers offered (and the only ones processed). */
    extensions?: string[];
    /** 32 hex digits. */
    aaguid?: string;
    /** Options emitted: true/false fixed, null as the device computes it. */
    options?: Record<string, boolean | null>;
    maxMsgSize?: number;
    pinUvAuthProtocols?: number[];
    maxCredentialCountInList?: number;
    maxCredentialIdLength?: number;
    transports?: string[];
    /** "ES256" | "ES384" | "ES512" | "EdDSA" | "RS256", in order of preference. */
    algorithms?: string[];
    firmwareVersion?: number;
  };
  behaviour?: {
    /** CTAP2 commands answered, by spec name ("authenticatorMakeCredential"); others: INVALID_COMMAND. */
    commands?: string[];
    /** Commands answered CTAP2_ERR_UNSUPPORTED_OPTION. */
    refusedCommands?: string[];
    /** clientPIN subcommands answered ("getPINRetries", …); others: INVALID_SUBCOMMAND. */
    clientPinSubCommands?: string[];
    /** false: setPIN/changePIN → UNSUPPORTED_OPTION; the PIN is set with `softkey pin set`. */
    pinSettableOverWire?: boolean;
    /** The protocol clientPIN assumes when a request names none (or 0). */
    defaultPinUvAuthProtocol?: number;
    /** §6.1.2 step 7 (true) or step 8 (false); also the getInfo option of that name. */
    makeCredUvNotRqd?: boolean;
    /** Every credential takes one of this many slots and gets a 64-byte ID; null: unlimited. */
    credentialSlots?: number | null;
    maxResidentCredentials?: number;
    /** CTAP 2.0 wording: an unsupported "uv" option is UNSUPPORTED_OPTION (2.1: INVALID_OPTION). */
    ctap20Errors?: boolean;
    /** The CTAP 2.3 capability (FIDO_2_3, getInfo 0x16–0x1F, pcmr, long touch, …); default true. */
    ctap23?: boolean;
    /** CTAPHID channels served: 'any' CID but 0 and broadcast (default), or 'allocated' by CTAPHID_INIT only. */
    hidChannels?: 'allocated' | 'any';
    attestation?: AttestationFormat;
    /** New credential IDs: this many random bytes (16–32), stored, not sealed (passkey providers). */
    storedCredentialIdLength?: number;
    /** Every credential is discoverable, whatever the rk option says. */
    alwaysDiscoverable?: boolean;
    /** Built-in UV (installed at start) runs on every makeCredential and user-present getAssertion. */
    alwaysBuiltInUv?: boolean;
    /** attestation "none" keeps the AAGUID in the attested credential data. */
    aaguidInNoneAttestation?: boolean;
    /** WebAuthn L3 §6.1.3 BE and BS of every new credential (synced passkeys: both true). */
    backupEligible?: boolean;
    backupState?: boolean;
  };
}

export class ProfileError extends Error {
  override name = 'ProfileError';
}

// ---------------------------------------------------------------------------------------------
// Built-in profiles

const BADGE: ProfileSpec = {
  name: 'badge',
  description: 'the badge of seed 003: 26 credential slots, PIN set on the device, ES256 and EdDSA',
  getInfo: {
    members: [
      'versions',
      'extensions',
      'aaguid',
      'options',
      'maxMsgSize',
      'pinUvAuthProtocols',
      'maxCredentialCountInList',
      'maxCredentialIdLength',
      'transports',
      'algorithms',
    ],
    versions: ['FIDO_2_0', 'FIDO_2_1', 'U2F_V2'],
    extensions: ['appid', 'credProtect', 'appidExclude'],
    aaguid: 'CDCBAD6E39C30001BAD6E00100000001',
    options: { rk: true, up: true, uv: false, plat: false, credMgmt: true, clientPin: true, pinUvAuthToken: true },
    maxMsgSize: 1200,
    pinUvAuthProtocols: [2],
    maxCredentialCountInList: 8,
    maxCredentialIdLength: 64,
    transports: ['usb'],
    algorithms: ['ES256', 'EdDSA'],
  },
  behaviour: {
    commands: [
      'authenticatorMakeCredential',
      'authenticatorGetAssertion',
      'authenticatorGetInfo',
      'authenticatorClientPIN',
      'authenticatorReset',
      'authenticatorGetNextAssertion',
      'authenticatorCredentialManagement',
      'authenticatorSelection',
    ],
    refusedCommands: ['authenticatorLargeBlobs', 'authenticatorConfig'],
    clientPinSubCommands: [
      'getPINRetries',
      'getKeyAgreement',
      'setPIN',
      'changePIN',
      'getPinToken',
      'getPinUvAuthTokenUsingPinWithPermissions',
    ],
    pinSettableOverWire: false,
    defaultPinUvAuthProtocol: 2,
    makeCredUvNotRqd: false,
    credentialSlots: 26,
    maxResidentCredentials: 26,
    ctap20Errors: true,
    ctap23: false,
    attestation: 'packed',
  },
};

const CTAP20: ProfileSpec = {
  name: 'ctap20',
  description:
    'a CTAP 2.0-only key: FIDO_2_0 and U2F_V2, PIN protocol 1, no CTAP 2.1 commands, options or getInfo members',
  getInfo: {
    members: ['versions', 'extensions', 'aaguid', 'options', 'maxMsgSize', 'pinUvAuthProtocols'],
    versions: ['U2F_V2', 'FIDO_2_0'],
    extensions: ['hmac-secret'],
    // The options CTAP 2.0 §5.4 defines, as the device computes them.
    options: { plat: null, rk: null, clientPin: null, up: null, uv: null },
    pinUvAuthProtocols: [1],
    algorithms: ['ES256', 'EdDSA', 'RS256'],
  },
  behaviour: {
    commands: [
      'authenticatorMakeCredential',
      'authenticatorGetAssertion',
      'authenticatorGetInfo',
      'authenticatorClientPIN',
      'authenticatorReset',
      'authenticatorGetNextAssertion',
    ],
    clientPinSubCommands: ['getPINRetries', 'getKeyAgreement', 'setPIN', 'changePIN', 'getPinToken'],
    makeCredUvNotRqd: false,
    ctap20Errors: true,
    ctap23: false,
    // CTAP 2.0-era keys (solo1, canokey) serve any CID but 0 and broadcast, allocated or not (also the default).
    hidChannels: 'any',
  },
};

/**
 * Passkey providers as platform authenticators (WebAuthn L3 §6.2.1 "platform attachment"): getInfo
 * option plat, transport "internal" (and "hybrid" where the provider's passkeys also serve phones),
 * built-in UV on every ceremony, every credential discoverable with a stored random ID of the
 * provider's length, attestation "none" carrying the provider's AAGUID. The AAGUIDs and names come from
 * the community list github.com/passkeydeveloper/passkey-authenticator-aaguids, aaguid.json (commit
 * 05ab14246014c51fbeb2bfe063bee3424055ce27). Synced providers set BE=1 BS=1; Windows Hello keeps its
 * keys in the TPM: BE=0 BS=0. Only Windows Hello's ID length (32) comes from a captured sample (seed
 * 001); the others are the lengths those providers are commonly seen to make.
 */
function provider(
  name: string,
  listName: string,
  aaguid: string,
  p: { synced: boolean; idLength: number; transports: string[]; algorithms: string[]; extensions: string[] },
): ProfileSpec {
  return {
    name,
    description: `${listName} (a passkey provider as a platform authenticator; AAGUID ${aaguid})`,
    getInfo: {
      members: [
        'versions',
        'extensions',
        'aaguid',
        'options',
        'maxMsgSize',
        'pinUvAuthProtocols',
        'maxCredentialCountInList',
        'maxCredentialIdLength',
        'transports',
        'algorithms',
      ],
      versions: ['FIDO_2_0', 'FIDO_2_1'],
      extensions: p.extensions,
      aaguid: aaguid.replaceAll('-', ''),
      options: { plat: true, rk: true, up: true, uv: true, pinUvAuthToken: true, credMgmt: true }, // credMgmt: the signal methods' way in
      pinUvAuthProtocols: [2],
      maxCredentialIdLength: 64,
      transports: p.transports,
      algorithms: p.algorithms,
    },
    behaviour: {
      ctap23: false,
      attestation: 'none',
      aaguidInNoneAttestation: true,
      storedCredentialIdLength: p.idLength,
      alwaysDiscoverable: true,
      alwaysBuiltInUv: true,
      backupEligible: p.synced,
      backupState: p.synced,
    },
  };
}

const SYNCED = {
  synced: true,
  transports: ['hybrid', 'internal'],
  algorithms: ['ES256'],
  extensions: ['credProtect', 'hmac-secret'],
};

export const PASSKEY_PROVIDERS: readonly ProfileSpec[] = [
  provider('windows-hello', 'Windows Hello', '08987058-cadc-4b81-b6e1-30de50dcbe96', {
    synced: false,
    idLength: 32,
    transports: ['internal'],
    algorithms: ['ES256', 'RS256'],
    extensions: ['credProtect', 'hmac-secret'],
  }),
  provider('icloud-keychain', 'iCloud Keychain', 'fbfc3007-154e-4ecc-8c0b-6e020557d7bd', { ...SYNCED, idLength: 20 }),
  provider('google-password-manager', 'Google Password Manager', 'ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4', {
    ...SYNCED,
    idLength: 16,
  }),
  provider('1password', '1Password', 'bada5566-a7aa-401f-bd96-45619a55120d', { ...SYNCED, idLength: 32 }),
  provider('bitwarden', 'Bitwarden', 'd548826e-79b4-db40-a3d8-11116f7e8349', { ...SYNCED, idLength: 16 }),
  provider('dashlane', 'Dashlane', '531126d6-e717-415c-9320-3d9aa6981239', { ...SYNCED, idLength: 16 }),
  provider('keeper', 'Keeper', '0ea242b4-43c4-4a1b-8b17-dd6d0b6baec6', { ...SYNCED, idLength: 32 }),
  provider('samsung-pass', 'Samsung Pass', '53414d53-554e-4700-0000-000000000000', { ...SYNCED, idLength: 32 }),
  provider('proton-pass', 'Proton Pass', '50726f74-6f6e-5061-7373-50726f746f6e', { ...SYNCED, idLength: 32 }),
];

export const BUILT_IN_PROFILES: ReadonlyMap<string, ProfileSpec> = new Map([
  ['default', { name: 'default', description: 'everything softkey does' }],
  ['badge', BADGE],
  ['ctap20', CTAP20],
  ...PASSKEY_PROVIDERS.map((p) => [p.name!, p] as const),
]);

// ---------------------------------------------------------------------------------------------
// Resolution

/**
 * The config a profile stands for: a built-in name, a JSON file's text (read by the caller:
 * main/profiles.ts; the authenticator does no I/O), or a spec. Throws ProfileError with a message
 * naming the file and the member at fault.
 */
export function profileConfig(
  profile: string | ProfileSpec,
  readFile?: (path: string) => string,
): Partial<AuthenticatorConfig> {
  return configOfSpec(
    typeof profile === 'string' ? loadProfile(profile, readFile) : validateProfile(profile, 'profile'),
  );
}

/** A built-in profile's spec, or a JSON file's (its text from `readFile`), validated. */
export function loadProfile(nameOrFile: string, readFile?: (path: string) => string): ProfileSpec {
  const builtIn = BUILT_IN_PROFILES.get(nameOrFile);
  if (builtIn) return builtIn;
  if (!nameOrFile.endsWith('.json') || !readFile) {
    throw new ProfileError(
      `unknown profile "${nameOrFile}": use one of ${[...BUILT_IN_PROFILES.keys()].join(', ')} or a profile's .json file`,
    );
  }
  let text: string;
  try {
    text = readFile(nameOrFile);
  } catch (e) {
    throw new ProfileError(
      `profile ${nameOrFile}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ProfileError(`profile ${nameOrFile}: not JSON (${(e as Error).message})`);
  }
  const spec = validateProfile(json, `profile ${nameOrFile}`);
  return { ...spec, name: spec.name ?? nameOrFile.replace(/^.*[\\/]/, '').replace(/\.json$/, '') };
}

function configOfSpec(spec: ProfileSpec): Partial<AuthenticatorConfig> {
  const base = spec.base ?? 'default';
  const inherited = spec === BUILT_IN_PROFILES.get('default') ? {} : configOfSpec(BUILT_IN_PROFILES.get(base)!);
  const c: Partial<AuthenticatorConfig> = { ...inherited, profile: spec.name ?? base };
  const g = spec.getInfo ?? {};
  const b = spec.behaviour ?? {};
  if (g.members) c.getInfoMembers = [...g.members];
  if (g.versions) c.versions = [...g.versions];
  if (g.extensions) c.extensions = [...g.extensions];
  if (g.aaguid) c.aaguid = fromHex(g.aaguid.toLowerCase());
  if (g.options) c.getInfoOptions = { ...g.options };
  if (g.maxMsgSize !== undefined) c.maxMsgSize = g.maxMsgSize;
  if (g.pinUvAuthProtocols) c.pinUvAuthProtocols = [...g.pinUvAuthProtocols];
  if (g.maxCredentialCountInList !== undefined) c.maxCredentialCountInList = g.maxCredentialCountInList;
  if (g.maxCredentialIdLength !== undefined) c.maxCredentialIdLength = g.maxCredentialIdLength;
  if (g.transports) c.transports = [...g.transports];
  if (g.algorithms) c.algorithms = g.algorithms.map((a) => CoseAlg[a as AlgName]);
  if (g.firmwareVersion !== undefined) c.firmwareVersion = g.firmwareVersion;
  if (b.commands) c.commands = b.commands.map((n) => Command[n as keyof typeof Command]);
  if (b.refusedCommands) c.refusedCommands = b.refusedCommands.map((n) => Command[n as keyof typeof Command]);
  if (b.clientPinSubCommands)
    c.clientPinSubCommands = b.clientPinSubCommands.map(
      (n) => ClientPinSubCommand[n as keyof typeof ClientPinSubCommand],
    );
  if (b.pinSettableOverWire !== undefined) c.pinSettableOverWire = b.pinSettableOverWire;
  if (b.defaultPinUvAuthProtocol !== undefined) c.defaultPinUvAuthProtocol = b.defaultPinUvAuthProtocol;
  if (b.makeCredUvNotRqd !== undefined) c.makeCredUvNotRqd = b.makeCredUvNotRqd;
  if (b.credentialSlots === null) delete c.credentialSlots;
  else if (b.credentialSlots !== undefined) c.credentialSlots = b.credentialSlots;
  if (b.maxResidentCredentials !== undefined) c.maxResidentCredentials = b.maxResidentCredentials;
  if (b.ctap20Errors !== undefined) c.ctap20 = b.ctap20Errors;
  if (b.ctap23 !== undefined) c.ctap23 = b.ctap23;
  if (b.hidChannels !== undefined) c.hidChannels = b.hidChannels;
  if (b.attestation !== undefined) c.attestation = b.attestation;
  if (b.storedCredentialIdLength !== undefined) c.storedCredentialIdLength = b.storedCredentialIdLength;
  if (b.alwaysDiscoverable !== undefined) c.alwaysDiscoverable = b.alwaysDiscoverable;
  if (b.alwaysBuiltInUv !== undefined) c.alwaysBuiltInUv = b.alwaysBuiltInUv;
  if (b.aaguidInNoneAttestation !== undefined) c.aaguidInNoneAttestation = b.aaguidInNoneAttestation;
  if (b.backupEligible !== undefined) c.backupEligible = b.backupEligible;
  if (b.backupState !== undefined) c.backupState = b.backupState;
  return c;
}

// ---------------------------------------------------------------------------------------------
// Validation: every mistake named with its place in the file

type AlgName = 'ES256' | 'ES384' | 'ES512' | 'EdDSA' | 'RS256';
const ALG_NAMES: readonly AlgName[] = ['ES256', 'ES384', 'ES512', 'EdDSA', 'RS256'];
const COMMAND_NAMES = Object.keys(Command);
const SUBCOMMAND_NAMES = Object.keys(ClientPinSubCommand);
const MEMBER_NAMES = Object.keys(GetInfoKey);
const TOP_KEYS = ['$schema', 'name', 'description', 'base', 'getInfo', 'behaviour'];
const GET_INFO_KEYS = [
  'members',
  'versions',
  'extensions',
  'aaguid',
  'options',
  'maxMsgSize',
  'pinUvAuthProtocols',
  'maxCredentialCountInList',
  'maxCredentialIdLength',
  'transports',
  'algorithms',
  'firmwareVersion',
];
const BEHAVIOUR_KEYS = [
  'commands',
  'refusedCommands',
  'clientPinSubCommands',
  'pinSettableOverWire',
  'defaultPinUvAuthProtocol',
  'makeCredUvNotRqd',
  'credentialSlots',
  'maxResidentCredentials',
  'ctap20Errors',
  'ctap23',
  'hidChannels',
  'attestation',
  'storedCredentialIdLength',
  'alwaysDiscoverable',
  'alwaysBuiltInUv',
  'aaguidInNoneAttestation',
  'backupEligible',
  'backupState',
];

/** Checks a parsed JSON value against the ProfileSpec schema; `where` starts each message. */
export function validateProfile(value: unknown, where: string): ProfileSpec {
  const fail = (path: string, why: string): never => {
    throw new ProfileError(`${where}: ${path} ${why}`);
  };
  const show = (v: unknown) => JSON.stringify(v) ?? String(v);
  const object = (v: unknown, path: string, known: readonly string[]): Record<string, unknown> => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(path, `must be an object, got ${show(v)}`);
    for (const k of Object.keys(v))
      if (!known.includes(k))
        fail(path === '(top level)' ? k : `${path}.${k}`, `is not a profile key (known: ${known.join(', ')})`);
    return v as Record<string, unknown>;
  };
  const str = (v: unknown, path: string) =>
    typeof v === 'string' && v.length > 0 ? v : fail(path, `must be a non-empty string, got ${show(v)}`);
  const bool = (v: unknown, path: string) =>
    typeof v === 'boolean' ? v : fail(path, `must be true or false, got ${show(v)}`);
  const int = (v: unknown, path: string, min: number, max = 0xffffffff) =>
    Number.isInteger(v) && (v as number) >= min && (v as number) <= max
      ? (v as number)
      : fail(path, `must be a whole number from ${min} to ${max}, got ${show(v)}`);
  const list = <T>(v: unknown, path: string, item: (x: unknown, p: string) => T): T[] => {
    if (!Array.isArray(v)) return fail(path, `must be a list, got ${show(v)}`);
    const out = v.map((x, i) => item(x, `${path}[${i}]`));
    if (new Set(out).size !== out.length) fail(path, 'lists something twice');
    return out;
  };
  const oneOf =
    <T extends string>(names: readonly T[]) =>
    (v: unknown, path: string): T =>
      typeof v === 'string' && (names as readonly string[]).includes(v)
        ? (v as T)
        : fail(path, `must be one of ${names.join(', ')}; got ${show(v)}`);

  const top = object(value, '(top level)', TOP_KEYS);
  const spec: ProfileSpec = {};
  if (top.name !== undefined) spec.name = str(top.name, 'name');
  if (top.description !== undefined) spec.description = str(top.description, 'description');
  if (top.base !== undefined) spec.base = oneOf([...BUILT_IN_PROFILES.keys()])(top.base, 'base');
  if (top.getInfo !== undefined) {
    const g = object(top.getInfo, 'getInfo', GET_INFO_KEYS);
    const out: NonNullable<ProfileSpec['getInfo']> = {};
    if (g.members !== undefined) out.members = list(g.members, 'getInfo.members', oneOf(MEMBER_NAMES));
    if (g.versions !== undefined) out.versions = list(g.versions, 'getInfo.versions', str);
    if (g.extensions !== undefined) out.extensions = list(g.extensions, 'getInfo.extensions', str);
    if (g.aaguid !== undefined)
      out.aaguid =
        typeof g.aaguid === 'string' && /^[0-9a-fA-F]{32}$/.test(g.aaguid)
          ? g.aaguid
          : fail('getInfo.aaguid', `must be 32 hex digits (16 bytes), got ${show(g.aaguid)}`);
    if (g.options !== undefined) {
      const o = g.options;
      if (typeof o !== 'object' || o === null || Array.isArray(o))
        fail('getInfo.options', `must be an object of option IDs, got ${show(o)}`);
      out.options = {};
      for (const [id, v] of Object.entries(o as object)) {
        if (v !== null && typeof v !== 'boolean')
          fail(`getInfo.options.${id}`, `must be true, false or null (as the device computes it), got ${show(v)}`);
        out.options[id] = v as boolean | null;
      }
    }
    if (g.maxMsgSize !== undefined) out.maxMsgSize = int(g.maxMsgSize, 'getInfo.maxMsgSize', 1024, 65535);
    if (g.pinUvAuthProtocols !== undefined)
      out.pinUvAuthProtocols = list(g.pinUvAuthProtocols, 'getInfo.pinUvAuthProtocols', (x, p) => int(x, p, 1, 2));
    if (g.maxCredentialCountInList !== undefined)
      out.maxCredentialCountInList = int(g.maxCredentialCountInList, 'getInfo.maxCredentialCountInList', 1);
    if (g.maxCredentialIdLength !== undefined)
      out.maxCredentialIdLength = int(g.maxCredentialIdLength, 'getInfo.maxCredentialIdLength', 64);
    if (g.transports !== undefined) out.transports = list(g.transports, 'getInfo.transports', str);
    if (g.algorithms !== undefined) {
      out.algorithms = list(g.algorithms, 'getInfo.algorithms', oneOf(ALG_NAMES));
      if (out.algorithms.length === 0) fail('getInfo.algorithms', 'must name at least one algorithm');
    }
    if (g.firmwareVersion !== undefined) out.firmwareVersion = int(g.firmwareVersion, 'getInfo.firmwareVersion', 0);
    spec.getInfo = out;
  }
  if (top.behaviour !== undefined) {
    const b = object(top.behaviour, 'behaviour', BEHAVIOUR_KEYS);
    const out: NonNullable<ProfileSpec['behaviour']> = {};
    if (b.commands !== undefined) out.commands = list(b.commands, 'behaviour.commands', oneOf(COMMAND_NAMES));
    if (b.refusedCommands !== undefined)
      out.refusedCommands = list(b.refusedCommands, 'behaviour.refusedCommands', oneOf(COMMAND_NAMES));
    if (b.clientPinSubCommands !== undefined)
      out.clientPinSubCommands = list(
        b.clientPinSubCommands,
        'behaviour.clientPinSubCommands',
        oneOf(SUBCOMMAND_NAMES),
      );
    if (b.pinSettableOverWire !== undefined)
      out.pinSettableOverWire = bool(b.pinSettableOverWire, 'behaviour.pinSettableOverWire');
    if (b.defaultPinUvAuthProtocol !== undefined)
      out.defaultPinUvAuthProtocol = int(b.defaultPinUvAuthProtocol, 'behaviour.defaultPinUvAuthProtocol', 1, 2);
    if (b.makeCredUvNotRqd !== undefined) out.makeCredUvNotRqd = bool(b.makeCredUvNotRqd, 'behaviour.makeCredUvNotRqd');
    if (b.credentialSlots !== undefined)
      out.credentialSlots =
        b.credentialSlots === null ? null : int(b.credentialSlots, 'behaviour.credentialSlots', 1, 100_000);
    if (b.maxResidentCredentials !== undefined)
      out.maxResidentCredentials = int(b.maxResidentCredentials, 'behaviour.maxResidentCredentials', 0);
    if (b.ctap20Errors !== undefined) out.ctap20Errors = bool(b.ctap20Errors, 'behaviour.ctap20Errors');
    if (b.ctap23 !== undefined) out.ctap23 = bool(b.ctap23, 'behaviour.ctap23');
    if (b.hidChannels !== undefined)
      out.hidChannels = oneOf(['allocated', 'any'] as const)(b.hidChannels, 'behaviour.hidChannels');
    if (b.attestation !== undefined)
      out.attestation = oneOf(ATTESTATION_FORMATS)(b.attestation, 'behaviour.attestation');
    if (b.storedCredentialIdLength !== undefined)
      out.storedCredentialIdLength = int(b.storedCredentialIdLength, 'behaviour.storedCredentialIdLength', 16, 32);
    for (const k of [
      'alwaysDiscoverable',
      'alwaysBuiltInUv',
      'aaguidInNoneAttestation',
      'backupEligible',
      'backupState',
    ] as const) {
      if (b[k] !== undefined) out[k] = bool(b[k], `behaviour.${k}`);
    }
    if (out.backupState === true && out.backupEligible !== true)
      fail('behaviour.backupState', 'needs behaviour.backupEligible true (WebAuthn L3 §6.1.3: BS=1 only with BE=1)');
    const both = (out.commands ?? []).filter((c) => out.refusedCommands?.includes(c));
    if (both.length > 0)
      fail('behaviour.refusedCommands', `names ${both.join(', ')}, which behaviour.commands answers`);
    spec.behaviour = out;
  }
  // The protocol assumed for a request naming none must be one the profile offers (its own or its base's).
  const base = BUILT_IN_PROFILES.get(spec.base ?? 'default');
  const protocols = spec.getInfo?.pinUvAuthProtocols ?? base?.getInfo?.pinUvAuthProtocols ?? [2, 1];
  const assumed = spec.behaviour?.defaultPinUvAuthProtocol ?? base?.behaviour?.defaultPinUvAuthProtocol;
  if (assumed !== undefined && !protocols.includes(assumed))
    fail('behaviour.defaultPinUvAuthProtocol', `${assumed} is not in getInfo.pinUvAuthProtocols ${show(protocols)}`);
  return spec;
}
