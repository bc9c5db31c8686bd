// Run: node --experimental-vm-modules node_modules/jest/bin/jest.js --config examples/jest/jest.config.mjs
// (softkey is an ES module package: Jest loads it through its ESM support.)
export default {
  testEnvironment: 'jsdom',
  testEnvironmentOptions: { url: 'https://example.com/' },
  transform: {},
  setupFiles: ['<rootDir>/jest.setup.mjs'],
  testMatch: ['**/*.test.mjs'],
  testTimeout: 30_000, // the first installSoftkey() starts the key's thread: a second or more on a busy machine
};
