import type { App } from '@slack/bolt';
import type { Logger } from 'pino';
import { displayActionId } from '../../../actions/action.js';
import type { ActionService } from '../../../actions/service.js';
import type { IncidentService } from '../../../incidents/service.js';
import { ACTION_IDS, ActionButtonValue, RunbookButtonValue } from '../../contract.js';
import { registerButton } from './button.js';

export interface RunbookButtonTarget {
  /** The service a runbook action works on for this incident, or a sentence saying why none. */
  serviceFor(incidentId: string, runbookId: string, actionId: string): Promise<{ service: string } | { refusal: string }>;
}

/** Approve, Deny and Cancel on an approval message, and a runbook's Run on an incident message. */
export function registerActionButtons(app: App, incidents: IncidentService, actions: ActionService, runbooks: RunbookButtonTarget, log: Logger): void {
  registerButton(app, incidents, log, {
    actionId: ACTION_IDS.actionApprove,
    value: ActionButtonValue,
    run: async ({ action }, userId) => void (await actions.approve(action, userId)),
  });
  registerButton(app, incidents, log, {
    actionId: ACTION_IDS.actionDeny,
    value: ActionButtonValue,
    run: async ({ action }, userId) => void (await actions.deny(action, userId)),
  });
  registerButton(app, incidents, log, {
    actionId: ACTION_IDS.actionCancel,
    value: ActionButtonValue,
    run: async ({ action }, userId) => void (await actions.cancel(action, userId)),
  });
  registerButton(app, incidents, log, {
    actionId: ACTION_IDS.runbookRun,
    value: RunbookButtonValue,
    incidentOf: (value) => value.incident,
    run: async ({ incident, runbook, action }, userId) => {
      const target = await runbooks.serviceFor(incident, runbook, action);
      if ('refusal' in target) return target.refusal;
      const requested = await actions.request({ service: target.service, userId, force: false, reason: `runbook ${runbook}`, incidentId: incident });
      return `${displayActionId(requested.id)} requested: roll back ${requested.service}; the approval request is in the incident's thread.`;
    },
  });
}
