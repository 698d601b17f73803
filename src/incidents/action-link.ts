import type { IncidentLink } from '../actions/service.js';
import type { IncidentService } from './service.js';
import type { MessageRefStore } from './store.js';

/** How the actions layer sees incidents: the open one of a service, and its mitigation. */
export function incidentLink(incidents: IncidentService, refs: MessageRefStore): IncidentLink {
  return {
    async openIncidentFor(service) {
      const incident = await incidents.openIncidentFor(service);
      if (!incident) return undefined;
      const ref = await refs.getMessageRef(incident.id);
      return { incidentId: incident.id, ...(ref ? { threadTs: ref.ts } : {}) };
    },
    async threadOf(incidentId) {
      return (await refs.getMessageRef(incidentId))?.ts;
    },
    async beginMitigation(incidentId, actionId) {
      await incidents.beginMitigation(incidentId, { actionId });
    },
    async endMitigation(incidentId) {
      await incidents.endMitigation(incidentId);
    },
    timelineChanged: (incidentId) => incidents.timelineChanged(incidentId),
  };
}
