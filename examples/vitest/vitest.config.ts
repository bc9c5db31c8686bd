import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'jsdom', // or 'happy-dom'
    environmentOptions: { jsdom: { url: 'https://example.com/' } },
  },
});
