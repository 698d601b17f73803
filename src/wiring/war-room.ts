/**
 * War rooms: the claim and the record in Redis over the Slack channels behind them, the
 * on-call groups invited, and the rooms the services file asks for by severity. Part of
 * the composition root (src/app.ts).
 */
import type { Logger } from 'pino';
import type { IncidentService } from '../incidents/service.js';
import type { IncidentLocator } from '../incidents/locator.js';
import type { MessageRefStore } from '../incidents/store.js';
import { WarRooms, type RoomChannels } from '../incidents/war-room.js';
import type { ServiceCatalog } from '../services/catalog.js';
import type { SlackApproverDirectory } from '../slack/approver-directory.js';

export interface WarRoomDeps {
  catalog: ServiceCatalog;
  incidents: IncidentService;
  store: MessageRefStore;
  approvers: SlackApproverDirectory;
  /** The rooms' channels, and the war room copies of incident messages (told of every change), from the Slack delivery. */
  slackRooms: { channels: RoomChannels; copies: { incidentChanged(incidentId: string): void } };
  /** Where a room's channel is bound to its incident, for the messages people capture there. */
  locator: Pick<IncidentLocator, 'bindRoom'>;
  log: Logger;
}

export function createWarRooms({ catalog, incidents, store, approvers, slackRooms, locator, log }: WarRoomDeps): WarRooms {
  const rooms = new WarRooms({
    incidents,
    channels: slackRooms.channels,
    lease: (name, ttlMs) => store.lease(name, ttlMs),
    oncallMembers: async (service) => {
      const oncall = service ? catalog.get(service)?.oncall : undefined;
      return oncall ? approvers.membersOf(oncall) : [];
    },
    autoSeverities: (service) => (service ? catalog.get(service)?.war_room?.when_severity : undefined),
    created: (room, incidentId) => locator.bindRoom(room.channel, incidentId),
  });
  incidents.onChange((id) => slackRooms.copies.incidentChanged(id));
  const auto = catalog.names().filter((name) => catalog.get(name)?.war_room);
  if (auto.length > 0) {
    incidents.onChange((id) => {
      rooms.openIfDue(id).then(
        (opening) => opening?.kind === 'opened' && log.info({ incidentId: id, opening: opening.kind }, 'war room opened for the incident by its severity'),
        (error: unknown) => log.error({ err: error, incidentId: id }, 'war room not opened by severity; /incident room opens it'),
      );
    });
  }
  return rooms;
}
