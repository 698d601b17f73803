import type { IncidentLink } from '../../src/actions/ports.js';

/** The incident side for action tests that have no incident: nothing open, nothing to note. */
export const noIncidents: IncidentLink = {
  openIncidentFor: async () => undefined,
  threadOf: async () => undefined,
  beginMitigation: async () => {},
  endMitigation: async () => {},
  note: async () => {},
};
