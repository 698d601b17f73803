/**
 * War rooms: the Slack channels behind them, the claim and the record in Redis, and the
 * rooms the services file asks for by severity. Part of the composition root (src/app.ts).
 */
import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import type { IncidentService } from '../incidents/service.js';
import type { MessageRefStore } from '../incidents/store.js';
import { WarRooms } from '../incidents/war-room.js';
import type { Metrics } from '../metrics.js';
import type { ServiceCatalog } from '../services/catalog.js';
import type { SlackApproverDirectory } from '../slack/approver-directory.js';
import { SlackRoomChannels } from '../slack/room-channels.js';

export interface WarRoomDeps {
  config: Config;
  catalog: ServiceCatalog;
  incidents: IncidentService;
  store: MessageRefStore;
  approvers: SlackApproverDirectory;
  metrics: Metrics;
  /** The war room copies of incident messages (src/slack/room-publisher.ts), told of every change. */
  roomCopies: { incidentChanged(incidentId: string): void };
  log: Logger;
}

export function createWarRooms({ config, catalog, incidents, store, approvers, metrics, roomCopies, log }: WarRoomDeps): WarRooms {
  const rooms = new WarRooms({
    incidents,
    channels: new SlackRoomChannels(config.slack.botToken, config.slack.apiUrl, metrics, log),
    lease: (name, ttlMs) => store.lease(name, ttlMs),
    oncallMembers: async (service) => {
      const oncall = service ? catalog.get(service)?.oncall : undefined;
      return oncall ? approvers.membersOf(oncall) : [];
    },
    autoSeverities: (service) => (service ? catalog.get(service)?.war_room?.when_severity : undefined),
  });
  incidents.onChange((id) => roomCopies.incidentChanged(id));
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
