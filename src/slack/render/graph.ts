/**
 * The words on and around an alert's graph: its title, the file's name and title in the
 * thread, the marks on its time axis. The file title is plain text in Slack (not mrkdwn),
 * so outside text only loses its control characters.
 */
import { displayId } from '../../incidents/incident.js';
import { plainText } from './escape.js';

/** What fits across a 1000 px chart at its title's size. */
const TITLE_MAX = 80;

export function graphTitle(alertname: string | undefined, query: string, rangeMs: number): string {
  const what = alertname ? `${alertname}: ${query}` : query;
  return clip(plainText(`${what} (last ${span(rangeMs)})`).replace(/\s+/g, ' '), TITLE_MAX);
}

export function graphFileTitle(incidentId: string, alertname: string | undefined): string {
  return plainText(`${displayId(incidentId)} ${alertname ?? 'alert'} graph`);
}

export function graphFilename(incidentId: string, at: Date): string {
  return `${displayId(incidentId)}-${at.toISOString().slice(0, 16).replace(/[-:T]/g, '')}.png`;
}

export function alertStartMark(at: Date): string {
  return `alert started ${at.toISOString().slice(11, 16)} UTC`;
}

function span(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes % 1440 === 0) return `${minutes / 1440}d`;
  if (minutes % 60 === 0) return `${minutes / 60}h`;
  return `${minutes}m`;
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** "rollback 14:02 UTC": the moment a check's graph is drawn around. */
export function eventMark(event: 'deploy' | 'rollback', at: Date): string {
  return `${event} ${at.toISOString().slice(11, 16)} UTC`;
}

/** "payment-service error-rate: <query>", over a verification's window. */
export function checkGraphTitle(service: string, check: string, query: string): string {
  return clip(plainText(`${service} ${check}: ${query}`).replace(/\s+/g, ' '), TITLE_MAX);
}

export function checkGraphFileTitle(service: string, check: string, event: 'deploy' | 'rollback'): string {
  return plainText(`${service} ${check} around the ${event}`);
}

export function checkGraphFilename(service: string, check: string, at: Date): string {
  return `${service}-${check}-${at.toISOString().slice(0, 16).replace(/[-:T]/g, '')}.png`;
}
