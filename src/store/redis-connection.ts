import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisConfig, SentinelConfig } from '../config/load.js';
import { confirmWritesOn } from './redis-replication.js';

/** A demoted master answers writes with this; the error starts with it. */
const READONLY = 'READONLY';
/** How long a write waits for its replicas: they confirm within milliseconds unless one is gone. */
const REPLICA_WAIT_MS = 500;

/**
 * Fail fast while Redis is away, so Alertmanager gets a 503 and retries, instead of
 * requests hanging on an offline queue.
 */
const FAIL_FAST: RedisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  commandTimeout: 2_000,
  retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  // A master demoted by a failover (Sentinel, or a managed Redis behind one DNS name) keeps
  // the connection and refuses writes. Reconnecting finds the new master; the refused
  // command still fails, and its caller answers 503 so that Alertmanager retries it.
  reconnectOnError: (error) => error.message.startsWith(READONLY),
};

function sentinelOptions(sentinel: SentinelConfig): RedisOptions {
  return {
    sentinels: sentinel.nodes,
    name: sentinel.name,
    ...(sentinel.password === undefined ? {} : { sentinelPassword: sentinel.password }),
    // Subscribes to +switch-master on the sentinels and reconnects as soon as they promote
    // another node. Without it, writes go on to the old master until Sentinel demotes it
    // (seconds later) and are then lost when it resynchronises from the new one.
    failoverDetector: true,
    sentinelCommandTimeout: 2_000,
  };
}

/**
 * The bot's Redis client. With `sentinel` set, the master is asked of the sentinels on every
 * (re)connect and checked to be a master; REDIS_URL then gives only credentials and database.
 * Writes through it wait for `waitReplicas` replicas (replication.ts).
 */
export function connectRedis(config: RedisConfig, log: Logger): Redis {
  const { sentinel } = config;
  const redis = new Redis(config.url, { ...FAIL_FAST, ...(sentinel ? sentinelOptions(sentinel) : {}) });
  confirmWritesOn(redis, { replicas: config.waitReplicas, timeoutMs: REPLICA_WAIT_MS });
  let reported = false;
  let master: string | undefined;
  redis.on('error', (error) => {
    // Once per outage, and without a stack trace: where a connection failed says nothing a person can use.
    if (!reported) log.error({ reason: error.message, code: (error as NodeJS.ErrnoException).code }, 'Redis connection error; retrying');
    reported = true;
  });
  redis.on('ready', () => {
    if (reported) log.info('Redis connection restored');
    reported = false;
    if (!sentinel) return;
    const address = `${redis.stream.remoteAddress ?? '?'}:${redis.stream.remotePort ?? '?'}`;
    if (address !== master) log.info({ master: address, previous: master, sentinelName: sentinel.name }, 'Redis master found through Sentinel');
    master = address;
  });
  return redis;
}

/** Waits up to `waitMs` for a first Redis connection, then serves anyway (readyz says 503 meanwhile). */
export async function waitForRedis(redis: Redis, log: Logger, waitMs: number): Promise<void> {
  if (redis.status === 'ready') return;
  const ready = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), waitMs);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  if (!(await ready)) log.error({ waitedMs: waitMs }, 'Redis not reachable at start-up; serving anyway, /readyz answers 503 until it is');
}
