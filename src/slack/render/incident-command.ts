/**
 * Incident command in words: the commander and severity changes, notes and captured
 * messages of the timeline. Notes and messages are what people wrote: escaped here, and cut
 * to fit a thread reply with room for the rest of the line.
 */
import type { CaptureOutcome } from '../../incidents/capture.js';
import { displayId, type CommandFact, type FactEntry } from '../../incidents/incident.js';
import { escapeText, link } from './escape.js';
import { truncatePlain } from './limits.js';
import { mention } from './mention.js';

/** What a timeline line quotes of a note or a message; the whole of it stays in Redis (and goes to the retro). */
const QUOTED_CHARS = 1_500;

function quote(text: string): string {
  return escapeText(truncatePlain(text, QUOTED_CHARS))
    .split('\n')
    .map((line) => `> ${line}`)
    .join('\n');
}

export function renderCommandFact(entry: FactEntry & CommandFact): string {
  switch (entry.kind) {
    case 'commander': {
      const from = entry.previous ? ` (was ${mention(entry.previous)})` : '';
      const by = entry.actor === entry.commander ? '' : `, named by ${mention(entry.actor)}`;
      return `:technologist: ${mention(entry.commander)} leads the incident${from}${by}`;
    }
    case 'severity':
      return `:warning: ${mention(entry.actor)} set the severity to *${entry.severity}* (was ${escapeText(entry.previous)})`;
    case 'note':
      return `:memo: Note by ${mention(entry.actor)}:\n${quote(entry.note)}`;
    case 'captured': {
      const message = link(entry.permalink, 'message') ?? 'message';
      return `:pushpin: ${mention(entry.by)} added a ${message} by ${mention(entry.actor)} to the timeline:\n${quote(entry.message)}`;
    }
  }
}

/** What the person who used "Add to incident timeline" is told. */
export function renderCaptureAnswer(outcome: CaptureOutcome | 'not_incident', incidentId: string | undefined): string {
  const id = incidentId === undefined ? 'the incident' : displayId(incidentId);
  switch (outcome) {
    case 'added':
      return `:pushpin: Added to the timeline of ${id}.`;
    case 'already':
      return `This message is on the timeline of ${id} already.`;
    case 'unreadable':
      return 'Slack sent this message without a time the bot can read; nothing was added.';
    case 'not_incident':
      return "This is not an incident thread: use *Add to incident timeline* on a message in the thread of an incident message, or in an incident's war room.";
  }
}

/** What a person who clicked "I'll lead" is told when someone else leads already. */
export function renderLeadTaken(incidentId: string, commander: string): string {
  const id = displayId(incidentId);
  return `${mention(commander)} leads ${id} already. To hand over, use \`/incident commander ${id} @person\`.`;
}
