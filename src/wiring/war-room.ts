/**
 * War rooms: the claim and the record in Redis over the Slack channels behind them, the
 * on-call groups invited, and the rooms the services file asks for by severity. Part of
 * the composition root (src/app.ts).
 */
import type { Logger } from 'pino';
import type { IncidentService } from '../incidents/service.js';
import type { IncidentLocator } from '../incidents/locator.js';
import { OPEN_SCAN_LIMIT, type MessageRefStore } from '../incidents/store.js';
import { awaitsAutomaticRoom } from '../incidents/room.js';
import { WarRooms, type RoomChannels, type RoomCreations } from '../incidents/war-room.js';
import { everySeconds, type Scheduler } from '../scheduler/scheduler.js';
import type { ServiceCatalog } from '../services/catalog.js';
import type { SlackApproverDirectory } from '../slack/approver-directory.js';

export interface WarRoomDeps {
  catalog: ServiceCatalog;
  incidents: IncidentService;
  store: MessageRefStore;
  approvers: SlackApproverDirectory;
  /**
   * The rooms' channels, and the war room copies of incident messages (told of every change,
   * and telling of a room Slack no longer has), from the Slack delivery.
   */
  slackRooms: {
    channels: RoomChannels;
    copies: { incidentChanged(incidentId: string): void; onRoomGone(listener: (incidentId: string) => Promise<void>): void };
  };
  /** Where a room's channel is bound to its incident, for the messages people capture there. */
  locator: Pick<IncidentLocator, 'bindRoom'>;
  /** The channel each create answered, kept in Redis until the room is recorded (and after). */
  creations: RoomCreations;
  log: Logger;
}

export function createWarRooms({ catalog, incidents, store, approvers, slackRooms, locator, creations, log }: WarRoomDeps): WarRooms {
  const rooms = new WarRooms({
    incidents,
    channels: slackRooms.channels,
    lease: (name, ttlMs) => store.lease(name, ttlMs),
    creations,
    oncallMembers: async (service) => {
      const oncall = service ? catalog.get(service)?.oncall : undefined;
      return oncall ? approvers.membersOf(oncall) : [];
    },
    autoSeverities: (service) => (service ? catalog.get(service)?.war_room?.when_severity : undefined),
    created: (room, incidentId) => locator.bindRoom(room.channel, incidentId),
  });
  incidents.onChange((id) => slackRooms.copies.incidentChanged(id));
  // Recorded, so that nothing is synced there any more and `/incident room` opens a new one.
  slackRooms.copies.onRoomGone(async (id) => void (await incidents.archiveRoom(id, 'bot', true)));
  incidents.onCommit((before, after) => {
    rooms.commanderNamed(before, after).catch((error: unknown) => log.warn({ err: error, incidentId: after.id }, 'new commander not invited to the war room'));
  });
  if (hasAutomaticRooms(catalog)) incidents.onChange((id) => void openIfDue(rooms, id, log));
  return rooms;
}

function hasAutomaticRooms(catalog: ServiceCatalog): boolean {
  return catalog.names().some((name) => catalog.get(name)?.war_room);
}

/** Never throws: a room that could not be opened is tried again by the next change or sweep. */
async function openIfDue(rooms: WarRooms, incidentId: string, log: Logger): Promise<void> {
  try {
    const opening = await rooms.openIfDue(incidentId);
    if (opening?.kind === 'opened') log.info({ incidentId }, 'war room opened for the incident by its severity');
  } catch (error) {
    log.warn({ err: error, incidentId }, 'war room not opened by severity yet; the next sweep tries again, or /incident room opens it');
  }
}

/**
 * The rooms services.yaml asks for are desired state like any message: an opening that failed
 * (Slack away, a 5xx) is tried again every SWEEP_INTERVAL on one replica until it holds,
 * not only at the incident's next change.
 */
export function scheduleWarRoomSweep(scheduler: Scheduler, { catalog, incidents, rooms, sweepIntervalMs, log }: WarRoomSweepDeps): void {
  if (!hasAutomaticRooms(catalog)) return;
  scheduler.add({
    name: 'open-due-war-rooms',
    cron: everySeconds(sweepIntervalMs),
    run: async () => {
      const { incidents: open } = await incidents.listOpen(OPEN_SCAN_LIMIT);
      for (const incident of open) if (awaitsAutomaticRoom(incident) && catalog.get(incident.service ?? '')?.war_room) await openIfDue(rooms, incident.id, log);
    },
  });
}

export interface WarRoomSweepDeps {
  catalog: ServiceCatalog;
  incidents: Pick<IncidentService, 'listOpen'>;
  rooms: WarRooms;
  sweepIntervalMs: number;
  log: Logger;
}
