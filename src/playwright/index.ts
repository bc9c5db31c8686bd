/**
 * softkey/playwright: attach(page | context, key) (bridge/playwright.ts) and a Playwright Test
 * fixture. `import { test, expect } from 'softkey/playwright'` gives each test a fresh in-memory
 * softkey key, already attached to its `context` (every page, popup and same-origin iframe), as the
 * `softkey` fixture; `test.use({ softkeyOptions: { dataDir } })` keeps credentials in a directory
 * instead, to share them between tests or runs.
 *
 * @playwright/test and playwright-core are optional peer dependencies: without @playwright/test,
 * attach() works and using `test` throws an error that says what to install.
 */
import type {
  Expect,
  PlaywrightTestArgs,
  PlaywrightTestOptions,
  PlaywrightWorkerArgs,
  PlaywrightWorkerOptions,
  TestType,
} from '@playwright/test';
import { attach } from '../bridge/playwright.js';
import { openSoftKey, type OpenSoftKeyOptions, type SoftKey } from '../main/softkey.js';

export { attach, type AttachOptions, type AttachableKey, type Attachment } from '../bridge/playwright.js';

export interface SoftkeyFixtures {
  /** The test's key, attached to `context` before the test body runs. */
  softkey: SoftKey;
  /** openSoftKey() options for the fixture's key; default { dataDir: ':memory:' }. */
  softkeyOptions: OpenSoftKeyOptions;
}

export type SoftkeyTest = TestType<
  PlaywrightTestArgs & PlaywrightTestOptions & SoftkeyFixtures,
  PlaywrightWorkerArgs & PlaywrightWorkerOptions
>;

const playwrightTest = await import('@playwright/test').catch(() => undefined);

function missing(): never {
  throw new Error("softkey/playwright's test fixture needs @playwright/test: npm install --save-dev @playwright/test");
}

export const test: SoftkeyTest = playwrightTest
  ? playwrightTest.test.extend<SoftkeyFixtures>({
      softkeyOptions: [{ dataDir: ':memory:' }, { option: true }],
      softkey: [
        async ({ context, softkeyOptions }, use) => {
          const key = await openSoftKey({ dataDir: ':memory:', ...softkeyOptions });
          try {
            await attach(context, key);
            await use(key);
          } finally {
            await key.close();
          }
        },
        { auto: true },
      ],
    })
  : (new Proxy(missing, { get: missing, apply: missing }) as unknown as SoftkeyTest);

export const expect: Expect = playwrightTest
  ? playwrightTest.expect
  : (new Proxy(missing, { get: missing, apply: missing }) as unknown as Expect);
