/** What the bot says about war rooms: the room's topic, what it posts there, and answers to the people who ask for one. */
import { displayId, summaryOf, titleOf, type FactEntry, type Incident } from '../../incidents/incident.js';
import type { RoomClosing, RoomOpening } from '../../incidents/war-room.js';
import { escapeText, plainText } from './escape.js';
import { truncatePlain } from './limits.js';
import { channelLink, mention } from './mention.js';

/** Slack's longest channel topic. */
const MAX_TOPIC = 250;

/** The room's topic: plain text, since Slack shows a topic as it is written. */
export function renderRoomTopic(incident: Incident): string {
  const what = summaryOf(incident) || titleOf(incident);
  return truncatePlain(plainText(`${displayId(incident.id)} [${incident.state.toUpperCase()}] ${what}`), MAX_TOPIC);
}

/** A room fact on the timeline. */
export function renderRoomFact(entry: Extract<FactEntry, { kind: 'room' }>): string {
  if (entry.verb === 'archived') return `${mention(entry.actor)} archived the war room #${escapeText(entry.name)}`;
  if (entry.verb === 'gone')
    return `The war room #${escapeText(entry.name)} is gone from Slack (archived, deleted, or the bot removed from it); \`/incident room\` opens a new one`;
  const who = entry.actor === 'bot' ? 'The bot opened' : `${mention(entry.actor)} opened`;
  return `${who} the war room ${channelLink(entry.channel)}`;
}

/** The context line of the incident message that leads to its room. */
export function roomLine(incident: Incident): string | undefined {
  const room = incident.room;
  if (!room) return undefined;
  if (room.gone) return `War room #${escapeText(room.name)} (gone from Slack)`;
  return room.archived ? `War room #${escapeText(room.name)} (archived)` : `War room ${channelLink(room.channel)}`;
}

/** What the room is told when the incident resolves or fires again, posted in the room itself. */
export function renderRoomNews(incidentId: string, entry: { kind: 'resolved' | 'reopened'; actor: string }): string {
  const id = displayId(incidentId);
  if (entry.kind === 'reopened') return `:red_circle: ${id} is firing again.`;
  const by = entry.actor === 'alertmanager' ? 'every alert resolved' : `resolved by ${mention(entry.actor)}`;
  return `:large_green_circle: ${id} is resolved (${by}). \`/incident close ${id}\` archives this room.`;
}

/** The answer to whoever asked for a room. */
export function renderRoomOpening(incidentId: string, opening: RoomOpening): string {
  const id = displayId(incidentId);
  switch (opening.kind) {
    case 'opened':
      return `War room ${channelLink(opening.room.channel)} opened for ${id}.`;
    case 'already_open':
      return `${id} has its war room already: ${opening.room.archived ? `#${escapeText(opening.room.name)} (archived)` : channelLink(opening.room.channel)}.`;
    case 'busy':
      return `The war room of ${id} is being opened right now; it shows on the incident message in a moment.`;
    case 'resolved':
      return `${id} is resolved; a resolved incident gets no war room.`;
    case 'no_name':
      return `No war room opened for ${id}: every name up to #${escapeText(opening.tried)} is taken by another channel. Archive or rename one and try again.`;
  }
}

export function renderRoomClosing(incidentId: string, closing: RoomClosing): string {
  const id = displayId(incidentId);
  switch (closing.kind) {
    case 'archived':
      return `War room #${escapeText(closing.room.name)} of ${id} archived.`;
    case 'already_archived':
      return `The war room #${escapeText(closing.room.name)} of ${id} is archived already.`;
    case 'not_resolved':
      return `${id} is not resolved yet; resolve it first, then \`/incident close ${id}\` archives ${channelLink(closing.room.channel)}.`;
    case 'no_room':
      return `${id} has no war room to close.`;
  }
}
