/**
 * The WebAuthn WebDriver extension (WebAuthn Level 3 §11 "WebAuthn WebDriver Extension") served by
 * softkey for one WebDriver session: a Virtual Authenticator Database (§11.3) whose every virtual
 * authenticator is a softkey key, and the extension commands over it:
 *
 *   §11.4  POST   /session/{id}/webauthn/authenticator                                 Add Virtual Authenticator
 *   §11.5  DELETE /session/{id}/webauthn/authenticator/{authenticatorId}               Remove Virtual Authenticator
 *   §11.6  POST   /session/{id}/webauthn/authenticator/{authenticatorId}/credential    Add Credential
 *   §11.7  GET    /session/{id}/webauthn/authenticator/{authenticatorId}/credentials   Get Credentials
 *   §11.8  DELETE …/{authenticatorId}/credentials/{credentialId}                       Remove Credential
 *   §11.9  DELETE …/{authenticatorId}/credentials                                      Remove All Credentials
 *   §11.10 POST   …/{authenticatorId}/uv                                                Set User Verified
 *   §11.11 POST   …/{authenticatorId}/credentials/{credentialId}/props                 Set Credential Properties
 *
 * Authenticator Configuration (§11.3) → softkey: protocol "ctap2" a CTAP 2.0 key, "ctap2_1" a CTAP 2.1
 * key ("ctap1/u2f": unsupported operation, softkey's WebAuthn client speaks CTAP2 only); transport the
 * key's getInfo transports ("internal": a platform authenticator, getInfo plat); hasResidentKey getInfo
 * rk; hasUserVerification a built-in UV method; isUserVerified its result (match / no match);
 * isUserConsenting presence "auto" or "deny"; extensions the key's CTAP extensions (others off);
 * defaultBackupEligibility/State the key's backup defaults. Errors are the spec's WebDriver errors:
 * "invalid argument" for a parameter outside its valid values or an unknown authenticator/credential,
 * "unsupported operation" for what softkey cannot honour.
 *
 * The pages of the session reach these keys through the page shim and the bridge (session.ts):
 * `router` is the BridgeClient that picks the virtual authenticator of each ceremony.
 */
import { encode as b64uEncode, decode as b64uDecode } from '../encoding/base64url.js';
import { WebAuthnError, type AuthenticatorSelectionCriteria } from '../client/index.js';
import type { BridgeClient } from './session.js';

/** A WebDriver error (W3C WebDriver §6.6): its code and HTTP status. */
export class WebDriverError extends Error {
  override name = 'WebDriverError';
  constructor(
    readonly error:
      | 'invalid argument'
      | 'unsupported operation'
      | 'invalid session id'
      | 'unknown command'
      | 'session not created'
      | 'unknown error',
    message: string,
  ) {
    super(message);
  }

  get status(): number {
    return this.error === 'invalid argument'
      ? 400
      : this.error === 'invalid session id' || this.error === 'unknown command'
        ? 404
        : 500;
  }
}

/** §11.3 protocol values, and what softkey can be. */
export const PROTOCOLS = ['ctap1/u2f', 'ctap2', 'ctap2_1'] as const;
/** §5.8.4 AuthenticatorTransport values (the valid values of "transport"). */
export const TRANSPORTS = ['usb', 'nfc', 'ble', 'smart-card', 'hybrid', 'internal'] as const;
/**
 * WebAuthn extension identifiers a virtual authenticator may list (§11.3 "extensions"), with the CTAP
 * extensions (CTAP 2.1 §12) that carry each. "uvm" is not among them: softkey has no UVM.
 */
export const EXTENSIONS: Readonly<Record<string, readonly string[]>> = {
  credBlob: ['credBlob'],
  largeBlob: ['largeBlobKey'],
  prf: ['hmac-secret', 'hmac-secret-mc'],
  'hmac-secret': ['hmac-secret'],
  minPinLength: ['minPinLength'],
  credProtect: ['credProtect'],
};

/** What a virtual authenticator is made of: the key's device settings (the rest is set through `control`). */
export interface VirtualKeySpec {
  protocol: 'ctap2' | 'ctap2_1';
  transport: string;
  hasResidentKey: boolean;
  /** CTAP extension identifiers the key offers (credProtect always, as CTAP 2.1 keys do). */
  ctapExtensions: string[];
}

/** A credential as the control API shows it (src/control/controller.ts CredentialInfo). */
export interface KeyCredential {
  credentialId: string;
  rpId: string;
  userId: string;
  userName?: string;
  userDisplayName?: string;
  signCount: number;
  backupEligible: boolean;
  backupState: boolean;
  resident: boolean;
  privateKey?: { pkcs8: string };
}

/** The part of a key's control API (src/control/controller.ts Controller) the extension uses. */
export interface VirtualKeyControl {
  addCredential(input: {
    rpId: string;
    resident: boolean;
    userId?: string;
    userName?: string;
    userDisplayName?: string;
    privateKey: { pkcs8: string };
    signCount: number;
    credentialId: string;
    backupEligible?: boolean;
    backupState?: boolean;
  }): { credentialId: string };
  credentials(options: { privateKeys: true }): KeyCredential[];
  credential(credentialId: string, rpId?: string): KeyCredential;
  removeCredential(credentialId: string): unknown;
  setCredential(credentialId: string, input: { backupEligible?: boolean; backupState?: boolean }): unknown;
  setUv(input: { available?: boolean; result?: 'match' | 'nomatch' }): unknown;
  setPresence(input: { mode: 'auto' | 'deny' }): unknown;
  setBackupDefaults(input: { backupEligible?: boolean; backupState?: boolean }): unknown;
  on(
    type: 'credentialAdded',
    listener: (e: { credentialId: string; rpId?: string; resident: boolean }) => void,
  ): unknown;
}

/** One softkey key behind a virtual authenticator. */
export interface VirtualKey {
  readonly client: BridgeClient;
  readonly control: VirtualKeyControl;
  close(): Promise<void>;
}

/** Opens a fresh in-memory key for a virtual authenticator (the composition root's openSoftKey). */
export type OpenVirtualKey = (spec: VirtualKeySpec) => Promise<VirtualKey>;

/** §11.3 Virtual Authenticator: its configuration and its key. */
interface VirtualAuthenticator {
  id: string;
  protocol: string;
  transport: string;
  hasResidentKey: boolean;
  hasUserVerification: boolean;
  isUserConsenting: boolean;
  isUserVerified: boolean;
  extensions: string[];
  defaultBackupEligibility: boolean;
  defaultBackupState: boolean;
  key: VirtualKey;
  /** Non-discoverable credentials (stored nowhere by softkey): credential ID → RP ID. */
  serverSide: Map<string, string>;
  /** Non-discoverable credentials removed (§11.8): their IDs are no longer offered to the key. */
  removed: Set<string>;
}

type Json = Record<string, unknown>;

/** §11.3 Authenticator Configuration: each key's check of valid values, and its default. */
const CONFIGURATION: Record<string, { valid: (v: unknown) => boolean; fallback?: unknown }> = {
  protocol: { valid: (v) => (PROTOCOLS as readonly unknown[]).includes(v) },
  transport: { valid: (v) => (TRANSPORTS as readonly unknown[]).includes(v) },
  hasResidentKey: { valid: (v) => typeof v === 'boolean', fallback: false },
  hasUserVerification: { valid: (v) => typeof v === 'boolean', fallback: false },
  isUserConsenting: { valid: (v) => typeof v === 'boolean', fallback: true },
  isUserVerified: { valid: (v) => typeof v === 'boolean', fallback: false },
  extensions: { valid: (v) => Array.isArray(v) && v.every((e) => typeof e === 'string'), fallback: [] },
  uvm: { valid: (v) => Array.isArray(v), fallback: [] },
  defaultBackupEligibility: { valid: (v) => typeof v === 'boolean', fallback: false },
  defaultBackupState: { valid: (v) => typeof v === 'boolean', fallback: false },
};

const invalid = (message: string) => new WebDriverError('invalid argument', message);
const NO_AUTHENTICATOR = 'no virtual authenticator in this WebDriver session (Add Virtual Authenticator first)';

function object(parameters: unknown): Json {
  if (typeof parameters !== 'object' || parameters === null || Array.isArray(parameters)) {
    throw invalid('the parameters must be a JSON object');
  }
  return parameters as Json;
}

function base64url(value: unknown, name: string): string {
  if (typeof value !== 'string') throw invalid(`${name} must be a base64url string`);
  try {
    return b64uEncode(b64uDecode(value));
  } catch {
    throw invalid(`${name} is not base64url`);
  }
}

/** A control API error (ControlError: a bad value, an unknown credential) as "invalid argument". */
function fromControl<T>(run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof Error && e.name === 'ControlError') throw invalid(`softkey: ${e.message}`);
    throw e;
  }
}

/** The Virtual Authenticator Database of one WebDriver session (§11.3), and the §11 commands on it. */
export class VirtualAuthenticators {
  private readonly all = new Map<string, VirtualAuthenticator>();
  private next = 1;

  constructor(private readonly openKey: OpenVirtualKey) {}

  /** The authenticator IDs, oldest first. */
  ids(): string[] {
    return [...this.all.keys()];
  }

  /**
   * Runs one extension command: `path` is what follows /session/{id}/webauthn. Resolves to the
   * command's value (null for "success with data null"); rejects with a WebDriverError.
   */
  async command(method: string, path: string, parameters: unknown): Promise<unknown> {
    const parts = path
      .split('/')
      .filter((p) => p !== '')
      .map(decodeURIComponent);
    if (parts[0] !== 'authenticator')
      throw new WebDriverError('unknown command', `no WebAuthn extension command at ${path}`);
    if (parts.length === 1 && method === 'POST') return this.addVirtualAuthenticator(parameters);
    const authenticator = parts[1] === undefined ? undefined : this.all.get(parts[1]);
    const shape = `${method} ${parts
      .slice(2)
      .map((p, i) => (i === 1 ? '*' : p))
      .join('/')}`;
    const known = [
      'DELETE ',
      'POST credential',
      'GET credentials',
      'DELETE credentials',
      'DELETE credentials/*',
      'POST uv',
      'POST credentials/*/props',
    ];
    if (parts.length < 2 || !known.includes(shape)) {
      throw new WebDriverError('unknown command', `no WebAuthn extension command ${method} ${path}`);
    }
    if (!authenticator) throw invalid(`no virtual authenticator with the ID ${JSON.stringify(parts[1])}`);
    switch (shape) {
      case 'DELETE ':
        return this.removeVirtualAuthenticator(authenticator);
      case 'POST credential':
        return this.addCredential(authenticator, parameters);
      case 'GET credentials':
        return this.getCredentials(authenticator);
      case 'DELETE credentials':
        return this.removeAllCredentials(authenticator);
      case 'DELETE credentials/*':
        return this.removeCredential(authenticator, parts[3]!);
      case 'POST uv':
        return this.setUserVerified(authenticator, parameters);
      default:
        return this.setCredentialProperties(authenticator, parts[3]!, parameters);
    }
  }

  /** §11.4 Add Virtual Authenticator. */
  async addVirtualAuthenticator(parameters: unknown): Promise<string> {
    const given = object(parameters);
    const config: Json = {};
    for (const [key, value] of Object.entries(given)) {
      const entry = CONFIGURATION[key];
      if (!entry) throw invalid(`${key} is not an Authenticator Configuration property (WebAuthn L3 §11.3)`);
      if (!entry.valid(value)) throw invalid(`${key} has no valid value ${JSON.stringify(value)}`);
      config[key] = value;
    }
    for (const [key, entry] of Object.entries(CONFIGURATION)) {
      if (config[key] === undefined && entry.fallback !== undefined) config[key] = entry.fallback;
      if (config[key] === undefined) throw invalid(`${key} is required`);
    }
    const extensions = config.extensions as string[];
    for (const e of extensions) {
      if (!(e in EXTENSIONS)) {
        throw new WebDriverError(
          'unsupported operation',
          `softkey does not support the extension ${JSON.stringify(e)}`,
        );
      }
    }
    if (config.protocol === 'ctap1/u2f') {
      const why = "softkey's WebAuthn client speaks CTAP2 to its keys: protocol ctap1/u2f is not offered";
      throw new WebDriverError('unsupported operation', why);
    }
    if ((config.uvm as unknown[]).length > 0) {
      throw new WebDriverError('unsupported operation', 'softkey has no user verification method entries (uvm)');
    }
    if (config.defaultBackupState === true && config.defaultBackupEligibility !== true) {
      throw invalid('defaultBackupState true needs defaultBackupEligibility true (WebAuthn L3 §6.1.3)');
    }
    const ctapExtensions = [...new Set(['credProtect', ...extensions.flatMap((e) => EXTENSIONS[e]!)])];
    const key = await this.openKey({
      protocol: config.protocol as 'ctap2' | 'ctap2_1',
      transport: config.transport as string,
      hasResidentKey: config.hasResidentKey as boolean,
      ctapExtensions,
    });
    const authenticator: VirtualAuthenticator = {
      id: `softkey-${this.next++}`,
      protocol: config.protocol as string,
      transport: config.transport as string,
      hasResidentKey: config.hasResidentKey as boolean,
      hasUserVerification: config.hasUserVerification as boolean,
      isUserConsenting: config.isUserConsenting as boolean,
      isUserVerified: config.isUserVerified as boolean,
      extensions,
      defaultBackupEligibility: config.defaultBackupEligibility as boolean,
      defaultBackupState: config.defaultBackupState as boolean,
      key,
      serverSide: new Map(),
      removed: new Set(),
    };
    const control = key.control;
    control.setPresence({ mode: authenticator.isUserConsenting ? 'auto' : 'deny' });
    control.setUv({
      available: authenticator.hasUserVerification,
      result: authenticator.isUserVerified ? 'match' : 'nomatch',
    });
    control.setBackupDefaults({
      backupEligible: authenticator.defaultBackupEligibility,
      backupState: authenticator.defaultBackupState,
    });
    control.on('credentialAdded', (e) => {
      if (!e.resident && e.rpId !== undefined) authenticator.serverSide.set(e.credentialId, e.rpId);
      authenticator.removed.delete(e.credentialId);
    });
    this.all.set(authenticator.id, authenticator);
    return authenticator.id;
  }

  /** §11.5 Remove Virtual Authenticator. */
  async removeVirtualAuthenticator(authenticator: VirtualAuthenticator): Promise<null> {
    this.all.delete(authenticator.id);
    await authenticator.key.close();
    return null;
  }

  /** §11.6 Add Credential. */
  addCredential(authenticator: VirtualAuthenticator, parameters: unknown): null {
    const p = object(parameters);
    const credentialId = base64url(p.credentialId, 'credentialId');
    if (typeof p.isResidentCredential !== 'boolean') throw invalid('isResidentCredential must be true or false');
    if (typeof p.rpId !== 'string' || p.rpId === '') throw invalid('rpId must be a string');
    const privateKey = base64url(p.privateKey, 'privateKey');
    const userHandle =
      p.userHandle === undefined || p.userHandle === null ? undefined : base64url(p.userHandle, 'userHandle');
    if (p.isResidentCredential && userHandle === undefined) throw invalid('a resident credential needs a userHandle');
    if (!(Number.isInteger(p.signCount) && (p.signCount as number) >= 0))
      throw invalid('signCount must be a whole number ≥ 0');
    for (const k of ['backupEligibility', 'backupState'] as const) {
      if (p[k] !== undefined && typeof p[k] !== 'boolean') throw invalid(`${k} must be true or false`);
    }
    for (const k of ['userName', 'userDisplayName'] as const) {
      if (p[k] !== undefined && typeof p[k] !== 'string') throw invalid(`${k} must be a string`);
    }
    if (p.isResidentCredential && !authenticator.hasResidentKey) {
      throw invalid('this virtual authenticator has no resident keys (hasResidentKey false)');
    }
    if (p.largeBlob !== undefined && p.largeBlob !== null) {
      base64url(p.largeBlob, 'largeBlob');
      if (!authenticator.extensions.includes('largeBlob')) {
        throw invalid('this virtual authenticator does not support the largeBlob extension');
      }
      throw new WebDriverError('unsupported operation', 'softkey cannot seed a large blob through Add Credential yet');
    }
    const be = p.backupEligibility as boolean | undefined;
    const bs = p.backupState as boolean | undefined;
    fromControl(() =>
      authenticator.key.control.addCredential({
        rpId: p.rpId as string,
        resident: p.isResidentCredential as boolean,
        ...(userHandle !== undefined && { userId: userHandle }),
        ...(typeof p.userName === 'string' && { userName: p.userName }),
        ...(typeof p.userDisplayName === 'string' && { userDisplayName: p.userDisplayName }),
        privateKey: { pkcs8: privateKey },
        signCount: p.signCount as number,
        credentialId,
        ...(be !== undefined && { backupEligible: be }),
        ...(bs !== undefined && { backupState: bs }),
      }),
    );
    if (!p.isResidentCredential) authenticator.serverSide.set(credentialId, p.rpId);
    authenticator.removed.delete(credentialId);
    return null;
  }

  /** The credentials of an authenticator: the key's discoverable ones and the server-side ones it made. */
  private credentialsOf(authenticator: VirtualAuthenticator): KeyCredential[] {
    const control = authenticator.key.control;
    const out = control.credentials({ privateKeys: true });
    for (const [id, rpId] of authenticator.serverSide) {
      if (authenticator.removed.has(id) || out.some((c) => c.credentialId === id)) continue;
      out.push(fromControl(() => control.credential(id, rpId)));
    }
    return out;
  }

  /** §11.7 Get Credentials: each credential's Credential Parameters (§11.6). */
  getCredentials(authenticator: VirtualAuthenticator): Json[] {
    return this.credentialsOf(authenticator).map((c) => ({
      credentialId: c.credentialId,
      isResidentCredential: c.resident,
      rpId: c.rpId,
      privateKey: c.privateKey?.pkcs8 ?? '',
      ...(c.resident && { userHandle: c.userId }),
      signCount: c.signCount,
      backupEligibility: c.backupEligible,
      backupState: c.backupState,
      userName: c.userName ?? '',
      userDisplayName: c.userDisplayName ?? '',
    }));
  }

  /** §11.8 Remove Credential. */
  removeCredential(authenticator: VirtualAuthenticator, credentialId: string): null {
    const id = base64url(credentialId, 'credentialId');
    const found = this.credentialsOf(authenticator).find((c) => c.credentialId === id);
    if (!found) throw invalid(`no credential with the ID ${id} on ${authenticator.id}`);
    if (found.resident) fromControl(() => authenticator.key.control.removeCredential(id));
    else {
      authenticator.serverSide.delete(id);
      authenticator.removed.add(id);
    }
    return null;
  }

  /** §11.9 Remove All Credentials. */
  removeAllCredentials(authenticator: VirtualAuthenticator): null {
    for (const c of this.credentialsOf(authenticator)) this.removeCredential(authenticator, c.credentialId);
    return null;
  }

  /** §11.10 Set User Verified. */
  setUserVerified(authenticator: VirtualAuthenticator, parameters: unknown): null {
    const p = object(parameters);
    if (typeof p.isUserVerified !== 'boolean') throw invalid('isUserVerified must be true or false');
    authenticator.isUserVerified = p.isUserVerified;
    authenticator.key.control.setUv({ result: p.isUserVerified ? 'match' : 'nomatch' });
    return null;
  }

  /** §11.11 Set Credential Properties. */
  setCredentialProperties(authenticator: VirtualAuthenticator, credentialId: string, parameters: unknown): null {
    const p = object(parameters);
    const id = base64url(credentialId, 'credentialId');
    for (const k of ['backupEligibility', 'backupState'] as const) {
      if (p[k] !== undefined && typeof p[k] !== 'boolean') throw invalid(`${k} must be true or false`);
    }
    if (!this.credentialsOf(authenticator).some((c) => c.credentialId === id)) {
      throw invalid(`no credential with the ID ${id} on ${authenticator.id}`);
    }
    fromControl(() =>
      authenticator.key.control.setCredential(id, {
        ...(p.backupEligibility !== undefined && { backupEligible: p.backupEligibility as boolean }),
        ...(p.backupState !== undefined && { backupState: p.backupState as boolean }),
      }),
    );
    return null;
  }

  /**
   * The BridgeClient of the session's pages: each ceremony goes to one virtual authenticator, as a
   * browser with several would pick (WebAuthn L3 §5.1.3 step 20, §5.1.4.1 step 18): create() the
   * first whose configuration fits authenticatorSelection; get() the first holding an allowed
   * credential, else (discoverable) the first with a resident credential for the RP, else the first.
   * Removed non-discoverable credential IDs are not offered to the key. None: NotAllowedError.
   */
  readonly router: BridgeClient = {
    create: async (options, ctx) => {
      // The page's options, before the client checks them: read only what the routing needs, as unknowns.
      const o: {
        authenticatorSelection?: { [K in keyof AuthenticatorSelectionCriteria]?: unknown };
        excludeCredentials?: Array<{ id?: unknown }>;
      } = options ?? {};
      const sel = o.authenticatorSelection ?? {};
      const rk = sel.residentKey === 'required' || (sel.residentKey === undefined && sel.requireResidentKey === true);
      const list = [...this.all.values()];
      const fits = (a: VirtualAuthenticator) =>
        (!rk || a.hasResidentKey) &&
        (sel.userVerification !== 'required' || a.hasUserVerification) &&
        (sel.authenticatorAttachment !== 'platform' || a.transport === 'internal') &&
        (sel.authenticatorAttachment !== 'cross-platform' || a.transport !== 'internal');
      const chosen = list.find(fits) ?? list[0];
      if (!chosen) {
        throw new WebAuthnError('NotAllowedError', NO_AUTHENTICATOR);
      }
      const exclude = o.excludeCredentials?.filter((d) => !(typeof d.id === 'string' && chosen.removed.has(d.id)));
      return chosen.key.client.create({ ...o, ...(exclude && { excludeCredentials: exclude }) } as never, ctx);
    },
    get: async (options, ctx) => {
      const o = (options ?? {}) as { rpId?: unknown; allowCredentials?: Array<{ id?: unknown }> };
      const list = [...this.all.values()];
      if (list.length === 0) {
        throw new WebAuthnError('NotAllowedError', NO_AUTHENTICATOR);
      }
      const allowed = (o.allowCredentials ?? []).map((d) => d.id).filter((id): id is string => typeof id === 'string');
      const holds = (a: VirtualAuthenticator) => this.credentialsOf(a).some((c) => allowed.includes(c.credentialId));
      const rpId = typeof o.rpId === 'string' ? o.rpId : new URL(ctx.origin).hostname;
      const resident = (a: VirtualAuthenticator) =>
        a.key.control.credentials({ privateKeys: true }).some((c) => c.rpId === rpId);
      const chosen = (allowed.length > 0 ? list.find(holds) : list.find(resident)) ?? list[0]!;
      const allow = o.allowCredentials?.filter((d) => !(typeof d.id === 'string' && chosen.removed.has(d.id)));
      if (o.allowCredentials && o.allowCredentials.length > 0 && allow!.length === 0) {
        throw new WebAuthnError('NotAllowedError', 'none of the allowed credentials is on a virtual authenticator');
      }
      return chosen.key.client.get({ ...o, ...(allow && { allowCredentials: allow }) } as never, ctx);
    },
  };

  /** Closes every key (the session ended). */
  async close(): Promise<void> {
    const all = [...this.all.values()];
    this.all.clear();
    await Promise.all(all.map((a) => a.key.close()));
  }
}
