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
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import type { TestProject } from 'vitest/node';
import { waitFor } from './wait.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
const PROBE_TIMEOUT_MS = 1000;
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5000;
const LOG_TAIL_LINES = 30;

/** The Redis URL provided by the globalSetup; call it from test files. */
export function testRedisUrl(): string {
  const provided = inject('redisUrl');
  if (provided) return provided;
  const fromEnv = process.env.REDIS_URL;
  if (fromEnv) return fromEnv;
  throw new Error(
    "testRedisUrl(): no Redis URL was provided. Add globalSetup: ['test/support/redis.ts'] " +
      'to vitest.config.ts (test.globalSetup), or set REDIS_URL.',
  );
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
  tried.push(
    `PING ${redact(configuredUrl)} (${explicitUrl ? 'from REDIS_URL' : 'default'}) ` +
      `did not answer within ${PROBE_TIMEOUT_MS} ms: ${probe.error}`,
  );

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
    console.warn(
      `[test/support/redis] REDIS_URL=${redact(explicitUrl)} does not answer PING; ` +
        `starting a throwaway redis-server instead.`,
    );
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
  const args = [
    '--save', '',
    '--appendonly', 'no',
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--daemonize', 'no',
  ];
  const child = spawn(binary, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = captureLog(child);
  const exited = exitPromise(child);
  const untrack = trackChild(child, dir);

  const cleanup = async () => {
    await stopChild(child, exited);
    untrack();
    rmSync(dir, { recursive: true, force: true });
  };

  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void exited.then((info) => {
    exitInfo = info;
  });

  try {
    // Stops polling as soon as the server is up, or as soon as it has died.
    await waitFor(async () => exitInfo !== undefined || (await pingRedis(url, 500)).ok, {
      timeoutMs: START_TIMEOUT_MS,
      intervalMs: 50,
      message: `redis-server on port ${port} did not answer PING`,
    });
    if (exitInfo) {
      throw new Error(`redis-server exited early (code ${exitInfo.code}, signal ${exitInfo.signal})`);
    }
  } catch (err) {
    await cleanup();
    throw new Error(`${errorMessage(err)}\n--- redis-server output (last lines) ---\n${log()}`, {
      cause: err,
    });
  }

  return { url, stop: cleanup };
}

async function pingRedis(
  url: string,
  timeoutMs: number,
): Promise<{ ok: true } | { ok: false; error: string }> {
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

function findExecutable(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('could not allocate a port'))));
    });
  });
}

function captureLog(child: ChildProcess): () => string {
  const lines: string[] = [];
  const push = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim()) lines.push(line);
    }
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout?.on('data', push);
  child.stderr?.on('data', push);
  child.on('error', (err) => lines.push(`spawn error: ${err.message}`));
  return () => lines.slice(-LOG_TAIL_LINES).join('\n') || '(no output)';
}

// Children still running are killed if this process goes away without running
// the teardown (their temp dir is removed too): on 'exit', and on SIGTERM/SIGINT/SIGHUP (vitest stops its fork
// workers with SIGTERM, which skips 'exit' handlers). After killing them, the
// signal is re-raised if nobody else handles it, so the default action applies.
const liveChildren = new Map<ChildProcess, string>(); // child -> its temp dir
const EXIT_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

function killLiveChildren(): void {
  for (const [child, dir] of liveChildren) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
  liveChildren.clear();
}

function onExitSignal(signal: NodeJS.Signals): void {
  killLiveChildren();
  removeExitHooks();
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function installExitHooks(): void {
  process.on('exit', killLiveChildren);
  for (const signal of EXIT_SIGNALS) process.on(signal, onExitSignal);
}

function removeExitHooks(): void {
  process.removeListener('exit', killLiveChildren);
  for (const signal of EXIT_SIGNALS) process.removeListener(signal, onExitSignal);
}

function trackChild(child: ChildProcess, dir: string): () => void {
  if (liveChildren.size === 0) installExitHooks();
  liveChildren.set(child, dir);
  return () => {
    if (liveChildren.delete(child) && liveChildren.size === 0) removeExitHooks();
  };
}

function exitPromise(
  child: ChildProcess,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: child.exitCode, signal: child.signalCode }));
  });
}

async function stopChild(
  child: ChildProcess,
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    exited.then(() => false),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), STOP_TIMEOUT_MS);
    }),
  ]);
  if (timer) clearTimeout(timer);
  if (timedOut) {
    child.kill('SIGKILL');
    await exited;
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

function errorMessage(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length) {
    return err.errors.map((e) => errorMessage(e)).join('; ');
  }
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
