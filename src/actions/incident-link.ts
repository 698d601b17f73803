/**
 * The incidents layer behind the actions' IncidentLink port. It lives on the actions side:
 * actions may import incidents, and incidents never import actions.
 */
import type { IncidentService } from '../incidents/service.js';
import type { IncidentStore, MessageRefStore } from '../incidents/store.js';
import type { IncidentLink } from './ports.js';
import type { VerificationIncidents } from './verifying.js';

/** How the actions layer sees incidents: the open one of a service, its thread, its mitigation and timeline. */
export function incidentLink(incidents: IncidentService, store: Pick<IncidentStore, 'appendTimeline'> & Pick<MessageRefStore, 'getMessageRef'>): IncidentLink {
  return {
    async openIncidentFor(service) {
      const incident = await incidents.openIncidentFor(service);
      if (!incident) return undefined;
      const ref = await store.getMessageRef(incident.id);
      return { incidentId: incident.id, ...(ref ? { threadTs: ref.ts } : {}) };
    },
    async threadOf(incidentId) {
      return (await store.getMessageRef(incidentId))?.ts;
    },
    async beginMitigation(incidentId, actionId) {
      await incidents.beginMitigation(incidentId, { actionId });
    },
    async endMitigation(incidentId) {
      await incidents.endMitigation(incidentId);
    },
    async note(incidentId, entry) {
      await store.appendTimeline(incidentId, [{ ...entry, kind: 'action' }]);
      incidents.timelineChanged(incidentId);
    },
  };
}

/** How rollback verification shows on incidents. */
export function incidentVerification(incidents: IncidentService): VerificationIncidents {
  return {
    async showVerification(incidentId, actionId, verification) {
      await incidents.showVerification(incidentId, actionId, verification);
    },
  };
}
