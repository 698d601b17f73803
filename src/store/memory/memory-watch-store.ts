import type { WatchStore } from '../../actions/watch-store.js';
import type { Watch } from '../../verify/rollback-verification.js';
import type { MemoryKeyspace } from './keyspace.js';

/** The twin of RedisWatchStore: a document per watch (as JSON, so nothing a caller holds is shared) and the due set. */
export class MemoryWatchStore implements WatchStore {
  constructor(
    private readonly keyspace: MemoryKeyspace,
    private readonly retentionMs: number,
  ) {}

  async addWatch(watch: Watch): Promise<void> {
    if (this.keyspace.read<string>(watchKey(watch.actionId)) === undefined) this.save(watch);
  }

  async getWatch(actionId: string): Promise<Watch | undefined> {
    const doc = this.keyspace.read<string>(watchKey(actionId));
    return doc === undefined ? undefined : (JSON.parse(doc) as Watch);
  }

  async dueWatches(now: number, limit: number): Promise<Watch[]> {
    const due = Object.entries(this.keyspace.read<Record<string, number>>(DUE_KEY) ?? {})
      .filter(([, at]) => at <= now)
      .sort(([a, x], [b, y]) => x - y || (a < b ? -1 : 1))
      .slice(0, limit);
    const watches: Watch[] = [];
    for (const [id] of due) {
      const watch = await this.getWatch(id);
      if (watch) watches.push(watch);
      else this.unschedule(id);
    }
    return watches;
  }

  async saveWatch(watch: Watch, expectedRounds: number): Promise<boolean> {
    const current = await this.getWatch(watch.actionId);
    if (current?.rounds !== expectedRounds) return false;
    this.save(watch);
    return true;
  }

  async removeWatch(actionId: string): Promise<void> {
    this.keyspace.delete(watchKey(actionId));
    this.unschedule(actionId);
  }

  private save(watch: Watch): void {
    this.keyspace.write(watchKey(watch.actionId), JSON.stringify(watch), this.retentionMs);
    this.keyspace.update<Record<string, number>>(
      DUE_KEY,
      () => ({}),
      (due) => {
        due[watch.actionId] = watch.dueAt;
      },
    );
  }

  private unschedule(actionId: string): void {
    this.keyspace.update<Record<string, number>>(
      DUE_KEY,
      () => ({}),
      (due) => {
        delete due[actionId];
      },
    );
  }
}

const DUE_KEY = 'verify:due';
const watchKey = (actionId: string) => `verify:watch:${actionId}`;
