/**
 * Incident command as pure decisions: who leads, the severity a person sets, and the notes
 * and captured messages the timeline keeps. No words for people here (src/slack/render).
 */
import { severityOf, type FactEntry, type Incident, type Outcome, type SeverityLevel } from './incident.js';

/** Longest note a person may add; a longer one is refused, not cut, so nothing they wrote is lost silently. */
export const MAX_NOTE_CHARS = 2_000;
/** Longest captured message kept; Slack allows far longer ones, the timeline keeps the start of it. */
export const MAX_CAPTURED_CHARS = 3_000;

/** `commander` leads from now; the same person again changes nothing. */
export function setCommander(current: Incident, commander: string, actor: string, now: Date): Outcome | undefined {
  if (current.commander === commander) return undefined;
  const at = now.toISOString();
  const previous = current.commander ? { previous: current.commander } : {};
  return {
    incident: { ...current, commander, updatedAt: at },
    entries: [{ at, actor, kind: 'commander', commander, ...previous }],
    changed: true,
  };
}

/**
 * "I'll lead": `person` leads unless someone else already does (undefined: no change). A stray
 * click, or one on a copy of the message that still shows the button, must not take command; a
 * hand-over is `setCommander`. Decided on the incident the compare-and-set reads, so of two
 * concurrent clicks only the first committed leads.
 */
export function takeLead(current: Incident, person: string, now: Date): Outcome | undefined {
  if (current.commander !== undefined) return undefined;
  return setCommander(current, person, person, now);
}

/** A person's severity replaces the alerts' own; setting the one already set changes nothing. */
export function setSeverity(current: Incident, severity: SeverityLevel, actor: string, now: Date): Outcome | undefined {
  if (current.severityOverride === severity) return undefined;
  const at = now.toISOString();
  return {
    incident: { ...current, severityOverride: severity, updatedAt: at },
    entries: [{ at, actor, kind: 'severity', severity, previous: severityOf(current) }],
    changed: true,
  };
}

/** A Slack message ts ("1700000000.000100": seconds and micro-seconds) as an ISO time; undefined when it is not one. */
export function timeOfTs(ts: string): string | undefined {
  const match = /^(\d{1,12})\.(\d{1,6})$/.exec(ts);
  if (!match) return undefined;
  const ms = Number(match[1]) * 1_000 + Math.floor(Number((match[2] ?? '').padEnd(6, '0')) / 1_000);
  return new Date(ms).toISOString();
}

export interface CapturedMessage {
  channel: string;
  ts: string;
  /** Its author's Slack user id (or bot id). */
  author: string;
  text: string;
  permalink?: string;
}

/** The timeline entry of a captured message: at its own time, by its author; undefined when its ts is not a time. */
export function capturedEntry(message: CapturedMessage, by: string): FactEntry | undefined {
  const at = timeOfTs(message.ts);
  if (!at) return undefined;
  const kept = message.text.length > MAX_CAPTURED_CHARS ? `${message.text.slice(0, MAX_CAPTURED_CHARS - 1)}…` : message.text;
  const link = message.permalink ? { permalink: message.permalink } : {};
  return { at, actor: message.author, kind: 'captured', message: kept, by, channel: message.channel, ts: message.ts, ...link };
}
