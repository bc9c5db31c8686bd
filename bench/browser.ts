/**
 * Browser benchmark, per engine: navigator.credentials get() and create() through softkey, against
 * the floor of the channel softkey uses there (a bare echo over the same channel) and, in Chromium,
 * against Chromium's own virtual authenticator (DevTools WebAuthn domain) and Playwright's
 * context.credentials (when the installed playwright-core has it).
 *
 *   chromium  softkey/playwright attach (exposeBinding)   floor: exposeBinding echo
 *             softkey WebSocket bridge + shim            floor: WebSocket echo
 *   firefox   softkey/puppeteer attach (WebSocket)        floor: WebSocket echo
 *   webkit    shim proxy + WebSocket bridge              floor: WebSocket echo (through the same proxy)
 *
 * Timed in the page (performance.now). Engines coarsen that clock (to 0.1–1 ms), so each round's
 * figure is the median over batches of BATCH calls of the batch's mean; warm-up runs first. Every
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
import { startBridgeServer } from '../src/bridge/server.js';
import { WebAuthnClient } from '../src/client/webauthnClient.js';
import { openSoftKey } from '../src/main/softkey.js';
import { launchChromium, openEngine, skip, type EngineName } from '../test/browser/engines.js';
import { phase, ROUNDS, summarize, type BenchResult } from './measure.js';

export type { BenchResult };

/** Per round, in every setup (after its warm-up). */
const GETS = Number(process.env.SOFTKEY_BENCH_BROWSER_GETS ?? 50);
const CREATES = Number(process.env.SOFTKEY_BENCH_BROWSER_CREATES ?? 10);
const BATCH = 5;

interface Plan {
  gets: number;
  creates: number;
  batch: number;
  echo?: { kind: 'binding'; name: string } | { kind: 'ws'; url: string };
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
      if (echo.kind === 'binding') {
        const fn = (window as unknown as Record<string, (x: string) => Promise<string>>)[echo.name]!;
        call = () => fn('x');
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
            ws.send('x');
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
  const echo = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  echo.on('connection', (ws) => ws.on('message', (m) => ws.send(m)));
  await new Promise((resolve) => echo.once('listening', resolve));
  const echoUrl = `ws://127.0.0.1:${(echo.address() as AddressInfo).port}/`;
  const key = await openSoftKey({ dataDir: ':memory:' });
  const client = new WebAuthnClient(key);
  const plan = (extra: Partial<Plan> = {}): Plan => ({ gets: GETS, creates: CREATES, batch: BATCH, ...extra });
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
          await context.exposeBinding('__benchEcho', (_source, x: unknown) => x);
          await attach(context, key, { client });
        },
        plan({ echo: { kind: 'binding', name: '__benchEcho' } }),
        'binding',
      );
      const bridge = await startBridgeServer({
        client,
        token: Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString('base64url'),
        port: 0,
        allowedOrigins: [origin],
      });
      closers.push(() => bridge.close());
      await inContext(
        'softkey.ws',
        async (context) => void (await context.addInitScript({ content: bridge.shimScript() })),
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
    for (let r = 0; r < ROUNDS; r++) {
      for (const x of setups) {
        phase(`${x.engine}.${x.what} (round ${r + 1}/${ROUNDS})`);
        times.get(x)!.push(await x.run());
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
