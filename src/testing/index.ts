/**
 * softkey/testing: WebAuthn in unit tests without a browser. `installSoftkey()` puts
 * `navigator.credentials.create/get` and `PublicKeyCredential` (with AuthenticatorAttestationResponse,
 * AuthenticatorAssertionResponse, getClientExtensionResults, toJSON, parse…OptionsFromJSON,
 * isUserVerifyingPlatformAuthenticatorAvailable, getClientCapabilities) into a jsdom or happy-dom
 * window (Vitest's and Jest's DOM environments), backed by an in-memory softkey key.
 *
 *   import { installSoftkey } from 'softkey/testing';
 *   const softkey = await installSoftkey({ origin: 'https://example.com' });
 *   softkey.addPasskey({ rpId: 'example.com', userName: 'ada' });   // pre-registered
 *   softkey.failNext('NotAllowedError');                             // the next create/get rejects
 *   await softkey.uninstall();
 *
 * Nothing here re-implements WebAuthn: the page side is the browser shim (bridge/pageShim.ts, WebAuthn
 * L3 §5.1.3 / §5.1.4 entry points and the §5.1 / §5.2 objects), evaluated in the DOM environment's
 * window and reaching softkey through a function on that window instead of a socket (the shim's
 * "binding" channel, as in softkey/playwright); the ceremony runs in softkey's WebAuthn client
 * (src/client) against the real authenticator, so what a test gets is what a browser with softkey gets.
 * The key lives in a worker thread (worker.ts says why); `softkey.control` reaches its control API.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { pageShimScript } from '../bridge/pageShim.js';
import { WEBAUTHN_ERROR_NAMES, type WebAuthnErrorName } from '../client/errors.js';
import {
  CONTROL_METHODS,
  type AsyncControl,
  type BridgeReply,
  type Passkey,
  type PasskeyInput,
  type TestingKeyOptions,
  type WorkerReply,
  type WorkerRequest,
} from './protocol.js';

export type { AsyncControl, ControlMethod, Passkey, PasskeyInput, TestingKeyOptions } from './protocol.js';
export type { CredentialInfo } from '../main/control.js';
/** The control API methods `softkey.control` offers. */
export { CONTROL_METHODS } from './protocol.js';

/** The window function the shim calls (its "binding" channel). */
const BINDING = '__softkeyTesting';
/** Where a window keeps its current installation. */
const CURRENT = Symbol.for('softkey.testing.current');

/** A DOMException (or TypeError) name that `failNext` can make the next call reject with. */
export type TestingErrorName = WebAuthnErrorName;

export interface InstallOptions {
  /**
   * The caller's origin as softkey sees it (clientData.origin, the rpId checks of WebAuthn L3 §5.1.3
   * step 7 / §5.1.4 step 8); default the document's origin (location.origin) at the time of the call.
   */
  origin?: string;
  /** Passkeys the key holds from the start (see addPasskey). */
  passkeys?: readonly PasskeyInput[];
  /** openSoftKey() options of the new key (profile, attestation, aaguid, backup flags, client.pin…); always in memory. */
  keyOptions?: TestingKeyOptions;
  /**
   * The window to install into; default the global one (Vitest's and Jest's jsdom / happy-dom
   * environments). Another window (a `new JSDOM(…, { runScripts: 'outside-only' })`) needs its `eval`.
   */
  window?: object;
}

export interface SoftkeyTesting {
  /** The key's control API (src/control/controller.ts), each call async: presence, UV, PIN, credentials, faults, trace. */
  readonly control: AsyncControl;
  /** The origin calls are made from now (option `origin`, else the document's). */
  readonly origin: string;
  /** The passkeys given in `installSoftkey({ passkeys })`, as a relying party would have stored them. */
  readonly preRegistered: readonly Passkey[];
  /** Adds a passkey as if it had been registered before (control API addCredential; new ES256 key by default). */
  addPasskey(input: PasskeyInput): Promise<Passkey>;
  /**
   * The next navigator.credentials.create/get (of `type`, default either) rejects with a DOMException
   * of this name (NotAllowedError, InvalidStateError, AbortError, SecurityError, NotSupportedError, …)
   * without reaching the key. They queue: failNext twice fails the next two.
   */
  failNext(name: TestingErrorName, options?: { message?: string; type?: 'create' | 'get' }): void;
  /** The requests the page made, in order (options JSON as the shim sent them). */
  readonly calls: ReadonlyArray<{ type: 'create' | 'get'; origin: string; options: unknown }>;
  /** Detaches softkey from the window (later calls reject with NotAllowedError) and closes the key. */
  uninstall(): Promise<void>;
}

type AnyWindow = Record<string | symbol, unknown> & {
  location?: { origin?: string; protocol?: string; hostname?: string };
};

interface Installation {
  key: number;
  origin(): string;
  fail: Array<{ name: TestingErrorName; message: string; type?: 'create' | 'get' }>;
  calls: Array<{ type: 'create' | 'get'; origin: string; options: unknown }>;
  uvpa: boolean;
}

// ---- the key's thread ----------------------------------------------------------------------------
type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };
let host: { worker: Worker; pending: Map<number, Pending>; next: number } | undefined;

function startHost() {
  // A path, not a URL object: the DOM environment may have replaced the global URL with its own.
  const worker = new Worker(join(dirname(fileURLToPath(import.meta.url)), 'worker.js'));
  const h = { worker, pending: new Map<number, Pending>(), next: 1 };
  const failAll = (e: Error) => {
    if (host === h) host = undefined;
    for (const p of h.pending.values()) p.reject(e);
    h.pending.clear();
  };
  worker.on('message', (r: WorkerReply) => {
    const p = h.pending.get(r.id);
    if (!p) return;
    h.pending.delete(r.id);
    if (h.pending.size === 0) worker.unref(); // an idle key thread never keeps the test process alive
    if (r.ok) p.resolve(r.value);
    else p.reject(Object.assign(new Error(r.error.message), { name: r.error.name }));
  });
  worker.on('error', (e) => failAll(new Error(`softkey/testing's key thread failed: ${e.message}`)));
  worker.on('exit', (code) => failAll(new Error(`softkey/testing's key thread exited (${code})`)));
  worker.unref();
  return h;
}

type Request = WorkerRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

function call(request: Request): Promise<unknown> {
  const h = (host ??= startHost());
  const id = h.next++;
  return new Promise((resolve, reject) => {
    h.pending.set(id, { resolve, reject });
    h.worker.ref();
    h.worker.postMessage({ ...request, id });
  });
}

// ---- the window --------------------------------------------------------------------------------------
const SECURE_HOSTS = /^(localhost|127\.0\.0\.1|\[::1\])$|\.localhost$/;

/** HTML §7.1.1 "potentially trustworthy origin", for DOM environments that do not define isSecureContext. */
function secureContext(win: AnyWindow): boolean {
  const l = win.location;
  return l?.protocol === 'https:' || l?.protocol === 'file:' || SECURE_HOSTS.test(l?.hostname ?? '');
}

/** An http(s) origin (scheme://host[:port]), or undefined. */
function httpOrigin(text: string): string | undefined {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

function evaluate(win: AnyWindow, script: string): void {
  if (win === globalThis) {
    (0, eval)(script); // this realm's global scope is the DOM environment's window
    return;
  }
  if (typeof win.eval !== 'function') {
    throw new TypeError(
      'softkey/testing needs a window it can run a script in: create the JSDOM with runScripts: "outside-only"',
    );
  }
  (win.eval as (s: string) => unknown)(script);
}

/** Defines a method like the shim does (non-enumerable, writable). */
function replace(obj: object, name: string, fn: unknown): void {
  Object.defineProperty(obj, name, { value: fn, writable: true, configurable: true, enumerable: false });
}

/** Evaluates the page shim once per window; the statics that depend on the key read the current installation. */
function ensureShim(win: AnyWindow): void {
  if (win.__softkeyShimInstalled === true) {
    const nav = win.navigator as { credentials?: { create?: unknown } } | undefined;
    if (typeof nav?.credentials?.create !== 'function') {
      throw new Error(
        "this window kept softkey's shim but has a new navigator (a test runner reusing globals, e.g. Vitest isolate: false)",
      );
    }
    return;
  }
  if (win.isSecureContext === undefined) {
    Object.defineProperty(win, 'isSecureContext', { get: () => secureContext(win), configurable: true });
  }
  if (win.isSecureContext !== true) {
    throw new TypeError(
      `WebAuthn needs a secure context (WebAuthn L3 §5.1); the document is at ${String(win.location?.origin)}`,
    );
  }
  evaluate(win, pageShimScript({ kind: 'binding', name: BINDING }));
  if (typeof win.PublicKeyCredential !== 'function') {
    throw new TypeError(
      'the softkey page shim could not run in this window (a JSDOM needs runScripts: "outside-only")',
    );
  }
  const PKC = win.PublicKeyCredential as unknown as Record<string, unknown>;
  // L3 §5.1.7 / §5.1.11: whether the current key is a platform authenticator with built-in UV.
  const capabilities = PKC.getClientCapabilities as () => Promise<Record<string, unknown>>;
  const uvpa = () => (win[CURRENT] as Installation | undefined)?.uvpa === true;
  replace(PKC, 'isUserVerifyingPlatformAuthenticatorAvailable', () => Promise.resolve(uvpa()));
  replace(PKC, 'getClientCapabilities', async () => {
    const c = await capabilities.call(PKC);
    c.passkeyPlatformAuthenticator = uvpa();
    c.userVerifyingPlatformAuthenticator = uvpa();
    return c;
  });
}

/**
 * Installs softkey as the WebAuthn implementation of the DOM environment's window, with a new
 * in-memory key. One installation per window at a time: uninstall() the previous one first (afterEach).
 */
export async function installSoftkey(options: InstallOptions = {}): Promise<SoftkeyTesting> {
  const win = (options.window ?? globalThis) as AnyWindow;
  if (typeof win.document !== 'object' || win.document === null || !win.location) {
    throw new TypeError(
      'softkey/testing needs a DOM environment: Vitest environment "jsdom" or "happy-dom", Jest testEnvironment "jsdom"',
    );
  }
  if (win[CURRENT]) throw new Error('softkey is already installed in this window: uninstall() it first');
  let fixedOrigin: string | undefined;
  if (options.origin !== undefined) {
    fixedOrigin = httpOrigin(options.origin);
    if (!fixedOrigin) {
      throw new TypeError(
        `origin must be an http(s) origin such as https://example.com, got ${JSON.stringify(options.origin)}`,
      );
    }
  }
  ensureShim(win);
  const opened = (await call({
    op: 'open',
    ...(options.keyOptions && { keyOptions: options.keyOptions }),
    ...(options.passkeys && { passkeys: options.passkeys }),
  })) as { key: number; uvpa: boolean; passkeys: Passkey[] };
  const installation: Installation = {
    key: opened.key,
    origin: () => {
      if (fixedOrigin) return fixedOrigin;
      const o = httpOrigin(String(win.location?.origin));
      if (!o)
        throw new TypeError(
          `the document has no http(s) origin (${String(win.location?.origin)}): pass installSoftkey({ origin })`,
        );
      return o;
    },
    fail: [],
    calls: [],
    uvpa: opened.uvpa,
  };
  Object.defineProperty(win, CURRENT, { value: installation, configurable: true });
  replace(win, BINDING, (message: unknown) => handle(installation, message));
  const control = Object.fromEntries(
    CONTROL_METHODS.map((method) => [
      method,
      (...args: unknown[]) => call({ op: 'control', key: opened.key, method, args }),
    ]),
  ) as unknown as AsyncControl;

  return {
    control,
    get origin() {
      return installation.origin();
    },
    preRegistered: opened.passkeys,
    addPasskey: async (input) => (await call({ op: 'addPasskey', key: opened.key, input })) as Passkey,
    failNext(name, o = {}) {
      if (!(WEBAUTHN_ERROR_NAMES as readonly string[]).includes(name)) {
        throw new TypeError(`failNext: ${JSON.stringify(name)} is not one of ${WEBAUTHN_ERROR_NAMES.join(', ')}`);
      }
      if (o.type !== undefined && o.type !== 'create' && o.type !== 'get')
        throw new TypeError('failNext: type is "create" or "get"');
      installation.fail.push({
        name,
        message: o.message ?? `softkey/testing: failNext('${name}')`,
        ...(o.type && { type: o.type }),
      });
    },
    calls: installation.calls,
    async uninstall() {
      if (win[CURRENT] !== installation) return;
      delete win[CURRENT];
      replace(win, BINDING, async (m: { id?: unknown }) => ({
        id: typeof m?.id === 'string' ? m.id : '',
        ok: false,
        error: { name: 'NotAllowedError', message: 'softkey/testing was uninstalled from this window' },
      }));
      await call({ op: 'close', key: opened.key });
    },
  };
}

/** One shim request: an injected failure, or the real ceremony (in the key's thread) from the chosen origin. */
async function handle(installation: Installation, message: unknown): Promise<BridgeReply | undefined> {
  const m = (typeof message === 'object' && message !== null ? message : {}) as {
    id?: unknown;
    type?: unknown;
    options?: unknown;
  };
  const id = typeof m.id === 'string' ? m.id : '';
  let origin: string;
  try {
    origin = installation.origin();
  } catch (e) {
    return { id, ok: false, error: { name: 'SecurityError', message: (e as Error).message } };
  }
  if (m.type === 'create' || m.type === 'get') {
    installation.calls.push({ type: m.type, origin, options: m.options });
    const i = installation.fail.findIndex((f) => f.type === undefined || f.type === m.type);
    if (i >= 0) {
      const [f] = installation.fail.splice(i, 1);
      return { id, ok: false, error: { name: f!.name, message: f!.message } };
    }
  }
  // The shim reports location.origin; the origin softkey trusts is the one chosen here.
  const plain = JSON.parse(JSON.stringify({ ...m, origin })) as unknown; // the DOM realm's objects, as JSON
  return (await call({ op: 'bridge', key: installation.key, message: plain, origin })) as BridgeReply | undefined;
}
