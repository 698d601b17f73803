/**
 * War rooms as incident decisions, and the name of one. Pure: each decision returns the
 * incident after it and the fact to record, or undefined when the incident shows it already.
 */
import type { Incident, IncidentRoom, Outcome } from './incident.js';

/** Slack's longest channel name. */
export const MAX_ROOM_NAME = 80;

/**
 * `inc-42-<service>`, then `-2`, `-3`… for the `attempt`s after a name was taken: lower case,
 * only what Slack allows in a channel name (letters, digits, `-`, `_`), at most 80 characters.
 */
export function roomName(incident: Pick<Incident, 'id' | 'service'>, attempt = 1): string {
  const service = (incident.service ?? '')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+|-+$/g, '');
  const suffix = attempt > 1 ? `-${attempt}` : '';
  const base = `inc-${incident.id}${service ? `-${service}` : ''}`;
  return `${base.slice(0, MAX_ROOM_NAME - suffix.length).replace(/-+$/, '')}${suffix}`;
}

/** An archived room (closed, or gone from Slack) is the incident's past: it may get a new one. */
export function hasOpenRoom(incident: Pick<Incident, 'room'>): boolean {
  return incident.room !== undefined && !incident.room.archived;
}

/**
 * Whether the services.yaml rule may open a room: not over an open one, nor over one people
 * removed from Slack by hand while the incident was open (the bot does not fight them;
 * `/incident room` opens a new one). A room closed with `/incident close` gives way to a new
 * one when the incident fires again.
 */
export function awaitsAutomaticRoom(incident: Pick<Incident, 'room'>): boolean {
  return !incident.room || (incident.room.archived === true && !incident.room.gone);
}

/** The incident now has its room; a second room is never recorded over an open one. */
export function recordRoom(current: Incident, room: IncidentRoom, actor: string, now: Date): Outcome | undefined {
  if (hasOpenRoom(current)) return undefined;
  const at = now.toISOString();
  return {
    incident: { ...current, room, updatedAt: at },
    entries: [{ at, actor, kind: 'room', verb: 'opened', channel: room.channel, name: room.name }],
    changed: true,
  };
}

/** The room's channel was archived. */
export function archiveRoom(current: Incident, actor: string, now: Date): Outcome | undefined {
  if (!current.room || current.room.archived) return undefined;
  const at = now.toISOString();
  const room = { ...current.room, archived: true };
  return {
    incident: { ...current, room, updatedAt: at },
    entries: [{ at, actor, kind: 'room', verb: 'archived', channel: room.channel, name: room.name }],
    changed: true,
  };
}

/** Slack no longer has the room (archived or deleted by hand, or the bot removed from it): nothing is synced there any more. */
export function roomGone(current: Incident, now: Date): Outcome | undefined {
  if (!current.room || current.room.archived) return undefined;
  const at = now.toISOString();
  const room = { ...current.room, archived: true, gone: true };
  return {
    incident: { ...current, room, updatedAt: at },
    entries: [{ at, actor: 'bot', kind: 'room', verb: 'gone', channel: room.channel, name: room.name }],
    changed: true,
  };
}
