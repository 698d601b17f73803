import type { Redis } from 'ioredis';
import type { RolloutClaim, RolloutState, RolloutStateStore } from '../fleet/rollout-state.js';
import type { HostOutcome, HostResultStore } from '../fleet/rollout-runner.js';
import { RedisBase } from './redis-base.js';
import { StoredHostOutcome, StoredRolloutState } from './schema.js';

/** A host marked started whose outcome has not been recorded yet. */
const STARTED = '"started"';

/**
 * Fleet rollouts in Redis. Per-host results: a hash keyed by host, holding either the
 * marker that the host was started or its outcome, so a retry reads what succeeded and
 * what was cut short. The rollout's state, and the claim of the process running it, which
 * that process keeps renewing: when it dies, the claim lapses and another one resumes.
 */
export class RedisFleetStore extends RedisBase implements HostResultStore, RolloutStateStore {
  constructor(
    redis: Redis,
    keyPrefix: string,
    private readonly retentionMs: number,
  ) {
    super(redis, keyPrefix);
  }

  async rolloutState(actionId: string): Promise<RolloutState | undefined> {
    const key = this.key('rollout', actionId, 'state');
    const raw = await this.guard(() => this.redis.get(key));
    return raw ? this.parse(StoredRolloutState, key, raw) : undefined;
  }

  async setRolloutState(actionId: string, state: RolloutState): Promise<void> {
    await this.write(() => this.redis.set(this.key('rollout', actionId, 'state'), JSON.stringify(state), 'PX', this.retentionMs));
  }

  async claimRollout(actionId: string, ttlMs: number): Promise<RolloutClaim | undefined> {
    const claim = await this.renewableKey(this.key('rollout', actionId, 'runner'), ttlMs);
    return claim && { renew: () => claim.renew(ttlMs), release: () => claim.release() };
  }

  async results(rolloutId: string): Promise<HostOutcome[]> {
    const key = this.hostsKey(rolloutId);
    const raw = await this.guard(() => this.redis.hvals(key));
    return raw.filter((line) => line !== STARTED).map((line) => this.parse(StoredHostOutcome, key, line));
  }

  async unfinished(rolloutId: string): Promise<string[]> {
    const all = await this.guard(() => this.redis.hgetall(this.hostsKey(rolloutId)));
    return Object.entries(all)
      .filter(([, value]) => value === STARTED)
      .map(([host]) => host);
  }

  async started(rolloutId: string, hosts: readonly string[]): Promise<void> {
    if (hosts.length === 0) return;
    const key = this.hostsKey(rolloutId);
    await this.write(() =>
      this.redis
        .multi()
        .hset(key, Object.fromEntries(hosts.map((host) => [host, STARTED])))
        .pexpire(key, this.retentionMs)
        .exec(),
    );
  }

  async record(rolloutId: string, outcome: HostOutcome): Promise<void> {
    const key = this.hostsKey(rolloutId);
    await this.write(() => this.redis.multi().hset(key, outcome.host, JSON.stringify(outcome)).pexpire(key, this.retentionMs).exec());
  }

  private hostsKey(rolloutId: string): string {
    return this.key('rollout', rolloutId, 'hosts');
  }
}
