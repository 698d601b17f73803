/**
 * A plain redis-server of the test's own, on a free loopback port, that keeps its data
 * (append-only file) across a crash: the test can SIGKILL it and start it again on the
 * same port and data, as a supervisor would.
 *
 *   const redis = await startDurableRedis();
 *   await startBotProcess({ ..., redisUrl: redis.url });
 *   await redis.kill();      // SIGKILL: nothing flushed beyond what the AOF already has
 *   await redis.restart();   // same port, same data, answering PING again
 *   await redis.stop();
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { errorMessage, findExecutable, freePort, spawnTracked, type TrackedChild } from './child-process.js';
import { waitFor } from './wait.js';

export interface DurableRedis {
  url: string;
  /** SIGKILLs the server; resolves once it has exited. */
  kill(): Promise<void>;
  /** Starts it again on its port and data; resolves once it answers PING. */
  restart(): Promise<void>;
  /** The last lines it printed, for failure messages. */
  output(): string;
  /** Stops it and removes its data. Safe to call twice. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 20_000;

async function answersPing(port: number): Promise<boolean> {
  const client = new Redis({ host: HOST, port, lazyConnect: true, connectTimeout: 500, maxRetriesPerRequest: 0, retryStrategy: () => null });
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

export async function startDurableRedis(): Promise<DurableRedis> {
  const binary = findExecutable('redis-server');
  if (!binary) throw new Error('redis-server not found on PATH: install it with `apt-get install redis-server`');
  const port = await freePort();
  // One dir for every run: it holds the append-only file a restart reads back. It is each
  // run's working dir, removed when the last run is stopped (or the test process exits).
  const dir = mkdtempSync(join(tmpdir(), 'chatops-test-durable-redis-'));
  const args = ['--port', String(port), '--bind', HOST, '--dir', dir, '--daemonize', 'no', '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec'];
  const runs: TrackedChild[] = [];
  const current = () => runs.at(-1) as TrackedChild;

  const launch = async () => {
    const run = spawnTracked(binary, args, { dir, keepLines: 200, tailLines: 30 });
    runs.push(run);
    await waitFor(async () => run.exitInfo() !== undefined || (await answersPing(port)), {
      timeoutMs: READY_TIMEOUT_MS,
      message: `redis-server on port ${port} did not answer PING`,
    });
    const exit = run.exitInfo();
    if (exit) throw new Error(`redis-server exited at start (code ${exit.code}, signal ${exit.signal}):\n${run.output()}`);
  };

  // Runs end in reverse, so that a killed run removing the shared dir comes last.
  const stop = async () => {
    for (const run of [...runs].reverse()) await run.stop();
  };
  try {
    await launch();
  } catch (error) {
    await stop();
    throw new Error(errorMessage(error), { cause: error });
  }
  return {
    url: `redis://${HOST}:${port}`,
    kill: async () => {
      current().child.kill('SIGKILL');
      await current().exited;
    },
    restart: async () => {
      if (!current().exitInfo()) throw new Error(`redis-server on port ${port} is still running`);
      await launch();
    },
    output: () => current().output(),
    stop,
  };
}
