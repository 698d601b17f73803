/** Silences as the incident, the message and the contract know them: pure functions, no Alertmanager. */
import { describe, expect, it } from 'vitest';
import { sameMatchers, type Silence } from '../../src/alertmanager/client.js';
import { loadConfig } from '../../src/config/load.js';
import type { Incident, IncidentSilence } from '../../src/incidents/incident.js';
import { openIncident } from '../../src/incidents/notification.js';
import { clearSilence, resolveSilenced, showSilence, silenceEnd, UNTIL_RESOLVED_MS } from '../../src/incidents/silence.js';
import { resolveByUser } from '../../src/incidents/transitions.js';
import { parseButtonValue, SilenceOptionValue, silenceOptionValue } from '../../src/slack/contract.js';
import { renderIncidentMessage } from '../../src/slack/render/incident-message.js';
import { renderSilenceFact, silenceLine } from '../../src/slack/render/silence.js';
import { renderTimelineEntry } from '../../src/slack/render/timeline.js';
import { slackRefusal } from '../support/block-kit-limits.js';
import { fixture } from '../support/fixtures.js';

const now = new Date('2026-11-22T00:00:00Z');
const ctx = { now, serviceLabel: 'service', channelFor: () => 'C0X' };
const incident = (): Incident => openIncident('12', fixture('alertmanager-0.25-firing'), ctx)!.incident;
const silence: IncidentSilence = { id: 'abc-123', by: 'U0ANN', endsAt: '2026-11-22T04:00:00.000Z', untilResolved: false };

type Element = { type: string; action_id?: string; options?: Array<{ text: { text: string }; value: string }> };
const elementsOf = (i: Incident, silences: boolean): Element[] =>
  renderIncidentMessage(i, [], { silences }).blocks.flatMap((b) => (b.type === 'actions' ? (b.elements as Element[]) : []));

describe('the silence control on the incident message', () => {
  it('is a Silence… menu of four choices whose values read back, after Acknowledge and Resolve', () => {
    const elements = elementsOf(incident(), true);
    expect(elements.map((e) => e.action_id)).toEqual(['incident.ack', 'incident.resolve', 'incident.lead', 'incident.silence', 'incident.room']);
    const menu = elements[3];
    expect(menu?.type).toBe('static_select');
    expect(menu?.options?.map((o) => o.text.text)).toEqual(['1h', '4h', '24h', 'until resolved']);
    expect(menu?.options?.map((o) => parseButtonValue(SilenceOptionValue, o.value))).toEqual(
      ['1h', '4h', '24h', 'until_resolved'].map((choice) => ({ v: 1, incident: '12', for: choice })),
    );
    expect(slackRefusal({ ...renderIncidentMessage(incident(), [], { silences: true }) })).toBeUndefined();
  });

  it('is absent without ALERTMANAGER_URL and once resolved', () => {
    expect(elementsOf(incident(), false).map((e) => e.action_id)).toEqual(['incident.ack', 'incident.resolve', 'incident.lead', 'incident.room']);
    const resolved = resolveByUser(incident(), 'U0ANN', now).incident;
    expect(elementsOf(resolved, true)).toEqual([]);
  });

  it('becomes Unsilence and "silenced by X until T" while silenced', () => {
    const silenced = showSilence(incident(), silence, now)!.incident;
    expect(elementsOf(silenced, true).map((e) => e.action_id)).toEqual([
      'incident.ack',
      'incident.resolve',
      'incident.lead',
      'incident.unsilence',
      'incident.room',
    ]);
    const text = JSON.stringify(renderIncidentMessage(silenced, [], { silences: true }).blocks);
    expect(text).toContain('Silenced in Alertmanager by <@U0ANN> until <!date^');
    expect(silenceLine({ ...silence, untilResolved: true, by: 'alertmanager' })).toBe(
      ':mute: Silenced in Alertmanager by someone in Alertmanager until the incident resolves',
    );
  });

  it('reads no value of another shape', () => {
    expect(parseButtonValue(SilenceOptionValue, silenceOptionValue('7', '4h'))).toEqual({ v: 1, incident: '7', for: '4h' });
    expect(parseButtonValue(SilenceOptionValue, JSON.stringify({ v: 1, incident: '7', for: '2h' }))).toBeUndefined();
    expect(parseButtonValue(SilenceOptionValue, 'not json')).toBeUndefined();
  });
});

describe('silence decisions', () => {
  it('records silenced, then unsilenced, and changes nothing when repeated', () => {
    const silenced = showSilence(incident(), silence, now);
    expect(silenced?.entries).toEqual([expect.objectContaining({ kind: 'silence', verb: 'silenced', actor: 'U0ANN', silenceId: 'abc-123' })]);
    expect(showSilence(silenced!.incident, silence, now)).toBeUndefined();
    const cleared = clearSilence(silenced!.incident, 'U0BOB', now);
    expect(cleared?.incident.silence).toBeUndefined();
    expect(cleared?.entries.map((e) => renderTimelineEntry(e))).toEqual(['Silence `abc-123` expired by <@U0BOB>']);
    expect(clearSilence(cleared!.incident, 'U0BOB', now)).toBeUndefined();
  });

  it('resolves only a silenced, open incident, marking its alerts resolved', () => {
    expect(resolveSilenced(incident(), 'alertmanager', now)).toBeUndefined();
    const outcome = resolveSilenced(showSilence(incident(), silence, now)!.incident, 'alertmanager', now);
    expect(outcome?.incident).toMatchObject({ state: 'resolved', resolvedBy: 'alertmanager' });
    expect(Object.values(outcome!.incident.alerts).every((a) => a.status === 'resolved')).toBe(true);
    expect(renderTimelineEntry(outcome!.entries[0]!)).toContain('Alertmanager holds no firing alert of the silenced group');
  });

  it('ends each choice at its length; "until resolved" a week on', () => {
    expect(silenceEnd('4h', now).toISOString()).toBe('2026-11-22T04:00:00.000Z');
    expect(silenceEnd('until_resolved', now).getTime() - now.getTime()).toBe(UNTIL_RESOLVED_MS);
    expect(renderSilenceFact('U0X', { kind: 'silence', verb: 'refused' })).toContain('refused');
  });
});

describe('matching a silence to a group', () => {
  const of = (matchers: Silence['matchers']): Silence => ({
    id: 'x',
    status: { state: 'active' },
    matchers,
    startsAt: '',
    endsAt: '',
    createdBy: '',
    comment: '',
  });
  const eq = (name: string, value: string) => ({ name, value, isRegex: false, isEqual: true });
  it('takes exactly the group labels as equality matchers', () => {
    expect(sameMatchers(of([eq('a', '1'), eq('b', '2')]), { a: '1', b: '2' })).toBe(true);
    expect(sameMatchers(of([eq('a', '1')]), { a: '1', b: '2' })).toBe(false);
    expect(sameMatchers(of([eq('a', '1'), eq('b', '2'), eq('c', '3')]), { a: '1', b: '2' })).toBe(false);
    expect(sameMatchers(of([{ ...eq('a', '1'), isRegex: true }]), { a: '1' })).toBe(false);
    expect(sameMatchers(of([{ ...eq('a', '1'), isEqual: false }]), { a: '1' })).toBe(false);
  });
});

describe('ALERTMANAGER_* settings', () => {
  const valid = {
    SLACK_BOT_TOKEN: 'xoxb-1',
    SLACK_SIGNING_SECRET: 'secret',
    ALERTMANAGER_TOKEN: 'a-token-of-16-chars-or-more',
    INCIDENT_CHANNEL: 'C0INCIDENTS',
  };
  it('are off without a URL, default to a 30s poll, and refuse two ways to log in', () => {
    expect(loadConfig(valid).alertmanager).toBeUndefined();
    expect(loadConfig({ ...valid, ALERTMANAGER_URL: 'http://am:9093/' }).alertmanager).toEqual({
      url: 'http://am:9093',
      authorization: undefined,
      pollIntervalMs: 30_000,
    });
    expect(() => loadConfig({ ...valid, ALERTMANAGER_URL: 'http://u:p@am:9093', ALERTMANAGER_API_TOKEN: 't' })).toThrow(/ALERTMANAGER_API_TOKEN/);
    expect(() => loadConfig({ ...valid, ALERTMANAGER_URL: 'http://am', ALERTMANAGER_POLL_INTERVAL: '90s' })).toThrow(/ALERTMANAGER_POLL_INTERVAL/);
  });
});
