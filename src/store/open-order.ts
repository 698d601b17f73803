import { MAX_SEVERITY_RANK, severityRank, type Incident } from '../incidents/incident.js';

/** Wider than any epoch-ms timestamp, so a severity band never overlaps the next (and all stay exact doubles). */
const SEVERITY_BAND = 1e13;

/**
 * An open incident's score in the open index, read lowest first: most severe, then oldest.
 * Severity changes as alerts fire and resolve, so each commit scores the incident again.
 */
export function openIndexScore(incident: Incident): number {
  return (MAX_SEVERITY_RANK - severityRank(incident)) * SEVERITY_BAND + Date.parse(incident.openedAt);
}
