/**
 * In-memory twins of every store port, for use-case tests without Redis. They keep what
 * the Redis adapters keep, under the same keys, with the same compare-and-set, leases,
 * cooldowns and expiries; test/contract runs one suite against both.
 */
import { MemoryKeyspace, type Clock } from './keyspace.js';
import { MemoryActionStore } from './memory-action-store.js';
import { MemoryFleetStore } from './memory-fleet-store.js';
import { MemoryFloodStore } from './memory-flood-store.js';
import { MemoryIncidentStore } from './memory-incident-store.js';
import { MemoryScheduleStore } from './memory-schedule-store.js';

export { MemoryKeyspace, type Clock } from './keyspace.js';
export { MemoryActionStore } from './memory-action-store.js';
export { MemoryDeployGuardStore } from './memory-deploy-guard-store.js';
export { MemoryFleetStore } from './memory-fleet-store.js';
export { MemoryFloodStore } from './memory-flood-store.js';
export { MemoryIncidentStore } from './memory-incident-store.js';
export { MemoryIncidentLocator } from './memory-locator.js';
export { MemoryRoomCreations } from './memory-room-creations.js';
export { MemoryScheduleStore } from './memory-schedule-store.js';
export { MemorySeenSignatures } from './memory-seen-signatures.js';
export { MemoryWatchStore } from './memory-watch-store.js';

export interface MemoryStoreOptions {
  /** Defaults to Date.now; tests pass a clock they move by hand to see leases, cooldowns and retention lapse. */
  clock?: Clock;
  reopenWindowMs?: number;
  retentionMs?: number;
}

export interface MemoryStores {
  keyspace: MemoryKeyspace;
  incidents: MemoryIncidentStore;
  actions: MemoryActionStore;
  fleet: MemoryFleetStore;
  schedule: MemoryScheduleStore;
  flood: MemoryFloodStore;
}

/** Every store on one keyspace, as the Redis adapters of one bot share one Redis and one key prefix. */
export function memoryStores({ clock, reopenWindowMs = 30 * 60_000, retentionMs = 30 * 24 * 3_600_000 }: MemoryStoreOptions = {}): MemoryStores {
  const keyspace = new MemoryKeyspace(clock);
  return {
    keyspace,
    incidents: new MemoryIncidentStore(keyspace, { reopenWindowMs, retentionMs }),
    actions: new MemoryActionStore(keyspace, { retentionMs }),
    fleet: new MemoryFleetStore(keyspace, retentionMs),
    schedule: new MemoryScheduleStore(keyspace, retentionMs),
    flood: new MemoryFloodStore(keyspace, retentionMs),
  };
}
