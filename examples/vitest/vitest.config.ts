import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'jsdom', // or 'happy-dom'
    environmentOptions: { jsdom: { url: 'https://example.com/' } },
    hookTimeout: 30_000, // the first installSoftkey() starts the key's thread: a second or more on a busy machine
    testTimeout: 30_000,
  },
});
