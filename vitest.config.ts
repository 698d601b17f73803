import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/redis.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Integration tests bind loopback ports and share one Redis; files still run in parallel.
    pool: 'forks',
  },
});
