/**
 * What the contract suite runs against: one factory per implementation of the store ports,
 * each giving a fresh, empty set of stores per test and a way to let time pass for them.
 */
import type { ActionStore } from '../../src/actions/store.js';
import type { RolloutStateStore } from '../../src/fleet/rollout-state.js';
import type { HostResultStore } from '../../src/fleet/rollout-runner.js';
import type { IncidentStore, MessageRefStore } from '../../src/incidents/store.js';
import type { ScheduleMemory } from '../../src/scheduler/scheduled-runbooks.js';
import { memoryStores } from '../../src/store/memory/index.js';
import { RedisActionStore } from '../../src/store/redis-action-store.js';
import { RedisFleetStore } from '../../src/store/redis-fleet-store.js';
import { RedisScheduleStore } from '../../src/store/redis-schedule-store.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { manualClock } from '../support/clock.js';
import { prefixedRedis } from '../support/redis.js';

/** Windows the stores are built with; a case lets time pass relative to them. */
export const REOPEN_WINDOW_MS = 10 * 60_000;
export const RETENTION_MS = 24 * 3_600_000;

export interface Stores {
  incidents: IncidentStore & MessageRefStore;
  actions: ActionStore;
  fleet: HostResultStore & RolloutStateStore;
  schedule: ScheduleMemory;
  /** Moves the stores' time on by `ms`: every lease, cooldown and expiry is that much closer. */
  elapse(ms: number): Promise<void>;
}

export interface StoreFactory {
  name: string;
  /** Fresh stores for one test, sharing nothing with another test's. */
  open(): Promise<Stores>;
}

export function memoryFactory(): StoreFactory {
  return {
    name: 'memory',
    open: async () => {
      const clock = manualClock();
      const stores = memoryStores({ clock: clock.now, reopenWindowMs: REOPEN_WINDOW_MS, retentionMs: RETENTION_MS });
      return {
        incidents: stores.incidents,
        actions: stores.actions,
        fleet: stores.fleet,
        schedule: stores.schedule,
        elapse: async (ms) => clock.advance(ms),
      };
    },
  };
}

/**
 * The production adapters on the test Redis, a key prefix per test. Time passes without
 * waiting for it: every key of the prefix with an expiry gets that expiry shortened by
 * `ms`, and a key whose expiry would have passed is deleted, as Redis would have.
 */
/** Time passing for the keys under `keyPrefix`: each expiry shortened by `ms`, a key whose expiry would have passed deleted. */
export function elapseRedis(redis: ReturnType<typeof prefixedRedis>['redis'], keyPrefix: string): (ms: number) => Promise<void> {
  return async (ms) => {
    for (const key of await redis.keys(`${keyPrefix}*`)) {
      const ttl = await redis.pttl(key);
      if (ttl < 0) continue;
      if (ttl <= ms) await redis.del(key);
      else await redis.pexpire(key, ttl - ms);
    }
  };
}

export function redisFactory(): StoreFactory {
  const { redis, newPrefix } = prefixedRedis('contract');
  return {
    name: 'redis',
    open: async () => {
      const keyPrefix = newPrefix();
      return {
        incidents: new RedisStore(redis, { keyPrefix, reopenWindowMs: REOPEN_WINDOW_MS, retentionMs: RETENTION_MS }),
        actions: new RedisActionStore(redis, { keyPrefix, retentionMs: RETENTION_MS }),
        fleet: new RedisFleetStore(redis, keyPrefix, RETENTION_MS),
        schedule: new RedisScheduleStore(redis, keyPrefix, RETENTION_MS),
        elapse: elapseRedis(redis, keyPrefix),
      };
    },
  };
}
