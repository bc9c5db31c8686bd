/**
 * The WebDriver servers behind `softkey webdriver` in the tests, from Debian packages (nothing is
 * downloaded): chromedriver (chromium-driver) driving /usr/bin/chromium headless, and WebKitWebDriver
 * (webkit2gtk-driver) driving MiniBrowser under a private Xvfb. A missing one skips its tests with
 * the reason, except under CI=true, where starting it fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { CHROMIUM } from '../browser/chromium.js';
import { startXvfb, WEBKIT_BROWSER, WEBKIT_DRIVER } from '../browser/engines.js';

export type Upstream = 'chromium' | 'webkit';
export const UPSTREAMS: readonly Upstream[] = ['chromium', 'webkit'];
export const CHROMEDRIVER = process.env.SOFTKEY_CHROMEDRIVER ?? '/usr/bin/chromedriver';

const NEEDS: Record<Upstream, Array<[string, string]>> = {
  chromium: [
    [CHROMEDRIVER, 'chromium-driver'],
    [CHROMIUM, 'chromium'],
  ],
  webkit: [
    [WEBKIT_DRIVER, 'webkit2gtk-driver'],
    [WEBKIT_BROWSER, 'webkit2gtk-driver'],
    ['/usr/bin/Xvfb', 'xvfb'],
  ],
};

function missing(u: Upstream): string | undefined {
  const gone = NEEDS[u].filter(([p]) => !existsSync(p));
  return gone.length
    ? `${gone.map(([p]) => p).join(', ')} not found (apt-get install ${[...new Set(gone.map(([, pkg]) => pkg))].join(' ')})`
    : undefined;
}

/** false, or why this upstream's tests are skipped (never under CI=true). */
export function skip(u: Upstream): false | string {
  const why = missing(u);
  return why && process.env.CI !== 'true' ? `${u}: ${why}; tests skipped` : false;
}

/** New Session capabilities for each upstream's browser, as a Selenium or WebdriverIO user writes them. */
export const CAPABILITIES: Record<Upstream, Record<string, unknown>> = {
  chromium: {
    browserName: 'chrome',
    'goog:chromeOptions': {
      binary: CHROMIUM,
      args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    },
  },
  webkit: {
    browserName: 'MiniBrowser',
    'webkitgtk:browserOptions': { binary: WEBKIT_BROWSER, args: ['--automation'] },
  },
};

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

/** Starts the upstream WebDriver server; resolves once its /status answers. */
export async function startUpstream(u: Upstream): Promise<{ url: string; stop(): Promise<void> }> {
  const why = missing(u);
  if (why) throw new Error(`${u}: ${why}; under CI=true every WebDriver upstream is required`);
  const port = await freePort();
  const xvfb = u === 'webkit' ? await startXvfb() : undefined;
  const bin = u === 'chromium' ? CHROMEDRIVER : WEBKIT_DRIVER;
  const driver = spawn(bin, [`--port=${port}`], {
    stdio: 'ignore',
    env: { ...process.env, ...(xvfb && { DISPLAY: xvfb.display }) },
  });
  const url = `http://127.0.0.1:${port}`;
  const halt = async () => {
    await stop(driver);
    await xvfb?.stop();
  };
  for (let i = 0; ; i++) {
    try {
      await fetch(`${url}/status`);
      break;
    } catch (e) {
      if (i > 200 || driver.exitCode !== null) {
        await halt();
        throw new Error(`${bin} did not start: ${String(e)}`, { cause: e });
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return { url, stop: halt };
}
