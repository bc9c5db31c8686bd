/**
 * The "WebAuthn Demo" relying party: WebAuthn L3 §7.1 "Registering a New Credential" and §7.2
 * "Verifying an Authentication Assertion", done by @simplewebauthn/server, served by Hono, with
 * users and credentials in its own SQLite database and one challenge per browser session.
 *
 *   GET  /                       register page        GET /login            sign-in page
 *   GET  /credentials            all credentials      GET /credentials/:id  one credential, decoded
 *   POST /api/register/options   { username, attestation: "none" | "direct", authenticator?, upgrade? } → creation options JSON
 *   POST /api/register/verify    { credential: RegistrationResponseJSON } → { verified, credentialId, username, url }
 *   POST /api/login/options      { username?, authenticator?, autofill? } → request options JSON (empty allowCredentials: discoverable)
 *   POST /api/login/verify       { credential: AuthenticationResponseJSON, autofill? } → { verified, username, counter, userVerified, url }
 *   GET  /.well-known/webauthn   { origins: [this origin, ...relatedOrigins] } (WebAuthn L3 §5.11 related origins)
 *
 * `authenticator` is the user's choice of a platform authenticator ("platform": hints client-device),
 * a security key ("security-key") or a phone ("hybrid"), or "either" (WebAuthn L3 §5.4.4 hints, with
 * authenticatorAttachment to match, through @simplewebauthn/server's preferredAuthenticatorType).
 * `autofill` is the sign-in page's passkey autofill (conditional mediation), which keeps its own
 * challenge beside the modal sign-in's. `upgrade` is the passkey upgrade after a sign-in: creation
 * options for the signed-in user, run with mediation "conditional" (conditional create).
 *
 * Every request must name this server in its Host header (421 otherwise: DNS-rebinding defence;
 * the same rule as softkey's encoding/webGuard.ts, restated here because the demo imports nothing
 * of softkey's) and bodies are limited to MAX_DEMO_BODY_BYTES (413).
 *
 * A separate program: it imports only its own dependencies, never softkey's layers.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { getRequestListener } from '@hono/node-server';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { isoBase64URL } from '@simplewebauthn/server/helpers';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getCookie, setCookie } from 'hono/cookie';
import { DemoDb } from './db.js';
import { seedFromPool } from './seed.js';
import { decodeRegistration } from './decode.js';
import { attestationObjectProblem, clientDataProblem, credentialKeyProblem } from './strictChecks.js';
import { APP_SCRIPT, credentialListPage, credentialPage, loginPage, notFoundPage, registerPage } from './pages.js';

export interface DemoServerOptions {
  /** Default 5173; 0 picks a free port. */
  port?: number;
  /** Default "localhost" (binds 127.0.0.1 and, when available, ::1). */
  host?: string;
  /** SQLite file; ":memory:" keeps nothing. */
  dbPath: string;
  /** The RP's origin; default http://localhost:<port>. */
  origin?: string;
  /** Default "localhost". */
  rpId?: string;
  /** A script every page loads first (the softkey bridge shim), served at /softkey-bridge.js. */
  bridgeScript?: string;
  /**
   * Where the authenticator asks for approval, when that is its own device panel (softkey start
   * --presence panel): the register and sign-in pages say so and link it. Read per page, so it may
   * become known after the demo starts.
   */
  approvalPanel?: () => string | undefined;
  /** A softkey credential pool (its directory or pool.json) whose users are added at start (seed.ts). */
  seedPool?: string;
  /**
   * Other origins that use this RP ID (WebAuthn L3 §5.11): listed in /.well-known/webauthn, accepted
   * by the Host check and as expected origins of ceremonies.
   */
  relatedOrigins?: readonly string[];
}

export interface StartDemoOptions {
  /** Default 0: a free port. */
  port?: number;
  /** Default "localhost". */
  host?: string;
  /** Where the demo keeps its database (demo.sqlite); default: nothing kept. */
  dataDir?: string;
  /** Options of createDemoServer passed through (rpId, origin, relatedOrigins, bridgeScript…). */
  server?: Partial<Omit<DemoServerOptions, 'port' | 'host' | 'dbPath'>>;
}

/**
 * The demo relying party as a library: `const demo = await startDemo({ port: 0 })`, then
 * `demo.url`, `demo.close()`. Nothing of softkey's runs with it.
 */
export async function startDemo(options: StartDemoOptions = {}): Promise<DemoServer> {
  if (options.dataDir !== undefined) mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  return createDemoServer({
    ...options.server,
    port: options.port ?? 0,
    host: options.host ?? 'localhost',
    dbPath: options.dataDir === undefined ? ':memory:' : join(options.dataDir, 'demo.sqlite'),
  });
}

export interface DemoServer {
  readonly url: string;
  readonly origin: string;
  readonly rpId: string;
  readonly port: number;
  readonly db: DemoDb;
  close(): Promise<void>;
}

export const RP_NAME = 'WebAuthn Demo';
/** A registration response with an attestation certificate chain is a few KiB; 64 KiB is ample. */
export const MAX_DEMO_BODY_BYTES = 64 * 1024;

/**
 * The Host names this server answers to on `port`: the loopback names, the configured host and
 * the host of its origin (RFC 9110 §7.2). A page that rebinds its own DNS name to 127.0.0.1 still
 * sends its own name, and is refused.
 */
export function demoHostAllowed(header: string | undefined, port: number, names: readonly string[]): boolean {
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]\s/@]+)(?::(\d{1,5}))?$/i.exec(header?.trim() ?? '');
  if (!m || Number(m[2] ?? 80) !== port) return false;
  const bracket = (h: string) => (h.includes(':') && !h.startsWith('[') ? `[${h}]` : h).toLowerCase();
  return ['127.0.0.1', 'localhost', '[::1]', ...names.map(bracket)].includes(m[1]!.toLowerCase());
}
/** Seed 001: ES256, EdDSA, RS256, in this order. */
export const SUPPORTED_ALGORITHMS = [-7, -8, -257];

interface Session {
  challenge?: string;
  /** The passkey autofill's pending sign-in (conditional mediation), beside a modal one. */
  autofillChallenge?: string;
  registration?: { username: string; webauthnUserId: string };
  /** Who signed in last in this session (for the passkey upgrade). */
  signedIn?: string;
}

/** The user's authenticator choice → @simplewebauthn/server's preferredAuthenticatorType (hints + attachment). */
const AUTHENTICATOR_CHOICE = {
  platform: 'localDevice',
  'security-key': 'securityKey',
  hybrid: 'remoteDevice',
} as const;
/** The same choice as hints for a sign-in (WebAuthn L3 §5.4.4). */
const HINTS = { platform: ['client-device'], 'security-key': ['security-key'], hybrid: ['hybrid'] } as const;
type AuthenticatorChoice = keyof typeof AUTHENTICATOR_CHOICE;
const choiceOf = (v: unknown): AuthenticatorChoice | undefined =>
  typeof v === 'string' && Object.hasOwn(AUTHENTICATOR_CHOICE, v) ? (v as AuthenticatorChoice) : undefined;

/** The browser build of @simplewebauthn/browser (UMD, defines window.SimpleWebAuthnBrowser). */
function browserBundle(): string | undefined {
  try {
    const entry = createRequire(import.meta.url).resolve('@simplewebauthn/browser');
    // The package exports only its entry; its bundle sits at <package>/dist/bundle/.
    for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
      if (dir.endsWith(join('@simplewebauthn', 'browser')))
        return readFileSync(join(dir, 'dist', 'bundle', 'index.umd.min.js'), 'utf8');
    }
    return undefined;
  } catch {
    return undefined;
  }
}

export async function createDemoServer(options: DemoServerOptions): Promise<DemoServer> {
  const rpId = options.rpId ?? 'localhost';
  const host = options.host ?? 'localhost';
  const db = new DemoDb(options.dbPath);
  try {
    if (options.seedPool !== undefined) seedFromPool(db, options.seedPool, rpId);
  } catch (e) {
    db.close();
    throw e;
  }
  const sessions = new Map<string, Session>();
  const bundle = browserBundle();
  const bridge = options.bridgeScript !== undefined;
  let origin = options.origin ?? '';
  let port = 0; // the bound port, once listening

  const session = (c: Context): Session => {
    let sid = getCookie(c, 'demo_sid');
    if (!sid || !sessions.has(sid)) {
      sid = randomBytes(24).toString('base64url');
      sessions.set(sid, {});
      setCookie(c, 'demo_sid', sid, { httpOnly: true, sameSite: 'Strict', path: '/' });
    }
    return sessions.get(sid)!;
  };
  const takeChallenge = (s: Session) => {
    const challenge = s.challenge;
    delete s.challenge;
    return challenge;
  };
  const body = async (c: Context): Promise<Record<string, unknown>> => {
    const b = (await c.req.json().catch(() => ({}))) as unknown;
    return typeof b === 'object' && b !== null ? (b as Record<string, unknown>) : {};
  };
  const fail = (c: Context, status: 400 | 404, error: string) => c.json({ error }, status);

  const app = new Hono();
  const related = [...(options.relatedOrigins ?? [])].map((o) => new URL(o).origin);
  const hostNames = () => [
    host,
    ...(origin ? [new URL(origin).hostname] : []),
    ...related.map((o) => new URL(o).hostname),
  ];
  const expectedOrigins = () => [origin, ...related];
  app.use(async (c, next) => {
    const given = c.req.header('host');
    if (!demoHostAllowed(given, port, hostNames())) {
      const accepted = [...new Set(['127.0.0.1', 'localhost', '[::1]', ...hostNames()])].map((h) => `${h}:${port}`);
      return c.text(
        `WebAuthn Demo: Host "${given ?? ''}" does not name this server; open it as ${accepted.join(' or ')} (DNS-rebinding defence).\n`,
        421,
      );
    }
    await next();
    c.header('x-content-type-options', 'nosniff');
  });
  app.use(
    bodyLimit({
      maxSize: MAX_DEMO_BODY_BYTES,
      onError: (c) => c.json({ error: `the request body is larger than ${MAX_DEMO_BODY_BYTES} bytes` }, 413),
    }),
  );
  app.get('/', (c) => c.html(registerPage(bridge, options.approvalPanel?.())));
  app.get('/login', (c) => c.html(loginPage(bridge, options.approvalPanel?.())));
  app.get('/credentials', (c) => c.html(credentialListPage(db.allCredentials(), bridge)));
  app.get('/credentials/:id', (c) => {
    const cred = db.credential(c.req.param('id'));
    if (!cred) return c.html(notFoundPage(bridge), 404);
    const user = db.userById(cred.userId);
    const registration = JSON.parse(cred.registrationJson) as RegistrationResponseJSON;
    if (!registration.response) {
      return c.text(
        `credential ${cred.id} of ${user?.name ?? '?'} was seeded from a softkey pool: no registration to show\n`,
      );
    }
    return c.html(credentialPage(cred, user?.name ?? '?', decodeRegistration(registration.response), bridge));
  });
  app.get('/favicon.ico', (c) => c.body(null, 204));
  // WebAuthn L3 §5.11: the origins that may use this RP ID; a client fetches it from https://RP-ID/.well-known/webauthn.
  app.get('/.well-known/webauthn', (c) => c.json({ origins: [...new Set(expectedOrigins())] }));
  app.get('/app.js', (c) => c.body(APP_SCRIPT, 200, { 'content-type': 'text/javascript; charset=utf-8' }));
  app.get('/vendor/simplewebauthn-browser.js', (c) =>
    bundle
      ? c.body(bundle, 200, { 'content-type': 'text/javascript; charset=utf-8' })
      : c.body('console.error("@simplewebauthn/browser is not installed: npm install @simplewebauthn/browser")', 200, {
          'content-type': 'text/javascript',
        }),
  );
  if (bridge)
    app.get('/softkey-bridge.js', (c) =>
      c.body(options.bridgeScript!, 200, {
        'content-type': 'text/javascript; charset=utf-8',
        'cache-control': 'no-store',
      }),
    );

  app.post('/api/register/options', async (c) => {
    const b = await body(c);
    const s = session(c);
    // The passkey upgrade registers for whoever signed in in this session.
    if (b.upgrade === true && !s.signedIn) return fail(c, 400, 'the passkey upgrade needs a sign-in first');
    const username = b.upgrade === true ? s.signedIn! : typeof b.username === 'string' ? b.username.trim() : '';
    if (!username || username.length > 64) return fail(c, 400, 'a user name of 1 to 64 characters is required');
    const attestation = b.attestation === 'direct' ? 'direct' : 'none';
    const choice = choiceOf(b.authenticator);
    const existing = db.userByName(username);
    const webauthnUserId = existing?.webauthnUserId ?? isoBase64URL.fromBuffer(randomBytes(32));
    const options = await generateRegistrationOptions({
      rpName: RP_NAME,
      rpID: rpId,
      userName: username,
      userDisplayName: username,
      userID: isoBase64URL.toBuffer(webauthnUserId),
      timeout: 60000,
      attestationType: attestation,
      excludeCredentials: (existing ? db.credentialsOf(existing.id) : []).map((cr) => ({
        id: cr.id,
        transports: cr.transports,
      })),
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
      supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
      ...(choice && { preferredAuthenticatorType: AUTHENTICATOR_CHOICE[choice] }),
    });
    s.challenge = options.challenge;
    s.registration = { username, webauthnUserId };
    return c.json(options);
  });

  app.post('/api/register/verify', async (c) => {
    const s = session(c);
    const challenge = takeChallenge(s);
    const pending = s.registration;
    delete s.registration;
    if (!challenge || !pending) return fail(c, 400, 'no registration in progress');
    const response = (await body(c)).credential as RegistrationResponseJSON | undefined;
    if (!response || typeof response !== 'object') return fail(c, 400, 'credential missing');
    // The WebAuthn steps SimpleWebAuthn leaves to the RP (strictChecks.ts).
    const problem =
      typeof response.response?.clientDataJSON === 'string' && typeof response.response.attestationObject === 'string'
        ? (clientDataProblem(response.response.clientDataJSON) ??
          attestationObjectProblem(response.response.attestationObject))
        : undefined;
    if (problem) return fail(c, 400, `registration not verified: ${problem}`);
    let verification;
    try {
      verification = await verifyRegistrationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: expectedOrigins(),
        expectedRPID: rpId,
        requireUserVerification: false,
        supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
      });
    } catch (e) {
      return fail(c, 400, `registration not verified: ${(e as Error).message}`);
    }
    if (!verification.verified) return fail(c, 400, 'registration not verified');
    const info = verification.registrationInfo;
    const keyProblem = credentialKeyProblem(info.credential.publicKey);
    if (keyProblem) return fail(c, 400, `registration not verified: ${keyProblem}`);
    if (db.credential(info.credential.id)) return fail(c, 400, 'this credential is already registered');
    const user = db.userByName(pending.username) ?? db.createUser(pending.username, pending.webauthnUserId, Date.now());
    db.addCredential({
      id: info.credential.id,
      userId: user.id,
      publicKey: info.credential.publicKey,
      counter: info.credential.counter,
      transports: response.response.transports ?? [],
      alg: response.response.publicKeyAlgorithm ?? 0,
      fmt: info.fmt,
      aaguid: info.aaguid,
      deviceType: info.credentialDeviceType,
      backedUp: info.credentialBackedUp,
      registrationJson: JSON.stringify(response),
      createdAt: Date.now(),
    });
    return c.json({
      verified: true,
      credentialId: info.credential.id,
      username: user.name,
      url: `/credentials/${encodeURIComponent(info.credential.id)}`,
    });
  });

  app.post('/api/login/options', async (c) => {
    const b = await body(c);
    const username = typeof b.username === 'string' ? b.username.trim() : '';
    let allowCredentials: Array<{ id: string; transports?: string[] }> = [];
    if (username) {
      const user = db.userByName(username);
      if (!user) return fail(c, 404, `no user named ${username}`);
      allowCredentials = db.credentialsOf(user.id).map((cr) => ({ id: cr.id, transports: cr.transports }));
    }
    const options = await generateAuthenticationOptions({
      rpID: rpId,
      allowCredentials,
      userVerification: 'preferred',
      timeout: 60000,
    });
    const choice = choiceOf(b.authenticator);
    const json = choice ? { ...options, hints: [...HINTS[choice]] } : options;
    if (b.autofill === true) session(c).autofillChallenge = options.challenge;
    else session(c).challenge = options.challenge;
    return c.json(json);
  });

  app.post('/api/login/verify', async (c) => {
    const s = session(c);
    const b = await body(c);
    let challenge: string | undefined;
    if (b.autofill === true) {
      challenge = s.autofillChallenge;
      delete s.autofillChallenge;
    } else challenge = takeChallenge(s);
    if (!challenge) return fail(c, 400, 'no sign-in in progress');
    const response = b.credential as AuthenticationResponseJSON | undefined;
    if (!response || typeof response.id !== 'string') return fail(c, 400, 'credential missing');
    const cred = db.credential(response.id);
    if (!cred) return fail(c, 400, 'unknown credential');
    const user = db.userById(cred.userId)!;
    // §7.2 step 6: a returned user handle must be the credential's owner.
    if (response.response.userHandle && response.response.userHandle !== user.webauthnUserId)
      return fail(c, 400, 'user handle does not match the credential owner');
    const problem =
      typeof response.response.clientDataJSON === 'string'
        ? clientDataProblem(response.response.clientDataJSON)
        : undefined;
    if (problem) return fail(c, 400, `sign-in not verified: ${problem}`);
    let verification;
    try {
      verification = await verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: expectedOrigins(),
        expectedRPID: rpId,
        credential: {
          id: cred.id,
          publicKey: cred.publicKey as Uint8Array<ArrayBuffer>,
          counter: cred.counter,
          transports: cred.transports,
        },
        requireUserVerification: false,
      });
    } catch (e) {
      return fail(c, 400, `sign-in not verified: ${(e as Error).message}`);
    }
    if (!verification.verified) return fail(c, 400, 'sign-in not verified');
    const a = verification.authenticationInfo;
    // §7.2: BE never changes for a credential (§6.1.3); the device type is BE as SimpleWebAuthn names it.
    if (a.credentialDeviceType !== cred.deviceType) {
      const change = `${cred.deviceType} at registration, ${a.credentialDeviceType} now`;
      return fail(c, 400, `sign-in not verified: backup eligibility changed (${change})`);
    }
    db.recordLogin(cred.id, a.newCounter, a.credentialBackedUp, Date.now());
    s.signedIn = user.name;
    return c.json({
      verified: true,
      username: user.name,
      counter: a.newCounter,
      userVerified: a.userVerified,
      credentialId: cred.id,
      url: `/credentials/${encodeURIComponent(cred.id)}`,
    });
  });

  const listener = getRequestListener(app.fetch);
  const servers: Server[] = [];
  const listen = (h: string, p: number) =>
    new Promise<Server>((resolve, reject) => {
      const s = createServer((req, res) => void listener(req, res));
      s.once('error', reject);
      s.listen(p, h, () => {
        s.off('error', reject);
        resolve(s);
      });
    });
  try {
    const first = await listen(host === 'localhost' ? '127.0.0.1' : host, options.port ?? 5173);
    servers.push(first);
    if (host === 'localhost') {
      // Browsers may resolve localhost to ::1; serve it too when the machine has IPv6 loopback.
      servers.push(await listen('::1', (first.address() as AddressInfo).port).catch(() => first));
    }
  } catch (e) {
    for (const s of servers) s.close();
    db.close();
    throw e;
  }
  port = (servers[0]!.address() as AddressInfo).port;
  origin ||= `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url: `${origin}/`,
    origin,
    rpId,
    port,
    db,
    async close() {
      await Promise.all(
        [...new Set(servers)].map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      );
      db.close();
    },
  };
}
