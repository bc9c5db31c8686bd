// Playwright Test config for the softkey/playwright fixture test (run by fixture.test.ts):
// Debian's Chromium, nothing downloaded.
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.mjs',
  workers: 1,
  outputDir: '../../test-artifacts/playwright-fixture',
  reporter: [['json']],
  use: {
    browserName: 'chromium',
    launchOptions: {
      executablePath: process.env.SOFTKEY_CHROMIUM ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu'],
    },
  },
});
