import type { ActionRequest } from '../actions/service.js';
import type { IncidentService } from '../incidents/service.js';
import type { Runbook } from './schema.js';
import { commonLabels, disagreeingLabels, matchedAlerts, onlyValue, runbookActionsFor } from './match.js';

/**
 * What a runbook button on an incident message asks for: decided again at click time from
 * the incident as stored now, so an old button cannot act on something its runbook no
 * longer matches, and the labels a command uses are the alerts' current ones.
 */
export function runbookRequests(runbooks: readonly Runbook[], incidents: IncidentService, serviceLabel: string) {
  return {
    async requestFor(incidentId: string, runbookId: string, actionId: string, userId: string): Promise<ActionRequest | { refusal: string }> {
      const incident = await incidents.get(incidentId);
      const ref = runbookActionsFor(runbooks, incident, { serviceLabel }).find((r) => r.runbookId === runbookId && r.actionId === actionId);
      const runbook = runbooks.find((r) => r.id === runbookId);
      if (!ref || !runbook) return { refusal: `Runbook ${runbookId} no longer offers "${actionId}" for this incident.` };
      const reason = `runbook ${runbookId}`;
      if (ref.kind === 'rollback') {
        if (!ref.service) return { refusal: `The alerts of this incident name no single service; use /rollback <service>.` };
        return { kind: 'rollback', service: ref.service, userId, force: false, reason, incidentId };
      }
      const alerts = matchedAlerts(runbook, incident);
      const service = onlyValue(alerts, serviceLabel);
      const instances = [...new Set(alerts.map((alert) => alert.labels.instance).filter((value): value is string => !!value))];
      return {
        kind: 'fleet',
        ...(service ? { service } : {}),
        userId,
        reason,
        incidentId,
        fleet: { runbookId, actionId, labels: commonLabels(alerts), disagreeing: disagreeingLabels(alerts), args: {}, instances, hosts: [] },
      };
    },
  };
}
