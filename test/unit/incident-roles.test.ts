/**
 * The pure parts of incident command: reading Slack's markup (a mention, a note), parsing
 * `/incident commander|severity|note`, the decisions on commander and severity, a captured
 * message's entry at its own time, and their words.
 */
import { describe, expect, it } from 'vitest';
import { parseIncidentCommand } from '../../commands/incident.js';
import { CommandUsageError } from '../../src/errors.js';
import { severityOf, type Incident } from '../../src/incidents/incident.js';
import { openIncident } from '../../src/incidents/notification.js';
import { capturedEntry, MAX_CAPTURED_CHARS, setCommander, setSeverity, takeLead, timeOfTs } from '../../src/incidents/roles.js';
import { mentionedUser, plainFromMarkup } from '../../src/slack-markup.js';
import { userMessage } from '../../src/slack/render/error-text.js';
import { renderTimelineEntry } from '../../src/slack/render/timeline.js';
import { notification } from '../support/fixtures.js';

const now = new Date('2026-11-22T10:00:00.000Z');

function incident(): Incident {
  const outcome = openIncident('7', notification({ alerts: [{ fingerprint: 'a', severity: 'warning' }] }), {
    now,
    serviceLabel: 'service',
    channelFor: () => 'C0DEFAULT',
  });
  if (!outcome) throw new Error('expected an incident');
  return { ...outcome.incident, version: 1 };
}

function refusal(text: string): string {
  try {
    parseIncidentCommand(text);
  } catch (error) {
    if (error instanceof CommandUsageError) return userMessage(error);
    throw error;
  }
  throw new Error(`expected "${text}" to be refused`);
}

describe('Slack markup', () => {
  it('reads the user id of a mention Slack escaped, with or without the name', () => {
    expect(mentionedUser('<@U0CAROL|carol>')).toBe('U0CAROL');
    expect(mentionedUser('<@W0GRID>')).toBe('W0GRID');
    expect(mentionedUser('@carol')).toBeUndefined();
    expect(mentionedUser('<#C0ROOM|room>')).toBeUndefined();
    expect(mentionedUser('<@U0CAROL|carol> and more')).toBeUndefined();
  });

  it('turns markup into the words it shows', () => {
    expect(plainFromMarkup('a &amp; b &lt;c&gt; <@U1|bob> <@U2> <#C1|ops> <!here> <!subteam^S1|@oncall>')).toBe('a & b <c> @bob @U2 #ops @here @oncall');
    expect(plainFromMarkup('see <https://x.test/a?b=1&amp;c=2|the graph> and <https://y.test>')).toBe(
      'see the graph (https://x.test/a?b=1&c=2) and https://y.test',
    );
    // Entities are read last, so a typed "&lt;@U1&gt;" stays the text it was.
    expect(plainFromMarkup('&lt;@U1&gt;')).toBe('<@U1>');
  });
});

describe('parsing /incident commander, severity and note', () => {
  it('takes an id and a mention for commander', () => {
    expect(parseIncidentCommand('commander INC-42 <@U0CAROL|carol>')).toEqual({ verb: 'commander', rest: ['42', 'U0CAROL'] });
    expect(parseIncidentCommand('commander 42 <@U0CAROL>')).toEqual({ verb: 'commander', rest: ['42', 'U0CAROL'] });
    expect(parseIncidentCommand('commander 42 <@U0CAROL|carol smith>')).toEqual({ verb: 'commander', rest: ['42', 'U0CAROL'] });
  });

  it('refuses a plain @name, pointing at the autocomplete', () => {
    expect(refusal('commander 42 @carol')).toContain('"@carol" is a name Slack did not turn into a mention');
    expect(refusal('commander 42 @carol')).toContain("pick the person from Slack's autocomplete");
    expect(refusal('commander 42 carol')).toContain('is not a person');
    expect(refusal('commander 42')).toContain('`commander` takes an incident id and a person');
    expect(refusal('commander 42 <@U0CAROL> <@U0BOB>')).toContain('is not a person');
  });

  it('takes a severity in any case, and only the three it knows', () => {
    expect(parseIncidentCommand('severity INC-1 Critical')).toEqual({ verb: 'severity', rest: ['1', 'critical'] });
    expect(refusal('severity 1 page')).toContain('"page" is not a severity; use critical, warning, info');
    expect(refusal('severity 1')).toContain('`severity` takes an incident id and one of critical, warning, info');
  });

  it('takes the rest of the line as the note, as written, up to the limit', () => {
    expect(parseIncidentCommand('note INC-3  restarted   db-1 &amp; <@U1|bob>')).toEqual({ verb: 'note', rest: ['3', 'restarted   db-1 & @bob'] });
    expect(parseIncidentCommand(`note 3 ${'x'.repeat(2_000)}`).rest).toEqual(['3', 'x'.repeat(2_000)]);
    expect(refusal(`note 3 ${'x'.repeat(2_001)}`)).toContain('the note is 2001 characters; a note holds at most 2000');
    expect(refusal('note 3')).toContain('`note` takes an incident id and the text of the note');
    expect(refusal('note hello world')).toContain('is not an incident id');
  });
});

describe('commander and severity decisions', () => {
  it('sets the commander, recording who was before; the same one again changes nothing', () => {
    const first = setCommander(incident(), 'U0BOB', 'U0ALICE', now);
    expect(first?.incident.commander).toBe('U0BOB');
    expect(first?.entries).toEqual([{ at: now.toISOString(), actor: 'U0ALICE', kind: 'commander', commander: 'U0BOB' }]);
    const led = first?.incident as Incident;
    expect(setCommander(led, 'U0BOB', 'U0BOB', now)).toBeUndefined();
    expect(setCommander(led, 'U0CAROL', 'U0BOB', now)?.entries[0]).toMatchObject({ commander: 'U0CAROL', previous: 'U0BOB' });
  });

  it("I'll lead makes the clicker lead only while nobody does: never a hand-over", () => {
    const taken = takeLead(incident(), 'U0BOB', now);
    expect(taken?.entries).toEqual([{ at: now.toISOString(), actor: 'U0BOB', kind: 'commander', commander: 'U0BOB' }]);
    const led = taken?.incident as Incident;
    expect(takeLead(led, 'U0BOB', now)).toBeUndefined();
    expect(takeLead(led, 'U0CAROL', now)).toBeUndefined();
  });

  it('overrides the severity, recording the one shown before', () => {
    const set = setSeverity(incident(), 'critical', 'U0ALICE', now);
    expect(severityOf(set?.incident as Incident)).toBe('critical');
    expect(set?.entries).toEqual([{ at: now.toISOString(), actor: 'U0ALICE', kind: 'severity', severity: 'critical', previous: 'warning' }]);
    expect(setSeverity(set?.incident as Incident, 'critical', 'U0BOB', now)).toBeUndefined();
  });
});

describe('captured messages', () => {
  it("reads a message's ts as its time", () => {
    expect(timeOfTs('1795341500.123456')).toBe('2026-11-22T09:58:20.123Z');
    expect(timeOfTs('1795341500.1')).toBe('2026-11-22T09:58:20.100Z');
    expect(timeOfTs('yesterday')).toBeUndefined();
  });

  it('is an entry at the message time by its author, its text cut to the limit', () => {
    const entry = capturedEntry({ channel: 'C1', ts: '1795341500.123456', author: 'U0BOB', text: 'y'.repeat(MAX_CAPTURED_CHARS + 10) }, 'U0ALICE');
    expect(entry).toMatchObject({ at: '2026-11-22T09:58:20.123Z', actor: 'U0BOB', by: 'U0ALICE', kind: 'captured', channel: 'C1', ts: '1795341500.123456' });
    expect(entry?.kind === 'captured' && entry.message.length).toBe(MAX_CAPTURED_CHARS);
    expect(capturedEntry({ channel: 'C1', ts: 'x', author: 'U0BOB', text: '' }, 'U0ALICE')).toBeUndefined();
  });
});

describe('their words', () => {
  const at = now.toISOString();
  it('names the commander, who named them and who led before', () => {
    expect(renderTimelineEntry({ at, actor: 'U0A', kind: 'commander', commander: 'U0B', previous: 'U0C' })).toBe(
      ':technologist: <@U0B> leads the incident (was <@U0C>), named by <@U0A>',
    );
    expect(renderTimelineEntry({ at, actor: 'U0B', kind: 'commander', commander: 'U0B' })).toBe(':technologist: <@U0B> leads the incident');
  });

  it('escapes what people wrote, in notes and captured messages alike', () => {
    expect(renderTimelineEntry({ at, actor: 'U0A', kind: 'note', note: '<!channel> a & b' })).toBe(':memo: Note by <@U0A>:\n> &lt;!channel&gt; a &amp; b');
    const captured = renderTimelineEntry({
      at,
      actor: 'U0B',
      kind: 'captured',
      message: 'two\nlines <@U0X>',
      by: 'U0A',
      channel: 'C1',
      ts: '1.2',
      permalink: 'https://example.slack.com/archives/C1/p12?thread_ts=1.0&cid=C1',
    });
    expect(captured).toBe(
      ':pushpin: <@U0A> added a <https://example.slack.com/archives/C1/p12?thread_ts=1.0&amp;cid=C1|message> by <@U0B> to the timeline:\n> two\n> lines &lt;@U0X&gt;',
    );
  });
});
