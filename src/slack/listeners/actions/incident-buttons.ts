import type { App } from '@slack/bolt';
import type { Logger } from 'pino';
import type { IncidentService } from '../../../incidents/service.js';
import { ACTION_IDS, IncidentButtonValue } from '../../contract.js';
import { renderLeadTaken } from '../../render/incident-command.js';
import { registerButton } from './button.js';

/** The Acknowledge, Resolve and I'll lead buttons on an incident message. */
export function registerIncidentButtons(app: App, incidents: IncidentService, log: Logger): void {
  const incidentOf = (value: IncidentButtonValue) => value.incident;
  registerButton(app, incidents, log, {
    actionId: ACTION_IDS.incidentAck,
    value: IncidentButtonValue,
    incidentOf,
    run: async ({ incident }, userId) => void (await incidents.acknowledge(incident, userId)),
  });
  registerButton(app, incidents, log, {
    actionId: ACTION_IDS.incidentResolve,
    value: IncidentButtonValue,
    incidentOf,
    run: async ({ incident }, userId) => void (await incidents.resolve(incident, userId)),
  });
  registerButton(app, incidents, log, {
    actionId: ACTION_IDS.incidentLead,
    value: IncidentButtonValue,
    incidentOf,
    run: async ({ incident }, userId) => {
      const { commander } = await incidents.setCommander(incident, userId, userId, 'take');
      return commander !== undefined && commander !== userId ? renderLeadTaken(incident, commander) : undefined;
    },
  });
}
