/**
 * The demo's Redis: the one at REDIS_URL when it answers; else a redis-server of its own
 * on a free loopback port, kept in memory and stopped with the demo; else a sentence
 * saying what to install.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { Redis } from 'ioredis';

export class DemoSetupError extends Error {}

export interface DemoRedis {
  url: string;
  /** Stops the redis-server the demo started; nothing when it used one already running. */
  stop(): Promise<void>;
  /** Said to the person: which Redis the demo uses. */
  origin: string;
}

const START_DEADLINE_MS = 10_000;

async function answers(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 1_000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

function findProgram(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/bin', '/opt/homebrew/bin'];
  for (const dir of dirs.filter(Boolean)) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function stopped(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

export async function demoRedis(url: string | undefined): Promise<DemoRedis> {
  const wanted = url ?? 'redis://127.0.0.1:6379';
  if (await answers(wanted)) return { url: wanted, stop: async () => {}, origin: `the Redis at ${wanted}` };
  const program = findProgram('redis-server');
  if (!program) {
    throw new DemoSetupError(
      `No Redis answered at ${wanted}, and redis-server is not installed.\n` +
        'Install it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis) and run npm run demo again,\n' +
        'or set REDIS_URL to a Redis that answers (docker run --rm -p 6379:6379 redis:7).',
    );
  }
  const port = await freePort();
  const child = spawn(program, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const own = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + START_DEADLINE_MS;
  while (!(await answers(own))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stopped(child);
      throw new DemoSetupError(
        `${program} did not answer on port ${port} within ${START_DEADLINE_MS / 1_000} s.${stderr ? `\nIt said: ${stderr.trim()}` : ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url: own, stop: () => stopped(child), origin: `a redis-server of its own on port ${port} (no Redis answered at ${wanted})` };
}

/** Deletes what an earlier demo left under `prefix`: the demo's Slack starts empty, so its Redis must too. */
export async function clearPrefix(url: string, prefix: string): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await client.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}
