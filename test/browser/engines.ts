/**
 * The one helper of the browser tests (and of bench/browser.ts): the engines, launched from Debian's
 * packages (nothing is downloaded), softkey attached the way a user would, and a loopback page server.
 *  - chromium: /usr/bin/chromium (or SOFTKEY_CHROMIUM) through playwright-core, softkey/playwright attach(context);
 *  - firefox:  /usr/bin/firefox-esr through puppeteer-core over WebDriver BiDi, softkey/puppeteer attach(page);
 *  - webkit:   WebKitGTK's MiniBrowser through /usr/bin/WebKitWebDriver (W3C WebDriver classic over
 *              plain fetch) under a private Xvfb; the shim comes from softkey's shim proxy, set as the
 *              session's HTTP proxy, and talks to a WebSocket bridge.
 * A missing engine skips its tests with the reason, except under CI=true, where launching fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import puppeteer, { type Browser as PuppeteerBrowser } from 'puppeteer-core';
import { attach as attachPlaywright, type AttachOptions } from '../../src/bridge/playwright.js';
import { attach as attachPuppeteer } from '../../src/bridge/puppeteer.js';
import { startBridgeServer } from '../../src/bridge/server.js';
import { startShimProxy } from '../../src/bridge/shimProxy.js';
import type { BridgeClient } from '../../src/bridge/session.js';
import type { AttachableKey } from '../../src/bridge/playwright.js';
import { REPO_ROOT } from '../helpers/paths.js';

export const CHROMIUM = process.env.SOFTKEY_CHROMIUM ?? '/usr/bin/chromium';

/** false, or why the Chromium-only browser tests are skipped. */
export const SKIP: false | string =
  existsSync(CHROMIUM) || process.env.CI === 'true'
    ? false
    : `Chromium not found at ${CHROMIUM} (apt-get install chromium, or set SOFTKEY_CHROMIUM); browser tests skipped`;

export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium not found at ${CHROMIUM}: under CI=true the browser tests are required (apt-get install chromium)`,
    );
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
}

/** test-artifacts/<name>, the folder created. */
export function artifact(name: string): string {
  const dir = join(REPO_ROOT, 'test-artifacts');
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}

/** A loopback page server: GET / answers `html`; origin http://localhost:PORT. */
export async function pageServer(
  html = '<!doctype html><title>blank</title><p>blank</p>',
): Promise<{ origin: string; close(): Promise<void> }> {
  const server: Server = createHttpServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `http://localhost:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * tsx (esbuild keepNames) wraps named functions in __name(…); functions passed to page.evaluate
 * carry those calls into the page. Defining it there as the identity keeps such tests runnable
 * from source.
 */
export const KEEP_NAMES_SHIM = 'globalThis.__name = (f) => f;';

/** A Chromium page on a blank loopback site, softkey attached (the Chromium-only tests' preamble). */
export interface AttachedChromium {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  site: { origin: string; close(): Promise<void> };
  /** Closes the page's context, the browser and the site (the key stays the test's). */
  close(): Promise<void>;
}

export async function attachedChromium(
  key: AttachableKey,
  options: AttachOptions & { to?: 'page' | 'context'; html?: string } = {},
): Promise<AttachedChromium> {
  const { to = 'page', html, ...attachOptions } = options;
  const browser = await launchChromium();
  const site = await pageServer(html);
  const context = await browser.newContext();
  await context.addInitScript({ content: KEEP_NAMES_SHIM });
  const page = await context.newPage();
  await attachPlaywright(to === 'page' ? page : context, key, attachOptions);
  await page.goto(site.origin);
  return {
    browser,
    context,
    page,
    site,
    close: async () => {
      await context.close().catch(() => undefined);
      await browser.close();
      await site.close();
    },
  };
}

/** Puppeteer-driven Chromium (CDP) or Firefox (WebDriver BiDi). */
export function launchPuppeteer(engine: 'chromium' | 'firefox'): Promise<PuppeteerBrowser> {
  return engine === 'firefox'
    ? puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX, headless: true })
    : puppeteer.launch({
        browser: 'chrome',
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu'],
      });
}

export type EngineName = 'chromium' | 'firefox' | 'webkit';
export const ENGINES: readonly EngineName[] = ['chromium', 'firefox', 'webkit'];

export const FIREFOX = process.env.SOFTKEY_FIREFOX ?? '/usr/bin/firefox-esr';
export const WEBKIT_DRIVER = process.env.SOFTKEY_WEBKIT_DRIVER ?? '/usr/bin/WebKitWebDriver';
/** MiniBrowser of the newest WebKitGTK API version installed (/usr/lib/<triplet>/webkit*gtk-*). */
function findMiniBrowser(): string {
  const found: string[] = [];
  for (const triplet of readdirSync('/usr/lib', { withFileTypes: true })) {
    if (!triplet.isDirectory()) continue;
    const dir = `/usr/lib/${triplet.name}`;
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => /^webkit(2)?gtk-/.test(n));
    } catch {
      continue;
    }
    for (const n of names) if (existsSync(`${dir}/${n}/MiniBrowser`)) found.push(`${dir}/${n}/MiniBrowser`);
  }
  return found.sort().reverse()[0] ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
}
export const WEBKIT_BROWSER = process.env.SOFTKEY_WEBKIT_BROWSER ?? findMiniBrowser();

const NEEDS: Record<EngineName, Array<[string, string]>> = {
  chromium: [[CHROMIUM, 'chromium']],
  firefox: [[FIREFOX, 'firefox-esr']],
  webkit: [
    [WEBKIT_DRIVER, 'webkit2gtk-driver'],
    [WEBKIT_BROWSER, 'webkit2gtk-driver'],
    ['/usr/bin/Xvfb', 'xvfb'],
  ],
};

function missing(engine: EngineName): string | undefined {
  const gone = NEEDS[engine].filter(([path]) => !existsSync(path));
  return gone.length
    ? `${gone.map(([p]) => p).join(', ')} not found (apt-get install ${[...new Set(gone.map(([, pkg]) => pkg))].join(' ')})`
    : undefined;
}

/** false, or why this engine's tests are skipped (never under CI=true: launching then fails). */
export function skip(engine: EngineName): false | string {
  const why = missing(engine);
  return why && process.env.CI !== 'true' ? `${engine}: ${why}; tests skipped` : false;
}

/** A page in one engine, driven with page functions given as source (the same text in every engine). */
export interface EnginePage {
  readonly engine: EngineName;
  /** The WebSocket bridge the shim talks to (ws://…?token=…), where the engine uses one. */
  readonly bridgeUrl?: string;
  goto(url: string): Promise<void>;
  /** Runs `(fn)(arg)` in the page and resolves to its (awaited, JSON-able) result. */
  run<A, T>(fn: (arg: A) => T | Promise<T>, arg?: A): Promise<T>;
  url(): Promise<string>;
  close(): Promise<void>;
}

export interface EngineOptions {
  key: AttachableKey;
  client?: BridgeClient;
  /** The origins the pages will use (the WebKit bridge and proxy serve only these). */
  origins: readonly string[];
}

const source = <A, T>(fn: (arg: A) => T | Promise<T>, arg: A | undefined) =>
  `(${fn.toString()})(${arg === undefined ? '' : JSON.stringify(arg)})`;

export async function openEngine(engine: EngineName, options: EngineOptions): Promise<EnginePage> {
  const why = missing(engine);
  if (why) throw new Error(`${engine}: ${why}; under CI=true every engine is required`);
  if (engine === 'chromium') return openChromium(options);
  if (engine === 'firefox') return openFirefox(options);
  return openWebKit(options);
}

async function openChromium(options: EngineOptions): Promise<EnginePage> {
  const browser = await launchChromium();
  const context = await browser.newContext();
  await attachPlaywright(context, options.key, { ...(options.client && { client: options.client }) });
  const page = await context.newPage();
  return {
    engine: 'chromium',
    goto: async (url) => void (await page.goto(url)),
    run: (fn, arg) => page.evaluate(source(fn, arg)),
    url: async () => page.url(),
    close: () => browser.close(),
  };
}

async function openFirefox(options: EngineOptions): Promise<EnginePage> {
  const browser = await launchPuppeteer('firefox');
  const page = await browser.newPage();
  const attached = await attachPuppeteer(page, options.key, {
    ...(options.client && { client: options.client }),
    origins: options.origins,
  });
  return {
    engine: 'firefox',
    bridgeUrl: attached.bridge.url,
    goto: async (url) => void (await page.goto(url)),
    run: (fn, arg) => page.evaluate(source(fn, arg)) as never,
    url: async () => page.url(),
    close: () => browser.close(),
  };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Xvfb on a display it picks itself (-displayfd): no clash with other X servers on the machine. */
export async function startXvfb(): Promise<{ display: string; stop(): Promise<void> }> {
  const x = spawn('/usr/bin/Xvfb', ['-displayfd', '3', '-screen', '0', '1280x800x24', '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  let err = '';
  x.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const display = await new Promise<string>((resolve, reject) => {
    let out = '';
    (x.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(`:${out.trim()}`);
    });
    x.once('exit', (code) => reject(new Error(`Xvfb exited (${code}): ${err.trim().slice(-400)}`)));
  });
  return { display, stop: () => stop(x) };
}

/** A W3C WebDriver classic client over fetch: just the commands the tests need. */
export class WebDriverSession {
  private constructor(
    private readonly base: string,
    readonly id: string,
  ) {}

  static async create(base: string, capabilities: Record<string, unknown>): Promise<WebDriverSession> {
    const r = await WebDriverSession.call(`${base}/session`, 'POST', { capabilities: { alwaysMatch: capabilities } });
    return new WebDriverSession(base, (r as { sessionId: string }).sessionId);
  }

  private static async call(url: string, method: string, body?: unknown): Promise<unknown> {
    const res = await fetch(url, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const json = (await res.json()) as { value: unknown };
    const v = json.value as { error?: string; message?: string } | null;
    if (!res.ok || (v && typeof v === 'object' && typeof v.error === 'string'))
      throw new Error(`WebDriver ${method} ${url}: ${v?.error} ${v?.message ?? ''}`);
    return json.value;
  }

  command(method: string, path: string, body?: unknown): Promise<unknown> {
    return WebDriverSession.call(`${this.base}/session/${this.id}${path}`, method, body);
  }

  /** §13.2.2 Execute Async Script: resolves with the page function's result, rejects with its error. */
  async run<A, T>(fn: (arg: A) => T | Promise<T>, arg?: A): Promise<T> {
    const script =
      'var done = arguments[arguments.length - 1];' +
      `Promise.resolve().then(function () { return ${source(fn, arg)}; }).then(function (v) { done({ ok: true, v: v === undefined ? null : v }); },` +
      ' function (e) { done({ ok: false, e: String(e && e.name) + ": " + String(e && e.message) }); });';
    const r = (await this.command('POST', '/execute/async', { script, args: [] })) as { ok: boolean; v: T; e: string };
    if (!r.ok) throw new Error(`page function failed: ${r.e}`);
    return r.v;
  }
}

async function openWebKit(options: EngineOptions): Promise<EnginePage> {
  const { WebAuthnClient } = await import('../../src/client/index.js');
  const client = options.client ?? options.key.client ?? new WebAuthnClient(options.key);
  const token = Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(24))).toString('base64url');
  const bridge = await startBridgeServer({
    client,
    token,
    port: 0,
    allowedOrigins: options.origins,
    topLevel: (origin) => proxy.topLevel(origin),
  });
  const proxy = await startShimProxy({ script: () => bridge.shimScript(), origins: options.origins });
  const xvfb = await startXvfb();
  const port = await freePort();
  const driver = spawn(WEBKIT_DRIVER, [`--port=${port}`], {
    stdio: 'ignore',
    env: { ...process.env, DISPLAY: xvfb.display },
  });
  const cleanup = async () => {
    await stop(driver);
    await xvfb.stop();
    await proxy.close();
    await bridge.close();
  };
  try {
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      try {
        await fetch(`${base}/status`);
        break;
      } catch (e) {
        if (i > 100) throw new Error(`WebKitWebDriver did not start: ${String(e)}`, { cause: e });
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    const session = await WebDriverSession.create(base, {
      browserName: 'MiniBrowser',
      'webkitgtk:browserOptions': { binary: WEBKIT_BROWSER, args: ['--automation'] },
      // W3C WebDriver §7.1.4: every http request goes through the shim proxy, localhost included.
      proxy: { proxyType: 'manual', httpProxy: proxy.address, noProxy: [] },
    });
    await session.command('POST', '/timeouts', { script: 60_000 });
    return {
      engine: 'webkit',
      bridgeUrl: bridge.url,
      goto: async (url) => void (await session.command('POST', '/url', { url })),
      run: (fn, arg) => session.run(fn, arg),
      url: async () => (await session.command('GET', '/url')) as string,
      close: async () => {
        await session.command('DELETE', '').catch(() => undefined);
        await cleanup();
      },
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
