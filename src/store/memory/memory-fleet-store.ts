import type { RolloutClaim, RolloutState, RolloutStateStore } from '../../fleet/rollout-state.js';
import type { HostOutcome, HostResultStore } from '../../fleet/rollout-runner.js';
import type { MemoryKeyspace } from './keyspace.js';
import { MemoryBase } from './memory-base.js';

/** Per host: started and waiting for its outcome, or the outcome. */
type HostResults = Map<string, 'started' | HostOutcome>;

/** The twin of RedisFleetStore: per-host results, the rollout's state and the renewed claim of its runner. */
export class MemoryFleetStore extends MemoryBase implements HostResultStore, RolloutStateStore {
  constructor(
    keyspace: MemoryKeyspace,
    private readonly retentionMs: number,
  ) {
    super(keyspace);
  }

  async rolloutState(actionId: string): Promise<RolloutState | undefined> {
    const state = this.keyspace.read<RolloutState>(`rollout:${actionId}:state`);
    return state && { ...state };
  }

  async setRolloutState(actionId: string, state: RolloutState): Promise<void> {
    this.keyspace.write(`rollout:${actionId}:state`, { ...state }, this.retentionMs);
  }

  async claimRollout(actionId: string, ttlMs: number): Promise<RolloutClaim | undefined> {
    const claim = await this.renewableKey(`rollout:${actionId}:runner`, ttlMs);
    return claim && { renew: () => claim.renew(ttlMs), release: () => claim.release() };
  }

  async results(rolloutId: string): Promise<HostOutcome[]> {
    return [...this.hosts(rolloutId).values()].flatMap((value) => (value === 'started' ? [] : [{ ...value }]));
  }

  async unfinished(rolloutId: string): Promise<string[]> {
    return [...this.hosts(rolloutId).entries()].filter(([, value]) => value === 'started').map(([host]) => host);
  }

  async started(rolloutId: string, hosts: readonly string[]): Promise<void> {
    if (hosts.length === 0) return;
    this.recordEach(rolloutId, (results) => {
      for (const host of hosts) results.set(host, 'started');
    });
  }

  async record(rolloutId: string, outcome: HostOutcome): Promise<void> {
    this.recordEach(rolloutId, (results) => results.set(outcome.host, { ...outcome }));
  }

  /** HSET then PEXPIRE: every write keeps the results for the retention period from now. */
  private recordEach(rolloutId: string, change: (results: HostResults) => void): void {
    const key = `rollout:${rolloutId}:hosts`;
    this.keyspace.update<HostResults>(key, () => new Map(), change);
    this.keyspace.expire(key, this.retentionMs);
  }

  private hosts(rolloutId: string): HostResults {
    return this.keyspace.read<HostResults>(`rollout:${rolloutId}:hosts`) ?? new Map();
  }
}
