import type { IncidentRoom } from '../../incidents/incident.js';
import type { RoomCreations } from '../../incidents/war-room.js';
import type { MemoryKeyspace } from './keyspace.js';

/** The twin of RedisRoomCreations. */
export class MemoryRoomCreations implements RoomCreations {
  constructor(
    private readonly keyspace: MemoryKeyspace,
    private readonly ttlMs: number,
  ) {}

  async remember(incidentId: string, room: IncidentRoom): Promise<void> {
    this.keyspace.write(`room-created:${incidentId}`, { ...room }, this.ttlMs);
  }

  async recall(incidentId: string): Promise<IncidentRoom | undefined> {
    const room = this.keyspace.read<IncidentRoom>(`room-created:${incidentId}`);
    return room ? { ...room } : undefined;
  }
}
