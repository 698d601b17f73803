/**
 * Vitest globalSetup: make sure a Redis is reachable for the tests.
 *
 *   1. If a Redis answers PING at REDIS_URL (default redis://127.0.0.1:6379)
 *      within ~1 s, use it.
 *   2. Otherwise, if `redis-server` is on PATH, start a throwaway one on a free
 *      loopback port (no persistence, temp dir) and stop it on teardown.
 *   3. Otherwise fail with an explanation of what was tried and how to fix it.
 *
 * The URL is handed to the test workers with `project.provide('redisUrl', …)`
 * (read it with `testRedisUrl()`), and also set as process.env.REDIS_URL.
 *
 * The database is never flushed: each test must use its own REDIS_KEY_PREFIX.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, inject } from 'vitest';
import type { TestProject } from 'vitest/node';
import { errorMessage, findExecutable, freePort, spawnTracked } from './child-process.js';
import { waitFor } from './wait.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
const PROBE_TIMEOUT_MS = 1000;
const START_TIMEOUT_MS = 10_000;
const LOG_KEEP_LINES = 200;
const LOG_TAIL_LINES = 30;

/** The Redis URL provided by the globalSetup; call it from test files. */
export function testRedisUrl(): string {
  const provided = inject('redisUrl');
  if (provided) return provided;
  const fromEnv = process.env.REDIS_URL;
  if (fromEnv) return fromEnv;
  throw new Error(
    "testRedisUrl(): no Redis URL was provided. Add globalSetup: ['test/support/redis.ts'] " + 'to vitest.config.ts (test.globalSetup), or set REDIS_URL.',
  );
}

/**
 * A Redis client for one test file and fresh key prefixes on it; every key under them is
 * deleted and the client closed after the file.
 */
export function prefixedRedis(kind: string): { redis: Redis; newPrefix: () => string } {
  const redis = new Redis(testRedisUrl());
  const prefixes: string[] = [];
  afterAll(async () => {
    for (const prefix of prefixes) {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
    }
    redis.disconnect();
  });
  const newPrefix = () => {
    const prefix = `test:${kind}:${randomUUID()}:`;
    prefixes.push(prefix);
    return prefix;
  };
  return { redis, newPrefix };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const explicitUrl = process.env.REDIS_URL;
  const configuredUrl = explicitUrl || DEFAULT_REDIS_URL;
  const tried: string[] = [];

  const probe = await pingRedis(configuredUrl, PROBE_TIMEOUT_MS);
  if (probe.ok) {
    publish(project, configuredUrl);
    return async () => {};
  }
  tried.push(`PING ${redact(configuredUrl)} (${explicitUrl ? 'from REDIS_URL' : 'default'}) ` + `did not answer within ${PROBE_TIMEOUT_MS} ms: ${probe.error}`);

  const redisServer = findExecutable('redis-server');
  if (!redisServer) {
    tried.push('`redis-server` was not found on PATH, so no local Redis could be started');
    throw new Error(
      'No Redis available for the tests.\n' +
        tried.map((t) => `  - ${t}`).join('\n') +
        '\nFix: install Redis (Debian/Ubuntu: `apt-get install redis-server`) so the tests can ' +
        'start a throwaway instance, or point REDIS_URL at a running Redis ' +
        '(e.g. REDIS_URL=redis://127.0.0.1:6379 npm test).',
    );
  }

  if (explicitUrl) {
    console.warn(`[test/support/redis] REDIS_URL=${redact(explicitUrl)} does not answer PING; starting a throwaway redis-server instead.`);
  }

  let server: LocalRedis | undefined;
  let lastError: unknown;
  // The free port is found by binding port 0 and closing it, so another process
  // could grab it in between; retry a couple of times in that case.
  for (let attempt = 1; attempt <= 3 && !server; attempt++) {
    try {
      server = await startRedisServer(redisServer);
    } catch (err) {
      lastError = err;
      tried.push(`started ${redisServer} (attempt ${attempt}): ${errorMessage(err)}`);
      if (!/address already in use/i.test(errorMessage(err))) break;
    }
  }
  if (!server) {
    throw new Error(
      'No Redis available for the tests.\n' +
        tried.map((t) => `  - ${t}`).join('\n') +
        '\nFix: make sure `redis-server` can run here, or point REDIS_URL at a running Redis.',
      { cause: lastError },
    );
  }

  publish(project, server.url);
  const started = server;
  return async () => {
    await started.stop();
  };
}

function publish(project: TestProject, url: string): void {
  process.env.REDIS_URL = url;
  project.provide('redisUrl', url);
}

interface LocalRedis {
  url: string;
  stop(): Promise<void>;
}

async function startRedisServer(binary: string): Promise<LocalRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'chatops-test-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  const args = ['--save', '', '--appendonly', 'no', '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--daemonize', 'no'];
  const server = spawnTracked(binary, args, {
    dir,
    keepLines: LOG_KEEP_LINES,
    tailLines: LOG_TAIL_LINES,
  });

  try {
    // Stops polling as soon as the server is up, or as soon as it has died.
    await waitFor(async () => server.exitInfo() !== undefined || (await pingRedis(url, 500)).ok, {
      timeoutMs: START_TIMEOUT_MS,
      intervalMs: 50,
      message: `redis-server on port ${port} did not answer PING`,
    });
    const exitInfo = server.exitInfo();
    if (exitInfo) {
      throw new Error(`redis-server exited early (code ${exitInfo.code}, signal ${exitInfo.signal})`);
    }
  } catch (err) {
    await server.stop();
    throw new Error(`${errorMessage(err)}\n--- redis-server output (last lines) ---\n${server.output()}`, { cause: err });
  }

  return { url, stop: server.stop };
}

async function pingRedis(url: string, timeoutMs: number): Promise<{ ok: true } | { ok: false; error: string }> {
  let client: Redis | undefined;
  let timer: NodeJS.Timeout | undefined;
  let socketError: Error | undefined;
  try {
    client = new Redis(url, {
      lazyConnect: true,
      connectTimeout: timeoutMs,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    // With retries off, connect() only says "Connection is closed"; the
    // 'error' event carries the real reason (ECONNREFUSED, NOAUTH, …).
    client.on('error', (err: Error) => {
      socketError ??= err;
    });
    const c = client;
    const reply = await Promise.race([
      c.connect().then(() => c.ping()),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return reply === 'PONG' ? { ok: true } : { ok: false, error: `unexpected reply ${reply}` };
  } catch (err) {
    return { ok: false, error: errorMessage(socketError ?? err) };
  } finally {
    if (timer) clearTimeout(timer);
    client?.disconnect();
  }
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}
