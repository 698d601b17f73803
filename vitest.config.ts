import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/redis.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Integration tests bind loopback ports and share one Redis; files still run in parallel.
    pool: 'forks',
    // Most files wait on I/O (HTTP, Redis, sshd, child processes), not on the CPU, so twice as
    // many forks as cores keeps the cores busy. Vitest's default is one fork fewer than the
    // cores: on 2 cores, one file at a time.
    maxWorkers: Math.max(2, availableParallelism() * 2),
  },
});
