import type { CaptureClaims, IncidentLocator } from '../../incidents/locator.js';
import { locatorKeys } from '../locator-keys.js';
import type { MemoryKeyspace } from './keyspace.js';

/** The twin of RedisIncidentLocator, on the keyspace the memory incident store binds threads in. */
export class MemoryIncidentLocator implements IncidentLocator, CaptureClaims {
  constructor(
    private readonly keyspace: MemoryKeyspace,
    private readonly retentionMs: number,
  ) {}

  async incidentForThread(channel: string, threadTs: string): Promise<string | undefined> {
    return this.keyspace.read<string>(locatorKeys.thread(channel, threadTs).join(':'));
  }

  async incidentForRoom(channel: string): Promise<string | undefined> {
    return this.keyspace.read<string>(locatorKeys.room(channel).join(':'));
  }

  async bindRoom(channel: string, incidentId: string): Promise<void> {
    this.keyspace.write(locatorKeys.room(channel).join(':'), incidentId, this.retentionMs);
  }

  async claimCapture(incidentId: string, channel: string, ts: string, holdMs: number): Promise<boolean> {
    return this.keyspace.writeIfAbsent(locatorKeys.capture(incidentId, channel, ts).join(':'), '1', holdMs);
  }

  async confirmCapture(incidentId: string, channel: string, ts: string): Promise<void> {
    this.keyspace.expire(locatorKeys.capture(incidentId, channel, ts).join(':'), this.retentionMs);
  }

  async releaseCapture(incidentId: string, channel: string, ts: string): Promise<void> {
    this.keyspace.delete(locatorKeys.capture(incidentId, channel, ts).join(':'));
  }
}
