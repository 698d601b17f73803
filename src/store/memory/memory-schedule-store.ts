import type { ScheduleMemory } from '../../scheduler/scheduled-runbooks.js';
import type { MemoryKeyspace } from './keyspace.js';

/** The twin of RedisScheduleStore: the digest is swapped in one step (SET … GET) and lapses after the retention period. */
export class MemoryScheduleStore implements ScheduleMemory {
  constructor(
    private readonly keyspace: MemoryKeyspace,
    private readonly retentionMs: number,
  ) {}

  async swapDigest(runbookId: string, actionId: string, digest: string): Promise<string | undefined> {
    const key = `schedule:${runbookId}:${actionId}:digest`;
    const previous = this.keyspace.read<string>(key);
    this.keyspace.write(key, digest, this.retentionMs);
    return previous;
  }
}
