import type { SeenSignatures } from '../../slack/request-signature.js';
import type { MemoryKeyspace } from './keyspace.js';

/** The twin of RedisSeenSignatures, for one process. */
export class MemorySeenSignatures implements SeenSignatures {
  constructor(private readonly keyspace: MemoryKeyspace) {}

  async firstSeen(signature: string, ttlMs: number): Promise<boolean> {
    return this.keyspace.writeIfAbsent(`slack:signature:${signature}`, '1', ttlMs);
  }
}
