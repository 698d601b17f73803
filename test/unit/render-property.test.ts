/**
 * Whatever labels, annotations and typed words arrive (any Unicode, any length, control
 * characters, mrkdwn, mention and link syntax), every message the renderers make is one
 * Slack takes (every Block Kit limit) and carries no mention, link or date but the bot's own,
 * in its blocks and in its notification `text`.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { requestAction, type Action } from '../../src/actions/action.js';
import type { Incident, TimelineEntry, TrackedAlert } from '../../src/incidents/incident.js';
import { openIncident, type AlertNotification } from '../../src/incidents/notification.js';
import { acknowledge, resolveByUser } from '../../src/incidents/transitions.js';
import type { RunbookActionRef } from '../../src/runbooks/match.js';
import { renderActionMessage } from '../../src/slack/render/action-message.js';
import { withChannelFallbackNote } from '../../src/slack/render/channel-fallback.js';
import { renderFloodRollup } from '../../src/slack/render/flood-rollup.js';
import { renderCommandAnswer } from '../../src/slack/render/command-reply.js';
import { renderIncidentMessage } from '../../src/slack/render/incident-message.js';
import { renderMinimalActionMessage, renderMinimalIncidentMessage } from '../../src/slack/render/minimal-message.js';
import { renderActionReply, renderThreadReply } from '../../src/slack/render/thread-reply.js';
import type { ActionStep } from '../../src/timeline/action-step.js';
import { expectSafeMessage, type OwnSyntax } from '../support/message-safety.js';

const RUNS = { numRuns: 300 };
const NOW = new Date('2026-11-22T10:00:00.000Z');

/** The users, channel and labels the bot is given here: the only ones it may mention or link. */
const OWN: OwnSyntax = {
  users: ['U0ALICE', 'U0BOB'],
  channels: ['C0PAYMENTS'],
  linkLabels: ['Source', 'Runbook', 'Silence', 'Watch it in GitLab'],
};

const HOSTILE = [
  '<!channel>',
  '<!here>',
  '<!everyone>',
  '<!subteam^S666EVIL>',
  '<@U666EVIL>',
  '<#C666EVIL>',
  '<https://evil.example/x|click>',
  '<mailto:a@evil.example|mail>',
  '<!date^0^{date}|x>',
  '&',
  '&amp;',
  '&lt;!channel&gt;',
  '<',
  '>',
  '|',
  '```',
  '*bold*',
  '_it_',
  '~s~',
  '`',
  ':fire:',
  '\u0000',
  '\u0007',
  '\u001b[31m',
  '\u0085',
  '\r\n',
  '\t',
  '\n',
  '\u202e',
  '\ud800',
  '\udc00',
  '😀',
  '👩‍👩‍👧',
  'é',
  '\u200b',
  ' ',
];

/** One piece of outside text: hostile syntax, any code points, or something long. */
const fragment = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 6 }) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.constantFrom('x', '<!channel>', '&', 'é😀', '<@U666EVIL> '), fc.integer({ min: 0, max: 4_000 })).map(([s, n]) => s.repeat(n)),
  },
);
const outside = fc.array(fragment, { maxLength: 4 }).map((parts) => parts.join(''));
const url = fc.oneof(
  outside,
  fc.webUrl(),
  outside.map((s) => `https://x.example/${s}`),
  fc.constant('https://evil.example/a b<c>|d&e"f'),
);
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const labels = fc
  .tuple(
    fc.record({ alertname: outside, service: outside, severity: outside, instance: outside }, { requiredKeys: [] }),
    fc.dictionary(outside, outside, { maxKeys: 3 }),
  )
  .map(([known, extra]) => ({ ...extra, ...known }) as Record<string, string>);
const annotations = fc.record({ summary: outside, description: outside, runbook_url: url }, { requiredKeys: [] }) as fc.Arbitrary<Record<string, string>>;

const alert = (i: number): fc.Arbitrary<TrackedAlert> =>
  fc.record({
    fingerprint: fc.constant(`f${i}`),
    status: fc.constantFrom('firing' as const, 'resolved' as const),
    labels,
    annotations,
    startsAt: fc.oneof(fc.constant('2026-11-22T09:00:00.000Z'), outside),
    endsAt: fc.constant('0001-01-01T00:00:00Z'),
    generatorURL: url,
  });

/** Mostly a few alerts, sometimes more than the message lists. */
const alertCount = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 3 }) }, { weight: 1, arbitrary: fc.integer({ min: 4, max: 25 }) });

const notification: fc.Arbitrary<AlertNotification> = alertCount.chain((count) =>
  fc.record({
    groupKey: outside,
    truncatedAlerts: fc.nat(50),
    groupLabels: labels,
    commonLabels: labels,
    commonAnnotations: annotations,
    externalURL: url,
    alerts: fc.tuple(...Array.from({ length: count }, (_, i) => alert(i))).map((all) => {
      const [first, ...rest] = all;
      return [{ ...(first as TrackedAlert), status: 'firing' as const }, ...rest];
    }),
  }),
);

const ctx = { now: NOW, serviceLabel: 'service', channelFor: () => 'C0PAYMENTS' };

const incident: fc.Arbitrary<Incident> = fc.tuple(notification, fc.constantFrom('firing', 'acknowledged', 'resolved')).map(([n, state]) => {
  const opened = openIncident('12', n, ctx)!.incident;
  if (state === 'firing') return opened;
  const acked = acknowledge(opened, 'U0ALICE', NOW).incident;
  return state === 'acknowledged' ? acked : resolveByUser(acked, 'U0BOB', NOW).incident;
});

const runbookActions: fc.Arbitrary<RunbookActionRef[]> = fc.array(
  fc.record({
    runbookId: fc.constant('rb'),
    actionId: fc.constant('restart'),
    title: outside,
    kind: fc.constantFrom('rollback' as const, 'fleet' as const),
    confirm: maybe(outside),
  }),
  { maxLength: 30 },
);

const action: fc.Arbitrary<Action> = fc
  .record({
    title: outside,
    summary: fc.array(outside, { maxLength: 8 }),
    reason: outside,
    service: outside,
    warning: maybe(outside),
    result: maybe(
      fc.oneof(
        outside,
        outside.map((pauseReason) => ({ kind: 'fleet_paused' as const, pauseReason })),
      ),
    ),
    runUrl: maybe(url),
    held: maybe(outside),
    state: fc.constantFrom('requested', 'approved', 'running', 'succeeded', 'failed'),
  })
  .map(({ title, summary, reason, service, warning, result, runUrl, held, state }) => {
    const { action: a } = requestAction({
      id: '7',
      kind: 'rollback',
      service,
      plan: { executor: 'gitlab', service, title, summary, params: {} },
      requestedBy: 'U0ALICE',
      requesterIsApprover: true,
      reason,
      approvals: 1,
      expiresInMs: 60_000,
      forced: false,
      channel: 'C0PAYMENTS',
      now: NOW,
    });
    return {
      ...a,
      state,
      ...(warning === undefined ? {} : { warning }),
      ...(result === undefined ? {} : { result }),
      ...(runUrl === undefined ? {} : { run: { id: '1', url: runUrl, params: {} } }),
      ...(held === undefined || state !== 'approved' ? {} : { held: { by: 'U0BOB', reason: held, at: NOW.toISOString() } }),
    } as Action;
  });

const host = fc.record({ host: outside, ok: fc.boolean(), exitCode: fc.constantFrom(0, 1, null), output: outside, durationMs: fc.nat(10_000) });

const step: fc.Arbitrary<ActionStep> = fc.oneof(
  fc.record({
    kind: fc.constant('requested' as const),
    actionId: fc.constant('7'),
    title: outside,
    service: outside,
    reason: outside,
    approval: fc.constant('needed' as const),
  }),
  fc.record({ kind: fc.constant('refused' as const), actionId: fc.constant('7'), reason: outside }),
  fc.record({ kind: fc.constant('run_attached' as const), actionId: fc.constant('7'), url }),
  fc.record({ kind: fc.constant('finished' as const), actionId: fc.constant('7'), succeeded: fc.boolean(), seconds: fc.nat(), detail: outside }),
  fc.record({ kind: fc.constant('held' as const), actionId: fc.constant('7'), pausedBy: fc.constant('U0BOB'), pauseReason: outside }),
  fc.record({
    kind: fc.constant('batch_ran' as const),
    actionId: fc.constant('7'),
    batch: fc.constant(1),
    of: fc.constant(2),
    canary: fc.boolean(),
    hosts: fc.array(host, { maxLength: 25 }),
  }),
);

const alertRefs = fc.array(fc.record({ alertname: maybe(outside), instance: maybe(outside) }, { requiredKeys: [] }), { maxLength: 5 });
const entry: fc.Arbitrary<TimelineEntry> = fc.oneof(
  fc.record({
    at: fc.constant(NOW.toISOString()),
    kind: fc.constant('opened' as const),
    actor: fc.constant('alertmanager'),
    service: outside,
    alerts: alertRefs,
    total: fc.nat(99),
  }),
  fc.record({
    at: fc.constant(NOW.toISOString()),
    kind: fc.constant('alert_firing' as const),
    actor: fc.constant('alertmanager'),
    alerts: alertRefs,
    total: fc.nat(99),
  }),
  fc.record({ at: fc.constant(NOW.toISOString()), kind: fc.constant('action' as const), actor: fc.constantFrom('U0ALICE', 'bot'), step }),
);

describe('every rendered message, from any outside text', () => {
  it('an incident message', () => {
    fc.assert(
      fc.property(incident, runbookActions, (i, refs) => expectSafeMessage(renderIncidentMessage(i, refs), OWN)),
      RUNS,
    );
  });

  it('an approval message', () => {
    fc.assert(
      fc.property(action, (a) => expectSafeMessage(renderActionMessage(a), OWN)),
      RUNS,
    );
  });

  it('a thread reply', () => {
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1, maxLength: 40 }), (entries) => expectSafeMessage({ text: renderThreadReply(entries, '12') }, OWN)),
      RUNS,
    );
  });

  it('/incident show and /incident list', () => {
    fc.assert(
      fc.property(incident, fc.array(entry, { maxLength: 40 }), (i, timeline) => {
        expectSafeMessage({ text: renderCommandAnswer({ kind: 'incident_detail', incident: i, timeline }) }, OWN);
        expectSafeMessage({ text: renderCommandAnswer({ kind: 'incident_list', incidents: [i, i], total: 2 }) }, OWN);
      }),
      { numRuns: 100 },
    );
  });

  it("the brief forms, the channel fallback note, an action's replies and command answers", () => {
    fc.assert(
      fc.property(incident, action, fc.array(step, { minLength: 1, maxLength: 40 }), outside, (i, a, steps, typed) => {
        expectSafeMessage(renderMinimalIncidentMessage(i), OWN);
        expectSafeMessage(renderMinimalActionMessage(a), OWN);
        expectSafeMessage(withChannelFallbackNote(renderIncidentMessage(i), 'C0PAYMENTS', typed), OWN);
        expectSafeMessage(
          {
            text: renderActionReply(
              steps.map((st) => ({ at: NOW.toISOString(), actor: 'U0BOB', step: st })),
              '7',
            ),
          },
          OWN,
        );
        expectSafeMessage({ text: renderCommandAnswer({ kind: 'automation_paused', by: 'U0BOB', reason: typed }) }, OWN);
        expectSafeMessage({ text: renderCommandAnswer({ kind: 'text', text: typed }) }, OWN);
        expectSafeMessage({ text: renderCommandAnswer({ kind: 'dry_run', runbookId: typed, actionId: typed, plan: a.plan, rehearsal: undefined }) }, OWN);
      }),
      { numRuns: 100 },
    );
  });

  it('the roll-up of a flood', () => {
    const kind = fc.record({ alertname: outside, severity: outside });
    const flood = fc.record({
      counts: fc.array(
        fc.tuple(kind, fc.nat(2_000)).map(([k, count]) => ({ ...k, count })),
        { maxLength: 40 },
      ),
      worst: fc.array(
        fc.tuple(kind, fc.nat(9_999), maybe(outside)).map(([k, id, service]) => ({
          ...k,
          incidentId: String(id),
          rank: 4,
          critical: false,
          ...(service === undefined ? {} : { service }),
        })),
        { maxLength: 30 },
      ),
    });
    fc.assert(
      fc.property(flood, fc.constantFrom('critical-only' as const, 'critical-first' as const), ({ counts, worst }, posts) =>
        expectSafeMessage(
          renderFloodRollup(
            { id: 'f', channel: 'C0PAYMENTS', startedAt: NOW.getTime(), version: 1, total: counts.length + worst.length, counts, kinds: counts.length, worst },
            posts,
          ),
          OWN,
        ),
      ),
      { numRuns: 100 },
    );
  });
});
