/**
 * Opening and closing an incident's war room: one channel per incident, however many
 * clicks, commands or replicas ask at once. The creation is claimed per incident in Redis,
 * done (channel, topic, invitations) before it is recorded, and recorded with the incident's
 * compare-and-set: a replica that dies half-way leaves a channel the next attempt adopts.
 */
import { severityOf, type Incident, type IncidentRoom } from './incident.js';
import { awaitsAutomaticRoom, hasOpenRoom, roomName } from './room.js';
import type { IncidentService } from './service.js';
import type { MessageRefStore } from './store.js';

/** The Slack side of a room. */
export interface RoomChannels {
  /**
   * Creates a channel named `name`, or finds the one this bot created under that name after an
   * ambiguous answer; 'taken' when a channel has that name (a crash's channel is in RoomCreations).
   */
  create(name: string): Promise<IncidentRoom | 'taken'>;
  /** Best effort: a room without its topic or an invitee is still the room. */
  setTopic(channel: string, incident: Incident): Promise<void>;
  invite(channel: string, users: readonly string[]): Promise<void>;
  /** Archives the channel; one archived already counts as done. */
  archive(channel: string): Promise<void>;
}

/**
 * The channel a create answered, kept from that answer until long after the room is recorded:
 * a replica that dies before recording it leaves it here, and the next attempt adopts it
 * without listing Slack's channels.
 */
export interface RoomCreations {
  remember(incidentId: string, room: IncidentRoom): Promise<void>;
  recall(incidentId: string): Promise<IncidentRoom | undefined>;
}

export type RoomOpening =
  | { kind: 'opened' | 'already_open'; room: IncidentRoom }
  /** Another click or replica is opening it right now. */
  | { kind: 'busy' }
  | { kind: 'resolved' }
  /** Every name up to the last suffix belongs to another channel. */
  | { kind: 'no_name'; tried: string };

export type RoomClosing = { kind: 'archived' | 'already_archived' | 'not_resolved'; room: IncidentRoom } | { kind: 'no_room' };

export interface WarRoomOptions {
  incidents: IncidentService;
  channels: RoomChannels;
  lease: MessageRefStore['lease'];
  creations: RoomCreations;
  /** The members of the service's `oncall` user group ([] when it has none). */
  oncallMembers(service: string | undefined): Promise<string[]>;
  /** The severities at which the service's incidents get a room by themselves (services.yaml `war_room`). */
  autoSeverities(service: string | undefined): readonly string[] | undefined;
  /**
   * Told of the room before it is recorded (again after a crash, when the channel is adopted),
   * for whatever must know which incident a channel belongs to.
   */
  created?(room: IncidentRoom, incidentId: string): Promise<void>;
}

/** Long enough for a create, a lookup and the invitations; short enough that a crashed replica's claim lapses soon. */
const CREATION_LEASE_MS = 60_000;
/** Suffixes tried after the plain name (`-2` … `-20`). */
const MAX_NAME_ATTEMPTS = 20;
/** The requester of a room opened by the bot itself: nobody to invite. */
const BOT = 'bot';

export class WarRooms {
  constructor(private readonly options: WarRoomOptions) {}

  async open(incidentId: string, requester: string): Promise<RoomOpening> {
    const { incidents, lease } = this.options;
    const seen = await incidents.get(incidentId);
    // An archived room (closed, or gone from Slack) is the incident's past: a new one is opened.
    if (seen.room && hasOpenRoom(seen)) return { kind: 'already_open', room: seen.room };
    if (seen.state === 'resolved') return { kind: 'resolved' };
    const release = await lease(`room:${incidentId}`, CREATION_LEASE_MS);
    if (!release) return { kind: 'busy' };
    try {
      // Read again under the claim: the holder before us may have recorded it just now.
      const incident = await incidents.get(incidentId);
      if (incident.room && hasOpenRoom(incident)) return { kind: 'already_open', room: incident.room };
      const created = (await this.leftBehind(incident)) ?? (await this.createChannel(incident));
      if (typeof created === 'string') return { kind: 'no_name', tried: created };
      await this.options.channels.setTopic(created.channel, incident);
      await this.options.channels.invite(created.channel, await this.invitees(incident, requester));
      await this.options.created?.(created, incidentId);
      const recorded = await incidents.recordRoom(incidentId, created, requester);
      return { kind: 'opened', room: recorded.room ?? created };
    } finally {
      await release();
    }
  }

  /** Opens a room when the service asks for one at the incident's severity; undefined when it does not. */
  async openIfDue(incidentId: string): Promise<RoomOpening | undefined> {
    const incident = await this.options.incidents.get(incidentId);
    if (!awaitsAutomaticRoom(incident) || incident.state === 'resolved') return undefined;
    if (!this.options.autoSeverities(incident.service)?.includes(severityOf(incident))) return undefined;
    return this.open(incidentId, BOT);
  }

  /** Archives the room of a resolved incident. */
  async close(incidentId: string, actor: string): Promise<RoomClosing> {
    const incident = await this.options.incidents.get(incidentId);
    const room = incident.room;
    if (!room) return { kind: 'no_room' };
    if (room.archived) return { kind: 'already_archived', room };
    if (incident.state !== 'resolved') return { kind: 'not_resolved', room };
    await this.options.channels.archive(room.channel);
    await this.options.incidents.archiveRoom(incidentId, actor);
    return { kind: 'archived', room };
  }

  /**
   * Invites a commander named after the room opened (one named before was invited with it).
   * Best effort, as every invitation: they can still join by the link on the incident message.
   */
  async commanderNamed(before: Incident, after: Incident): Promise<void> {
    if (!after.commander || after.commander === before.commander || after.commander === BOT) return;
    if (!after.room || !hasOpenRoom(after)) return;
    await this.options.channels.invite(after.room.channel, [after.commander]);
  }

  /** The channel an attempt that died before recording it created; never the room the incident had before. */
  private async leftBehind(incident: Incident): Promise<IncidentRoom | undefined> {
    const room = await this.options.creations.recall(incident.id);
    return room && room.channel !== incident.room?.channel ? room : undefined;
  }

  /** The room, or the last name tried when every one was taken. */
  private async createChannel(incident: Incident): Promise<IncidentRoom | string> {
    let name = roomName(incident);
    for (let attempt = 1; attempt <= MAX_NAME_ATTEMPTS; attempt += 1) {
      name = roomName(incident, attempt);
      const created = await this.options.channels.create(name);
      if (created === 'taken') continue;
      // Before the topic and invitations: a crash from here on leaves the channel to adopt.
      await this.options.creations.remember(incident.id, created);
      return created;
    }
    return name;
  }

  private async invitees(incident: Incident, requester: string): Promise<string[]> {
    const people = [requester, incident.commander, ...(await this.options.oncallMembers(incident.service))];
    return [...new Set(people.filter((p): p is string => p !== undefined && p !== BOT))];
  }
}
