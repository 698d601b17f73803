import { describe, expect, it } from 'vitest';
import { parseIncidentId, severityOf, startedAt, type Incident } from '../../src/incidents/incident.js';
import { applyNotification, openIncident, type NotificationContext } from '../../src/incidents/notification.js';
import { resolveSilenced } from '../../src/incidents/silence.js';
import { acknowledge, beginMitigation, endMitigation, resolveByUser } from '../../src/incidents/transitions.js';
import { InvalidTransitionError } from '../../src/errors.js';
import { userMessage } from '../../src/slack/render/error-text.js';
import { renderTimelineEntry } from '../../src/slack/render/timeline.js';
import { fixture, notification } from '../support/fixtures.js';

const ctx: NotificationContext = {
  now: new Date('2026-11-22T00:00:00Z'),
  serviceLabel: 'service',
  channelFor: (service) => (service === 'checkout' ? 'C0CHECKOUT' : 'C0DEFAULT'),
};

function opened(payload = notification({ alerts: [{ fingerprint: 'a' }, { fingerprint: 'b' }] })): Incident {
  const outcome = openIncident('7', payload, ctx);
  if (!outcome) throw new Error('expected an incident');
  return { ...outcome.incident, version: 1 };
}

function refusalOf(decide: () => unknown): InvalidTransitionError {
  try {
    decide();
  } catch (error) {
    if (error instanceof InvalidTransitionError) return error;
    throw error;
  }
  throw new Error('expected the transition to be refused');
}

describe('openIncident', () => {
  it('opens from the captured Alertmanager 0.25 notification in the service channel', () => {
    const outcome = openIncident('1', fixture('alertmanager-0.25-firing'), ctx);
    expect(outcome?.incident).toMatchObject({ id: '1', state: 'firing', service: 'checkout', channel: 'C0CHECKOUT' });
    expect(Object.keys(outcome?.incident.alerts ?? {})).toEqual(['69c2e62f0b0aec37']);
    expect(outcome?.entries).toEqual([
      { at: ctx.now.toISOString(), kind: 'opened', actor: 'alertmanager', service: 'checkout', alerts: [{ alertname: 'HighErrorRate' }], total: 1 },
    ]);
    expect(renderTimelineEntry(outcome!.entries[0]!)).toBe('Incident opened for checkout: 1 alert firing: HighErrorRate');
    expect(startedAt(outcome!.incident)).toBe('2026-11-21T23:15:32.666312237Z');
  });

  it('does not open an incident from a notification with nothing firing', () => {
    expect(openIncident('1', fixture('alertmanager-0.25-resolved'), ctx)).toBeUndefined();
  });

  it('uses the configured service label', () => {
    const payload = fixture('alertmanager-0.25-firing');
    payload.commonLabels = { ...payload.commonLabels, app: 'billing' };
    expect(openIncident('1', payload, { ...ctx, serviceLabel: 'app' })?.incident.service).toBe('billing');
  });
});

describe('applyNotification', () => {
  it('changes nothing for a duplicate delivery', () => {
    const payload = notification({ alerts: [{ fingerprint: 'a' }, { fingerprint: 'b' }] });
    const outcome = applyNotification(opened(payload), payload, ctx);
    expect(outcome.changed).toBe(false);
    expect(outcome.entries).toEqual([]);
  });

  it('records new alerts joining the group', () => {
    const outcome = applyNotification(
      opened(),
      notification({ alerts: [{ fingerprint: 'a' }, { fingerprint: 'b' }, { fingerprint: 'c', instance: 'web-3' }] }),
      ctx,
    );
    expect(outcome.changed).toBe(true);
    expect(outcome.entries).toEqual([
      { at: ctx.now.toISOString(), kind: 'alert_firing', actor: 'alertmanager', alerts: [{ alertname: 'HighErrorRate', instance: 'web-3' }], total: 1 },
    ]);
    expect(renderTimelineEntry(outcome.entries[0]!)).toBe('1 alert firing: HighErrorRate on web-3');
    expect(outcome.incident.state).toBe('firing');
  });

  it('resolves the incident only when every alert has resolved', () => {
    const partly = applyNotification(opened(), notification({ alerts: [{ fingerprint: 'a', status: 'resolved' }, { fingerprint: 'b' }] }), ctx);
    expect(partly.incident.state).toBe('firing');
    expect(partly.entries.map((e) => e.kind)).toEqual(['alert_resolved']);

    const all = applyNotification({ ...partly.incident, version: 2 }, notification({ alerts: [{ fingerprint: 'b', status: 'resolved' }] }), ctx);
    expect(all.incident.state).toBe('resolved');
    expect(all.incident.resolvedBy).toBe('alertmanager');
    // The retrospective draft is owed in the same commit as the resolution.
    expect(all.entries.map((e) => e.kind)).toEqual(['alert_resolved', 'resolved', 'retro']);
  });

  /** The opened incident after both its alerts resolved. */
  const bothResolved = () =>
    applyNotification(
      opened(),
      notification({
        alerts: [
          { fingerprint: 'a', status: 'resolved' },
          { fingerprint: 'b', status: 'resolved' },
        ],
      }),
      ctx,
    ).incident;

  it('reopens a resolved incident when an alert fires again with a later start', () => {
    const resolved = bothResolved();
    const again = applyNotification({ ...resolved, version: 2 }, notification({ alerts: [{ fingerprint: 'a', startsAt: '2026-11-22T01:00:00Z' }] }), ctx);
    expect(again.incident.state).toBe('firing');
    expect(again.entries.map((e) => e.kind)).toEqual(['alert_firing', 'reopened']);
    expect(again.incident.resolvedAt).toBeUndefined();
  });

  it('owes the retrospective draft only at the first resolution: a flapping alert posts no draft at each flap', () => {
    const again = applyNotification({ ...bothResolved(), version: 2 }, notification({ alerts: [{ fingerprint: 'a', startsAt: '2026-11-22T01:00:00Z' }] }), ctx);
    const reopened = { ...again.incident, version: 3 };
    const byAlertmanager = applyNotification(
      reopened,
      notification({ alerts: [{ fingerprint: 'a', status: 'resolved', startsAt: '2026-11-22T01:00:00Z' }] }),
      ctx,
    );
    expect(byAlertmanager.incident.state).toBe('resolved');
    expect(byAlertmanager.entries.map((e) => e.kind)).toEqual(['alert_resolved', 'resolved']);
    expect(resolveByUser(reopened, 'U0BOB', ctx.now).entries.map((e) => e.kind)).toEqual(['resolved']);
    const silenced = { ...reopened, silence: { id: 's1', by: 'U0BOB', endsAt: '2026-11-23T00:00:00Z', untilResolved: false } };
    expect(resolveSilenced(silenced, 'bot', ctx.now)?.entries.map((e) => e.kind)).toEqual(['resolved']);
    expect(resolveSilenced({ ...opened(), silence: silenced.silence }, 'bot', ctx.now)?.entries.map((e) => e.kind)).toEqual(['resolved', 'retro']);
  });

  it('ignores a late "firing" with the old start (the other Alertmanager of an HA pair)', () => {
    const resolved = bothResolved();
    const late = applyNotification({ ...resolved, version: 2 }, notification({ alerts: [{ fingerprint: 'a' }, { fingerprint: 'b' }] }), ctx);
    expect(late.changed).toBe(false);
    expect(late.incident.state).toBe('resolved');
  });
});

describe('people acting on an incident', () => {
  it('acknowledges once and names who did', () => {
    const acked = acknowledge(opened(), 'U0ALICE', ctx.now);
    expect(acked.incident).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'U0ALICE' });
    expect(acked.entries[0]).toMatchObject({ kind: 'acknowledged', actor: 'U0ALICE' });
    expect(renderTimelineEntry(acked.entries[0]!)).toBe('Acknowledged by <@U0ALICE>');
    const again = refusalOf(() => acknowledge(acked.incident, 'U0BOB', ctx.now));
    expect(again.refusal).toEqual({ incidentId: '7', state: 'acknowledged', to: 'acknowledged', acknowledgedBy: 'U0ALICE' });
    expect(userMessage(again)).toBe('Incident 7 is already acknowledged by <@U0ALICE>');
  });

  it('resolves by hand, noting alerts still firing, and refuses to resolve twice', () => {
    const resolved = resolveByUser(opened(), 'U0BOB', ctx.now);
    expect(resolved.incident).toMatchObject({ state: 'resolved', resolvedBy: 'U0BOB' });
    expect(resolved.entries).toEqual([
      { at: ctx.now.toISOString(), kind: 'resolved', actor: 'U0BOB', stillFiring: 2 },
      { at: ctx.now.toISOString(), kind: 'retro', actor: 'bot', reason: 'resolved' },
    ]);
    expect(renderTimelineEntry(resolved.entries[0]!)).toBe('Resolved by <@U0BOB> (2 alerts are still firing in Alertmanager)');
    expect(() => resolveByUser(resolved.incident, 'U0BOB', ctx.now)).toThrow(InvalidTransitionError);
    expect(() => acknowledge(resolved.incident, 'U0BOB', ctx.now)).toThrow(/resolved; it cannot become acknowledged/);
  });
});

describe('an action mitigating an incident', () => {
  it('marks it mitigating with the action named, then acknowledged when the action ends', () => {
    const mitigating = beginMitigation(opened(), 'bot', '4', ctx.now);
    expect(mitigating?.incident.state).toBe('mitigating');
    expect(mitigating?.entries).toEqual([{ at: ctx.now.toISOString(), kind: 'command', verb: 'mitigating', actor: 'bot', actionId: '4' }]);
    expect(renderTimelineEntry(mitigating!.entries[0]!)).toBe('Mitigating: ACT-4 is running');
    expect(beginMitigation(mitigating!.incident, 'bot', '5', ctx.now)).toBeUndefined();
    expect(endMitigation(mitigating!.incident, ctx.now)).toMatchObject({ incident: { state: 'acknowledged' }, entries: [] });
  });
});

describe('helpers', () => {
  it('parses incident ids in the forms people type', () => {
    expect(parseIncidentId('42')).toBe('42');
    expect(parseIncidentId('INC-42')).toBe('42');
    expect(parseIncidentId('inc-42')).toBe('42');
    expect(parseIncidentId('#42')).toBe('42');
    expect(parseIncidentId('42; rm')).toBeUndefined();
    expect(parseIncidentId('')).toBeUndefined();
  });

  it('takes the most severe firing alert as the severity', () => {
    const incident = opened(
      notification({
        alerts: [
          { fingerprint: 'a', severity: 'warning' },
          { fingerprint: 'b', severity: 'critical' },
        ],
      }),
    );
    expect(severityOf(incident)).toBe('critical');
  });
});
