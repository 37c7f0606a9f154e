import { defineConfig } from 'vitest/config';

// End-to-end tests drive the built app in Debian's Chromium; one file at a time keeps the
// two cores of these machines from starving each browser.
export default defineConfig({
  test: {
    include: ['tests/e2e/**/*.e2e.test.ts'],
    environment: 'node',
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
