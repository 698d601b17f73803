import type { Redis } from 'ioredis';

/**
 * Writes confirmed by replicas (Redis WAIT) before the bot acts on them.
 *
 * Redis replicates asynchronously: a master acknowledges a write before any replica has it.
 * When Sentinel promotes a replica, the old master keeps acknowledging writes until the
 * bot learns of the switch (a second or two), and loses them all when it is demoted and
 * resynchronised. A write every replica has survives, whichever one is promoted, so
 * `replicas` should be all of them: with fewer, the one that confirmed may not be the one
 * promoted. A write not confirmed in time fails like an unreachable Redis (a webhook gets
 * 503 and Alertmanager retries it), though it may have been made: not confirmed is not
 * undone.
 *
 * The policy belongs to the connection, not to each store: WAIT covers every earlier
 * write of the connection it is sent on, and all stores share one.
 */
export interface ReplicationPolicy {
  /** Replicas that must have each write; 0 confirms nothing. */
  replicas: number;
  /** How long a write may wait for them. */
  timeoutMs: number;
}

/**
 * One WAIT for every write that completed in the same turn of the event loop: a WAIT
 * sent after a write's reply covers that write, so writes finishing together share it.
 */
class ReplicaAcks {
  private next: Promise<void> | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly policy: ReplicationPolicy,
  ) {}

  confirm(): Promise<void> {
    this.next ??= new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
      // From here on, a write that completes needs a later WAIT than this one.
      this.next = undefined;
      const acked = await this.redis.wait(this.policy.replicas, this.policy.timeoutMs);
      // A plain Error: trying again resolves it, and the store wraps it as Redis unavailable.
      if (acked < this.policy.replicas) {
        throw new Error(`the write reached ${acked} of ${this.policy.replicas} replica(s) within ${this.policy.timeoutMs} ms; a failover could lose it`);
      }
    });
    return this.next;
  }
}

const policies = new WeakMap<Redis, ReplicaAcks>();

/** From now on, writes through `redis` by the stores wait for `policy.replicas` replicas. */
export function confirmWritesOn(redis: Redis, policy: ReplicationPolicy): void {
  if (policy.replicas > 0) policies.set(redis, new ReplicaAcks(redis, policy));
}

/** Resolves once the writes made so far through `redis` are on enough replicas; at once without a policy. */
export async function writesReplicated(redis: Redis): Promise<void> {
  await policies.get(redis)?.confirm();
}
