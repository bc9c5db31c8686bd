// README example (Browsers → Playwright Test): each test gets a fresh softkey key attached to its context.
import { test, expect } from 'softkey/playwright';

const demo = process.env.SOFTKEY_DEMO_URL;

async function register(page, username) {
  await page.goto(demo);
  await page.fill('#username', username);
  await page.click('#register');
  await page.waitForURL(/\/credentials\//);
}

async function signIn(page, username = '') {
  await page.goto(new URL('/login', demo).href);
  await page.fill('#username', username);
  await page.click('#login');
  await expect(page.locator('#status')).toHaveAttribute('data-state', /success|error/);
  return page.locator('#status').textContent();
}

test('registers and signs in with the fixture key', async ({ page, softkey }) => {
  expect(softkey.control.credentials()).toHaveLength(0);
  await register(page, 'Grace');
  expect(await signIn(page)).toContain('Signed in as Grace');
  expect(softkey.control.credentials()).toHaveLength(1);
});

test('deliberately wrong answers through key.control.override: the demo refuses each, with its reason', async ({
  page,
  softkey,
}) => {
  await register(page, 'Wrong');
  expect(await signIn(page)).toContain('Signed in as Wrong'); // the RP now holds a non-zero counter
  softkey.control.override({ answer: 'client-data-cross-origin', once: true });
  expect(await signIn(page)).toContain('crossOrigin: true');
  softkey.control.override({ answer: 'counter-backwards', once: true });
  expect(await signIn(page)).toMatch(/Response counter value \d+ was lower than expected/);
  expect(softkey.control.overrides().armed).toEqual([]);
  expect(await signIn(page)).toContain('Signed in as Wrong');
});

test('the next test starts with a fresh key', async ({ softkey }) => {
  expect(softkey.control.credentials()).toHaveLength(0);
});

test('popups of the context have the key too', async ({ page, softkey }) => {
  await page.goto(demo);
  const [popup] = await Promise.all([page.waitForEvent('popup'), page.evaluate((url) => window.open(url), demo)]);
  await popup.waitForLoadState();
  await popup.fill('#username', 'Popup');
  await popup.click('#register');
  await popup.waitForURL(/\/credentials\//);
  expect(softkey.control.credentials()).toHaveLength(1);
});

test.describe('with a persistent data dir', () => {
  test.describe.configure({ mode: 'serial' });
  test.use({ softkeyOptions: { dataDir: process.env.SOFTKEY_FIXTURE_DIR } });

  test('enrols', async ({ page }) => {
    await register(page, 'Kept');
  });

  test('a later test signs in with the kept credential', async ({ page, softkey }) => {
    expect(softkey.control.credentials()).toHaveLength(1);
    expect(await signIn(page)).toContain('Signed in as Kept');
  });
});
