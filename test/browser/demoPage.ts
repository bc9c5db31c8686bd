/** Drives the demo's pages the way a person would; shared by the browser tests and the bench. */
import type { Page } from 'playwright-core';
import { artifact } from './engines.js';

export interface Outcome {
  state: string;
  text: string;
}

async function outcome(page: Page): Promise<Outcome> {
  const status = page.locator('#status[data-state=success], #status[data-state=error]');
  await status.waitFor({ timeout: 20_000 });
  return { state: (await status.getAttribute('data-state'))!, text: (await status.textContent()) ?? '' };
}

/** Register page → Register → the result page (or the error shown). Screenshots: <prefix>-1-register, -2-result. */
export async function register(
  page: Page,
  url: string,
  opts: { username: string; attestation?: 'none' | 'direct'; shots?: string },
): Promise<{ ok: boolean; credentialId?: string; error?: string }> {
  await page.goto(url);
  await page.fill('#username', opts.username);
  await page.selectOption('#attestation', opts.attestation ?? 'none');
  if (opts.shots) await page.screenshot({ path: artifact(`${opts.shots}-1-register.png`), fullPage: true });
  await page.click('#register');
  const done = await Promise.race([
    page.waitForURL(/\/credentials\/[^/]+$/, { timeout: 20_000 }).then(() => 'navigated' as const),
    page
      .locator('#status[data-state=error]')
      .waitFor({ timeout: 20_000 })
      .then(() => 'error' as const),
  ]);
  if (done === 'error') {
    if (opts.shots) await page.screenshot({ path: artifact(`${opts.shots}-2-error.png`), fullPage: true });
    return { ok: false, error: (await page.textContent('#status')) ?? '' };
  }
  await page.locator('#result-title').waitFor();
  if (opts.shots) await page.screenshot({ path: artifact(`${opts.shots}-2-result.png`), fullPage: true });
  return { ok: true, credentialId: decodeURIComponent(page.url().split('/').pop()!) };
}

/** Sign-in page → Sign in; the status line. Screenshot: <prefix>-3-login. */
export async function login(page: Page, url: string, opts: { username?: string; shots?: string }): Promise<Outcome> {
  await page.goto(new URL('/login', url).href);
  await page.fill('#username', opts.username ?? '');
  await page.click('#login');
  const o = await outcome(page);
  if (opts.shots) await page.screenshot({ path: artifact(`${opts.shots}-3-login.png`), fullPage: true });
  return o;
}
