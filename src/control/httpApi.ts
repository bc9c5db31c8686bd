/**
 * The control API over HTTP+JSON (Hono), loopback only. Every request needs the per-run token
 * (`Authorization: Bearer <token>` or `x-softkey-token: <token>`); a request carrying an Origin
 * header must come from the panel's own origin (a web page elsewhere gets 403, before the token is
 * even looked at). Before both, the Host header must name the listener (421 otherwise: DNS-rebinding
 * defence, encoding/webGuard.ts) and a body may be at most MAX_CONTROL_BODY_BYTES (413, counted as it
 * streams in, so a huge body is never held). Errors are `{ "error": "…" }` with 400, 401, 403, 404 or 413.
 *
 *   GET  /api/state                      everything below at once
 *   GET  /api/presence    PUT {mode, timeoutMs}
 *   GET  /api/uv          PUT {available, result: match|nomatch}
 *   GET  /api/pin         PUT {pin}                       (set on the device, as its own keypad would)
 *   GET  /api/prompts     POST /api/prompts/:id/approve | /longTouch | /deny   (longTouch: CTAP 2.3 reset)
 *   GET  /api/credentials[?privateKeys=true]   POST {rpId, userId, privateKey, credentialId?, …}   DELETE (all)
 *        GET /api/credentials/:id[?rpId=R]  (with its private key)
 *        PATCH /api/credentials/:id {signCount, backupEligible, backupState}   DELETE /api/credentials/:id
 *   GET  /api/backup-defaults   PUT {backupEligible, backupState}   (for new credentials)
 *   GET  /api/events[?types=credentialAdded,…]   Server-Sent Events: credentialAdded, credentialAsserted,
 *        credentialDeleted, credentialUpdated (event name = type, data = the credential as JSON)
 *   POST /api/key-state {passphrase?}   the whole key as one JSON document (private keys included)
 *   POST /api/reset       POST /api/power-cycle
 *   GET  /api/overrides   POST {answer, once?, ceremony?} (arms wrong answers)   DELETE;  GET /api/wrong-answers (catalog)
 *   GET  /api/faults      PUT {delayMs, dropReport, corruptReport, ctapError, badSignature, withholdPresence}   DELETE
 *   GET  /api/trace?since=N   DELETE /api/trace
 *   GET  /api/wallet/addresses?count=N
 */
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { sameSecret } from '../encoding/secret.js';
import { hostAllowed, misdirectedText } from '../encoding/webGuard.js';
import { streamSSE } from 'hono/streaming';
import type { CredentialEventType } from '../authenticator/credentialEvents.js';
import { ControlError, CREDENTIAL_EVENT_TYPES, type Controller } from './controller.js';

/**
 * What the HTTP API and the panel call: the Controller's operations. A device that has only some of
 * them (split mode's front: presence and prompts, promptsControl.ts) answers the rest with a ControlError.
 */
export type ControlSurface = Pick<
  Controller,
  | 'subscribe'
  | 'state'
  | 'presence'
  | 'setPresence'
  | 'uv'
  | 'setUv'
  | 'pin'
  | 'setPin'
  | 'prompts'
  | 'answerPrompt'
  | 'credentials'
  | 'credential'
  | 'addCredential'
  | 'clearCredentials'
  | 'setCredential'
  | 'removeCredential'
  | 'backupDefaults'
  | 'setBackupDefaults'
  | 'exportState'
  | 'events'
  | 'reset'
  | 'powerCycle'
  | 'attestation'
  | 'setAttestation'
  | 'attestationRoots'
  | 'overrides'
  | 'override'
  | 'clearOverrides'
  | 'wrongAnswers'
  | 'faults'
  | 'setFaults'
  | 'clearFaults'
  | 'trace'
  | 'clearTrace'
  | 'walletAddresses'
>;

export interface ControlApiOptions {
  controller: ControlSurface;
  token: string;
  /** The origins allowed to call: the panel's own (http://127.0.0.1:5174, and its localhost spelling). */
  origins: () => readonly string[];
  /** The listener serving the API: its bound port and the host it was configured with (Host allow-list). */
  listener: { port: () => number; hosts: readonly string[] };
}

/** The largest control API body: a JSON object (an imported credential with its key is < 2 KiB). */
export const MAX_CONTROL_BODY_BYTES = 64 * 1024;

/**
 * 421 for a Host that does not name the listener, then 413 for a body over `maxBytes` (hono's
 * bodyLimit: refused by Content-Length before reading, or counted while a chunked body streams).
 */
export function edgeGuards(listener: ControlApiOptions['listener'], maxBytes: number): MiddlewareHandler[] {
  return [
    async (c, next) => {
      const host = c.req.header('host');
      if (!hostAllowed(host, listener.port(), listener.hosts))
        return c.text(misdirectedText(host, listener.port(), listener.hosts), 421);
      await next();
    },
    bodyLimit({
      maxSize: maxBytes,
      onError: (c) => c.json({ error: `the request body is larger than ${maxBytes} bytes` }, 413),
    }),
  ];
}

/** Compares without an early exit, so timing does not reveal how much of a token matched. */
export const sameToken = sameSecret;

/** The token of a request: header, or `?token=` for what a browser loads by URL (page, WebSocket). */
export function tokenOf(
  headers: { get(name: string): string | null | undefined },
  url: string,
  allowQuery: boolean,
): string | undefined {
  const auth = headers.get('authorization');
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  const header = headers.get('x-softkey-token');
  if (header) return header.trim();
  if (allowQuery) return new URL(url, 'http://localhost').searchParams.get('token') ?? undefined;
  return undefined;
}

/** 403 for a foreign Origin, 401 for a missing or wrong token; undefined when the request may go on. */
export function guard(c: Context, options: ControlApiOptions, allowQueryToken: boolean): Response | undefined {
  const origin = c.req.header('origin');
  if (origin !== undefined && !options.origins().includes(origin))
    return c.json({ error: `origin ${origin} is not allowed` }, 403);
  if (!sameToken(tokenOf({ get: (n) => c.req.header(n) }, c.req.url, allowQueryToken), options.token)) {
    return c.json({ error: 'missing or wrong token (Authorization: Bearer <token>)' }, 401);
  }
  return undefined;
}

async function body(c: Context): Promise<Record<string, unknown>> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new ControlError('the body must be a JSON object');
    return value as Record<string, unknown>;
  } catch (e) {
    throw e instanceof ControlError ? e : new ControlError('the body is not JSON');
  }
}

export function createControlApi(options: ControlApiOptions): Hono {
  const { controller: ctl } = options;
  const api = new Hono();
  api.use('*', ...edgeGuards(options.listener, MAX_CONTROL_BODY_BYTES));
  api.use('/api/*', async (c, next) => {
    // Hono types a middleware's request input as `any`; guard reads only headers and the URL.
    // eslint-disable-next-line @typescript-eslint/no-unsafe-argument
    const refused = guard(c, options, false);
    if (refused) return refused;
    await next();
  });
  api.onError((e, c) => {
    if (e instanceof ControlError) return c.json({ error: e.message }, e.kind === 'not-found' ? 404 : 400);
    return c.json({ error: `internal error: ${e.message}` }, 500);
  });

  api.get('/api/state', (c) => c.json(ctl.state()));
  api.get('/api/presence', (c) => c.json(ctl.presence()));
  api.put('/api/presence', async (c) => c.json(ctl.setPresence(await body(c))));
  api.get('/api/uv', (c) => c.json(ctl.uv()));
  api.put('/api/uv', async (c) => c.json(ctl.setUv(await body(c))));
  api.get('/api/pin', (c) => c.json(ctl.pin()));
  api.put('/api/pin', async (c) => c.json(ctl.setPin(await body(c))));
  api.get('/api/prompts', (c) => c.json(ctl.prompts()));
  api.post('/api/prompts/:id/approve', (c) => c.json(ctl.answerPrompt(c.req.param('id'), true)));
  api.post('/api/prompts/:id/longTouch', (c) => c.json(ctl.answerPrompt(c.req.param('id'), 'longTouch')));
  api.post('/api/prompts/:id/deny', (c) => c.json(ctl.answerPrompt(c.req.param('id'), false)));
  api.get('/api/credentials', (c) => c.json(ctl.credentials({ privateKeys: c.req.query('privateKeys') === 'true' })));
  api.get('/api/credentials/:id', (c) => c.json(ctl.credential(c.req.param('id'), c.req.query('rpId'))));
  api.post('/api/credentials', async (c) => c.json(ctl.addCredential((await body(c)) as never), 201));
  api.delete('/api/credentials', (c) => c.json(ctl.clearCredentials()));
  api.patch('/api/credentials/:id', async (c) => c.json(ctl.setCredential(c.req.param('id'), await body(c))));
  api.delete('/api/credentials/:id', (c) => c.json(ctl.removeCredential(c.req.param('id'))));
  api.get('/api/backup-defaults', (c) => c.json(ctl.backupDefaults()));
  api.put('/api/backup-defaults', async (c) => c.json(ctl.setBackupDefaults(await body(c))));
  api.post('/api/key-state', async (c) => {
    const { passphrase } = await body(c);
    if (passphrase !== undefined && typeof passphrase !== 'string')
      throw new ControlError('passphrase must be a string');
    return c.json(ctl.exportState(passphrase === undefined ? {} : { passphrase }));
  });
  api.get('/api/events', (c) => {
    const asked = c.req
      .query('types')
      ?.split(',')
      .filter((t) => t !== '');
    const unknown = asked?.find((t) => !(CREDENTIAL_EVENT_TYPES as readonly string[]).includes(t));
    if (unknown !== undefined)
      throw new ControlError(`unknown event type "${unknown}"; one of ${CREDENTIAL_EVENT_TYPES.join(', ')}`);
    const types = (asked ?? CREDENTIAL_EVENT_TYPES) as CredentialEventType[];
    return streamSSE(c, async (stream) => {
      const stop = new AbortController();
      stream.onAbort(() => stop.abort());
      const events = ctl.events({ types, signal: stop.signal });
      await stream.writeSSE({ event: 'ready', data: '{}' }); // subscribed: events from here on are delivered
      for await (const e of events) await stream.writeSSE({ event: e.type, data: JSON.stringify(e) });
    });
  });
  api.post('/api/reset', (c) => c.json(ctl.reset()));
  api.post('/api/power-cycle', (c) => c.json(ctl.powerCycle()));
  api.get('/api/attestation', (c) => c.json(ctl.attestation()));
  api.put('/api/attestation', async (c) => c.json(ctl.setAttestation(await body(c))));
  api.get('/api/attestation/roots', async (c) => c.json(await ctl.attestationRoots()));
  api.get('/api/overrides', (c) => c.json(ctl.overrides()));
  api.post('/api/overrides', async (c) => c.json(ctl.override(await body(c))));
  api.delete('/api/overrides', (c) => c.json(ctl.clearOverrides()));
  api.get('/api/wrong-answers', (c) => c.json(ctl.wrongAnswers()));
  api.get('/api/faults', (c) => c.json(ctl.faults()));
  api.put('/api/faults', async (c) => c.json(ctl.setFaults(await body(c))));
  api.delete('/api/faults', (c) => c.json(ctl.clearFaults()));
  api.get('/api/trace', (c) => c.json(ctl.trace(Number(c.req.query('since') ?? 0) || 0)));
  api.delete('/api/trace', (c) => c.json(ctl.clearTrace()));
  api.get('/api/wallet/addresses', (c) => {
    const count = c.req.query('count');
    return c.json(ctl.walletAddresses(count === undefined ? undefined : Number(count)));
  });
  api.all('/api/*', (c) => c.json({ error: `no route ${c.req.method} ${new URL(c.req.url).pathname}` }, 404));
  return api;
}
