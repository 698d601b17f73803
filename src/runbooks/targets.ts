import type { IncidentService } from '../incidents/service.js';
import type { Runbook } from './schema.js';
import { runbookActionsFor } from './match.js';

/**
 * Which service a runbook button acts on: decided again at click time from the incident
 * as stored now, so an old button cannot act on something its runbook no longer matches.
 */
export function runbookTargets(runbooks: readonly Runbook[], incidents: IncidentService, serviceLabel: string) {
  return {
    async serviceFor(incidentId: string, runbookId: string, actionId: string): Promise<{ service: string } | { refusal: string }> {
      const incident = await incidents.get(incidentId);
      const ref = runbookActionsFor(runbooks, incident, { serviceLabel }).find((r) => r.runbookId === runbookId && r.actionId === actionId);
      if (!ref) return { refusal: `Runbook ${runbookId} no longer offers "${actionId}" for this incident.` };
      if (ref.kind !== 'rollback') return { refusal: `"${ref.title}" is a ${ref.kind} action, which this version cannot run from a button yet.` };
      if (!ref.service) return { refusal: `The alerts of this incident name no single service; use /rollback <service>.` };
      return { service: ref.service };
    },
  };
}
