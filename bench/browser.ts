/**
 * Browser benchmark, per engine: navigator.credentials get() and create() through softkey, against
 * the floor of the channel softkey uses there (a bare echo over the same channel) and, in Chromium,
 * against Chromium's own virtual authenticator (DevTools WebAuthn domain) and Playwright's
 * context.credentials (when the installed playwright-core has it).
 *
 *   chromium  softkey/playwright attach (exposeBinding)   floor: exposeBinding echo
 *             attach(…, { channel: 'websocket' })          floor: WebSocket echo
 *   firefox   softkey/puppeteer attach (WebSocket)        floor: WebSocket echo
 *   webkit    shim proxy + WebSocket bridge              floor: WebSocket echo (through the same proxy)
 *
 * A floor is a bare round trip over the same channel with the same message sizes as a get(): the
 * page sends a string as long as the shim's get request, the echo answers one as long as softkey's
 * reply (both measured from a real get before the rounds). `….get.….node` is the Node share of a get:
 * the WebAuthn client and the authenticator (client.get), timed in Node; get − floor − node is what the
 * shim and the bridge add.
 *
 * Warm-up, as any benchmark does (the bench says so when it starts): WARMUP gets in Node through a
 * BridgeSession (the bridge's own path, so V8 has optimized the client and authenticator), then in
 * every round and setup 30 calls of each kind in the page before the timed ones.
 *
 * Timed in the page (performance.now). Engines coarsen that clock (to 0.1–1 ms), so each round's
 * figure is the median over batches of BATCH calls of the batch's mean. Every
 * setup stays open and is measured once per round, the rounds alternating between setups; the bench
 * prints min/median/max over the rounds and per-round ratios: get / floor of its own channel (target
 * ≤ 1.3), and get / Chromium's virtual authenticator (`….vs-virtual`). Every name appears once.
 * An engine that is not installed is left out with a note.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContext, Page } from 'playwright-core';
import { WebSocketServer } from 'ws';
import { attach } from '../src/bridge/playwright.js';
import { BridgeSession, type BridgeClient } from '../src/bridge/session.js';
import { WebAuthnClient } from '../src/client/webauthnClient.js';
import { encode as b64u } from '../src/encoding/base64url.js';
import { openSoftKey } from '../src/main/softkey.js';
import { launchChromium, openEngine, skip, type EngineName } from '../test/browser/engines.js';
import { median, phase, progress, ROUNDS, summarize, type BenchResult } from './measure.js';

export type { BenchResult };

/** Per round, in every setup (after its warm-up). */
const GETS = Number(process.env.SOFTKEY_BENCH_BROWSER_GETS ?? 50);
const CREATES = Number(process.env.SOFTKEY_BENCH_BROWSER_CREATES ?? 10);
const BATCH = 5;
/** Gets run in Node before the rounds (0: none). */
const WARMUP = Number(process.env.SOFTKEY_BENCH_BROWSER_WARMUP ?? 5000);

interface Plan {
  gets: number;
  creates: number;
  batch: number;
  echo?: { kind: 'binding'; name: string } | { kind: 'ws'; url: string };
  /** Length of the echo's request string, less the page's origin (the shim's get message has it too). */
  requestChars: number;
}
interface Times {
  echo?: number;
  get?: number;
  create?: number;
}

/** In the page (given as source, the same in every engine): medians in ms. */
async function timePage(p: Plan): Promise<Times> {
  {
    const batched = async (count: number, warm: number, op: (i: number) => Promise<unknown>) => {
      for (let i = 0; i < warm; i++) await op(-1 - i);
      const means: number[] = [];
      for (let b = 0; b < Math.max(1, Math.floor(count / p.batch)); b++) {
        const t0 = performance.now();
        for (let i = 0; i < p.batch; i++) await op(b * p.batch + i);
        means.push((performance.now() - t0) / p.batch);
      }
      means.sort((x, y) => x - y);
      const m = means.length >> 1;
      return means.length % 2 ? means[m]! : (means[m - 1]! + means[m]!) / 2;
    };
    const out: Times = {};
    if (p.echo) {
      let call: () => Promise<unknown>;
      const echo = p.echo;
      // As long as the shim's get request from this page (which carries location.origin).
      const request = 'q'.repeat(p.requestChars + location.origin.length);
      if (echo.kind === 'binding') {
        const fn = (window as unknown as Record<string, (x: string) => Promise<string>>)[echo.name]!;
        call = () => fn(request);
      } else {
        const ws = new WebSocket(echo.url);
        await new Promise((resolve, reject) => {
          ws.onopen = resolve;
          ws.onerror = reject;
        });
        let pending: () => void = () => undefined;
        ws.onmessage = () => pending();
        call = () =>
          new Promise<void>((resolve) => {
            pending = resolve;
            ws.send(request);
          });
      }
      out.echo = await batched(p.gets, 30, call);
    }
    if (p.gets || p.creates) {
      let made: PublicKeyCredential | undefined;
      out.create = await batched(Math.max(p.creates, p.batch), 2, async (i) => {
        made = (await navigator.credentials.create({
          publicKey: {
            rp: { name: 'Bench', id: 'localhost' },
            user: { id: new Uint8Array([i & 255, (i >> 8) & 255, 7]), name: `bench${i}`, displayName: 'Bench' },
            challenge: crypto.getRandomValues(new Uint8Array(32)),
            pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
            authenticatorSelection: { userVerification: 'discouraged' },
          },
        })) as PublicKeyCredential;
      });
      out.get = await batched(p.gets, 30, () =>
        navigator.credentials.get({
          publicKey: {
            challenge: crypto.getRandomValues(new Uint8Array(32)),
            rpId: 'localhost',
            allowCredentials: [{ type: 'public-key', id: made!.rawId }],
            userVerification: 'discouraged',
          },
        }),
      );
    }
    return out;
  }
}

/** The page function's source, called with the plan. */
const timing = (plan: Plan) => `(${timePage.toString()})(${JSON.stringify(plan)})`;

const us = (ms: number | undefined) => (ms ?? NaN) * 1000;

/** One way of running the page timing (an engine and channel), kept open across the rounds. */
interface Setup {
  engine: string;
  /** Result names: `${engine}.get.${what}`, `${engine}.create.${what}`. */
  what: string;
  /** The echo over softkey's own channel there, when measured: `${engine}.echo.${floor}`. */
  floor?: string;
  run(): Promise<Times>;
  close(): Promise<void>;
}

/** The client, with the time of each get() it answers, in ms, pushed to `sink.times`. */
function timedClient(client: WebAuthnClient): { client: BridgeClient; sink: { times: number[] } } {
  const sink = { times: [] as number[] };
  return {
    sink,
    client: {
      create: (options, ctx) => client.create(options, ctx),
      get: async (options, ctx) => {
        const t0 = performance.now();
        try {
          return await client.get(options, ctx);
        } finally {
          sink.times.push(performance.now() - t0);
        }
      },
      isUserVerifyingPlatformAuthenticatorAvailable: () => client.isUserVerifyingPlatformAuthenticatorAvailable(),
    },
  };
}

/**
 * Node-side warm-up, and the sizes of a get's two messages: `count` gets of one credential through a
 * BridgeSession, as the bridge runs them. Returns the request length less its origin, and the reply length.
 */
async function warmUp(
  client: WebAuthnClient,
  origin: string,
  count: number,
): Promise<{ request: number; reply: number }> {
  const random = (n: number) => b64u(globalThis.crypto.getRandomValues(new Uint8Array(n)));
  const made = await client.create(
    {
      rp: { name: 'Bench', id: 'localhost' },
      user: { id: random(3), name: 'warm', displayName: 'Bench' },
      challenge: random(32),
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      authenticatorSelection: { userVerification: 'discouraged' },
    },
    { origin },
  );
  const session = new BridgeSession(client);
  // The shim's message: its id is an 8-character prefix, a dash and a counter.
  const message = (i: number) =>
    JSON.stringify({
      type: 'get',
      id: `warmwarm-${i}`,
      origin,
      options: {
        challenge: random(32),
        rpId: 'localhost',
        allowCredentials: [{ type: 'public-key', id: made.id }],
        userVerification: 'discouraged',
      },
    });
  let sizes = { request: 0, reply: 0 };
  for (let i = 0; i <= count; i++) {
    if ((i & 63) === 0) progress.tick();
    const request = message(i + 100);
    const reply = JSON.stringify(await session.handle(JSON.parse(request), origin));
    sizes = { request: request.length - origin.length, reply: reply.length };
  }
  return sizes;
}

/** min/median/max of per-round values, and per-round ratios to another series (lower is better here). */
function series(name: string, values: number[], baseline?: { name: string; values: number[] }): BenchResult {
  return summarize(name, 'µs', values, baseline);
}

export async function benchBrowser(): Promise<BenchResult[]> {
  phase('browser setup');
  const site = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>bench</title>'),
  );
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  const origin = `http://localhost:${(site.address() as AddressInfo).port}`;
  const key = await openSoftKey({ dataDir: ':memory:' });
  const webauthn = new WebAuthnClient(key);
  phase('browser warm-up');
  const sizes = await warmUp(webauthn, origin, WARMUP);
  console.error(
    `browser: warmed up with ${WARMUP} gets in Node and 30 calls per setup and round in the page; ` +
      `floors: ${sizes.request} characters + the origin out, ${sizes.reply} back, as a get()`,
  );
  const { client, sink } = timedClient(webauthn);
  // The floor's other end: answers each message with a reply as long as softkey's.
  const reply = 'r'.repeat(sizes.reply);
  const echo = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  echo.on('connection', (ws) => ws.on('message', () => ws.send(reply)));
  await new Promise((resolve) => echo.once('listening', resolve));
  const echoUrl = `ws://127.0.0.1:${(echo.address() as AddressInfo).port}/`;
  const plan = (extra: Partial<Plan> = {}): Plan => ({
    gets: GETS,
    creates: CREATES,
    batch: BATCH,
    requestChars: sizes.request,
    ...extra,
  });
  const setups: Setup[] = [];
  const closers: Array<() => Promise<void>> = [];
  try {
    if (skip('chromium')) console.error(skip('chromium'));
    else {
      phase('chromium launch');
      const browser = await launchChromium();
      closers.push(() => browser.close());
      const inContext = async (
        what: string,
        setup: (context: BrowserContext, page: Page) => Promise<void>,
        p: Plan,
        floor?: string,
      ): Promise<void> => {
        phase(`chromium.${what} setup`);
        const context = await browser.newContext();
        const page = await context.newPage();
        await setup(context, page);
        await page.goto(origin);
        setups.push({
          engine: 'chromium',
          what,
          ...(floor && { floor }),
          run: async () => (await page.evaluate(timing(p))) as Times,
          close: () => context.close(),
        });
      };
      await inContext(
        'virtual',
        async (context, page) => {
          const cdp = await context.newCDPSession(page);
          await cdp.send('WebAuthn.enable');
          await cdp.send('WebAuthn.addVirtualAuthenticator', {
            options: {
              protocol: 'ctap2',
              transport: 'usb',
              hasResidentKey: true,
              hasUserVerification: true,
              isUserVerified: true,
              automaticPresenceSimulation: true,
            },
          });
        },
        plan(),
      );
      const probe = await browser.newContext();
      const hasCredentials =
        typeof (probe as unknown as { credentials?: { install?: unknown } }).credentials?.install === 'function';
      await probe.close();
      if (hasCredentials) {
        await inContext(
          'playwright-credentials',
          async (context) => {
            await (context as unknown as { credentials: { install(): Promise<void> } }).credentials.install();
          },
          plan(),
        );
      } else console.error('chromium: this playwright-core has no context.credentials; left out');
      await inContext(
        'softkey.attach',
        async (context) => {
          await context.exposeBinding('__benchEcho', () => reply);
          await attach(context, key, { client });
        },
        plan({ echo: { kind: 'binding', name: '__benchEcho' } }),
        'binding',
      );
      await inContext(
        'softkey.ws',
        async (context) => void (await attach(context, key, { client, channel: 'websocket', origins: [origin] })),
        plan({ echo: { kind: 'ws', url: echoUrl } }),
        'ws',
      );
    }
    for (const engine of ['firefox', 'webkit'] as EngineName[]) {
      const why = skip(engine);
      if (why) {
        console.error(why);
        continue;
      }
      phase(`${engine} launch`);
      const page = await openEngine(engine, { key, client, origins: [origin] });
      closers.push(() => page.close());
      phase(`${engine} page`);
      await page.goto(origin);
      const p = plan({ echo: { kind: 'ws', url: echoUrl } });
      setups.push({
        engine,
        what: 'softkey.ws',
        floor: 'ws',
        run: () => page.run(timePage, p),
        close: async () => undefined,
      });
    }

    // Alternating rounds: every setup once per round, so a slow moment of the machine hits them alike.
    const times = new Map<Setup, Times[]>(setups.map((x) => [x, []]));
    /** Per setup and round: the median Node share of its timed gets (ms). */
    const node = new Map<Setup, number[]>(setups.map((x) => [x, []]));
    for (let r = 0; r < ROUNDS; r++) {
      for (const x of setups) {
        phase(`${x.engine}.${x.what} (round ${r + 1}/${ROUNDS})`);
        sink.times = [];
        times.get(x)!.push(await x.run());
        if (x.floor) node.get(x)!.push(median(sink.times.slice(-GETS)));
      }
    }

    const results: BenchResult[] = [];
    const virtual = setups.find((x) => x.engine === 'chromium' && x.what === 'virtual');
    const virtualGets = virtual && { name: 'chromium.get.virtual', values: times.get(virtual)!.map((t) => us(t.get)) };
    for (const x of setups) {
      const t = times.get(x)!;
      const gets = t.map((v) => us(v.get));
      const creates = t.map((v) => us(v.create));
      const getName = `${x.engine}.get.${x.what}`;
      if (x.floor) {
        const floor = { name: `${x.engine}.echo.${x.floor}`, values: t.map((v) => us(v.echo)) };
        results.push(series(floor.name, floor.values), series(getName, gets, floor));
      } else results.push(series(getName, gets, x === virtual ? undefined : virtualGets));
      // softkey's get against Chromium's own virtual authenticator, under a name of its own.
      if (x.floor && virtualGets) results.push(series(`${getName}.vs-virtual`, gets, virtualGets));
      // The Node share: the WebAuthn client and the authenticator (the rest is the channel, shim and bridge).
      if (x.floor) results.push(series(`${getName}.node`, node.get(x)!.map(us)));
      results.push(series(`${x.engine}.create.${x.what}`, creates));
    }
    return results;
  } finally {
    for (const x of setups) await x.close().catch(() => undefined);
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await key.close();
    echo.close();
    site.closeAllConnections();
    site.close();
  }
}
