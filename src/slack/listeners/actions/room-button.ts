import type { App } from '@slack/bolt';
import type { Logger } from 'pino';
import type { IncidentService } from '../../../incidents/service.js';
import type { WarRooms } from '../../../incidents/war-room.js';
import { ACTION_IDS, IncidentButtonValue } from '../../contract.js';
import { renderRoomOpening } from '../../render/war-room.js';
import { registerButton } from './button.js';

/** "Open war room" on an incident message: the same as `/incident room`. */
export function registerRoomButton(app: App, incidents: IncidentService, rooms: WarRooms, log: Logger): void {
  registerButton(app, incidents, log, {
    actionId: ACTION_IDS.incidentRoom,
    value: IncidentButtonValue,
    incidentOf: (value) => value.incident,
    run: async ({ incident }, userId) => renderRoomOpening(incident, await rooms.open(incident, userId)),
  });
}
