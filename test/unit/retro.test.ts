/**
 * The retrospective draft, pure: an incident that was acknowledged, rolled back (requested,
 * approved, run, verified) and given a follow-up, rendered as Markdown (file, GitLab) and as
 * Slack's mrkdwn (posted message) in the order a retrospective reads, with its timeline in
 * time order whatever order it was recorded in.
 */
import { describe, expect, it } from 'vitest';
import { parseIncidentCommand } from '../../commands/incident.js';
import { CommandUsageError } from '../../src/errors.js';
import type { FactEntry, TimelineEntry } from '../../src/incidents/incident.js';
import { buildRetro, linkedActionIds } from '../../src/incidents/retro.js';
import { renderRetro, slackToGitlabMarkdown, type RetroStyle } from '../../src/slack/render/retro.js';
import type { Verification } from '../../src/verify/rollback-verification.js';
import { actionDoc, incidentDoc } from '../support/documents.js';
import { POSTED_DRAFT } from '../support/retro-draft.js';

const verified: Verification = {
  state: 'verified',
  checks: ['error-rate'],
  intervalMs: 30_000,
  since: '2026-11-22T10:06:00.000Z',
  until: '2026-11-22T10:08:00.000Z',
  rounds: 4,
};

const at = (minute: number, second = 0) => `2026-11-22T10:${String(minute).padStart(2, '0')}:${String(second).padStart(2, '0')}.000Z`;

const incident = incidentDoc({
  id: '42',
  state: 'resolved',
  commander: 'U0CAROL',
  openedAt: at(0),
  acknowledgedAt: at(1, 30),
  acknowledgedBy: 'U0ALICE',
  resolvedAt: at(10),
  resolvedBy: 'U0BOB',
  alerts: {
    a: {
      fingerprint: 'a',
      status: 'resolved',
      labels: { alertname: 'HighErrorRate', service: 'payment-service', severity: 'critical' },
      annotations: { summary: 'error rate over 5%' },
      startsAt: '2026-11-22T09:58:00.000Z',
      endsAt: at(10),
      generatorURL: '',
    },
  },
});

const rollback = actionDoc({
  id: '7',
  state: 'succeeded',
  approvedBy: ['U0BOB'],
  incidentId: '42',
  run: { id: '9002', url: 'https://gitlab.example.com/shop/payment-service/-/jobs/9002', params: {} },
  verification: verified,
});

/** As recorded: a note captured at 10:00:30 (its own time) was added after the ack. */
const timeline: TimelineEntry[] = [
  { at: at(0), actor: 'alertmanager', kind: 'opened', service: 'payment-service', alerts: [{ alertname: 'HighErrorRate' }], total: 1 },
  { at: at(1, 30), actor: 'U0ALICE', kind: 'acknowledged' },
  { at: at(0, 30), actor: 'U0DAVE', kind: 'followup', what: 'alert on <queue depth> & latency' },
  {
    at: at(2),
    actor: 'U0ALICE',
    kind: 'action',
    step: { kind: 'requested', actionId: '7', title: 'roll back payment-service', service: 'payment-service', reason: 'bad deploy', approval: 'needed' },
  },
  { at: at(3), actor: 'U0BOB', kind: 'action', step: { kind: 'approved', actionId: '7', count: 1, required: 1 } },
  { at: at(4), actor: 'bot', kind: 'action', step: { kind: 'started', actionId: '7' } },
  { at: at(6), actor: 'bot', kind: 'action', step: { kind: 'finished', actionId: '7', succeeded: true, seconds: 120, detail: 'job #9002 succeeded' } },
  { at: at(8), actor: 'bot', kind: 'action', step: { kind: 'verification_ended', actionId: '7', verification: verified } },
  { at: at(1), actor: 'U0BOB', kind: 'command', verb: 'viewed' },
  { at: at(10), actor: 'U0BOB', kind: 'resolved', stillFiring: 0 },
  { at: at(10), actor: 'bot', kind: 'retro', reason: 'resolved' },
];

describe('the retrospective draft', () => {
  const shared = [
    '- Requested by <@U0ALICE>: error rate doubled',
    '- Approved by <@U0BOB>',
    '  - environment: production',
    '- Result: ACT-7 succeeded after 120s: job #9002 succeeded',
    '- Verification: verified',
  ];
  /** Markdown for the uploaded file and the GitLab issue; Slack's mrkdwn for the posted message. */
  const orders: Record<RetroStyle, string[]> = {
    markdown: [
      '# Retrospective draft: INC-42 HighErrorRate',
      '**Service:** payment-service',
      '**Severity:** critical',
      '**Commander:** <@U0CAROL>',
      '**Impact window:** 2026-11-22 09:58:00 UTC → 2026-11-22 10:10:00 UTC (12 minutes)',
      '**Time to acknowledge:** 1 minute 30 seconds',
      '**Time to resolve:** 10 minutes',
      '## Timeline',
      '## Actions',
      '### ACT-7: roll back payment-service (succeeded)',
      ...shared,
      '## Follow-ups',
      '- [ ] alert on &lt;queue depth&gt; &amp; latency (<@U0DAVE>)',
    ],
    mrkdwn: [
      `${POSTED_DRAFT}INC-42 HighErrorRate*`,
      '*Service:* payment-service',
      '*Severity:* critical',
      '*Commander:* <@U0CAROL>',
      '*Impact window:* 2026-11-22 09:58:00 UTC → 2026-11-22 10:10:00 UTC (12 minutes)',
      '*Time to acknowledge:* 1 minute 30 seconds',
      '*Time to resolve:* 10 minutes',
      '\n*Timeline*\n',
      '\n*Actions*\n',
      '\n*ACT-7: roll back payment-service (succeeded)*\n',
      ...shared,
      '\n*Follow-ups*\n',
      '\n• ☐ alert on &lt;queue depth&gt; &amp; latency (<@U0DAVE>)',
    ],
  };

  it.each(['markdown', 'mrkdwn'] as const)('has its sections in order in %s: header, facts, timeline, actions, follow-ups', (style) => {
    const text = renderRetro(buildRetro(incident, timeline, [rollback]), style);
    const order = orders[style];
    const positions = order.map((part) => text.indexOf(part));
    expect(
      positions.every((p) => p >= 0),
      `missing: ${order.filter((_, i) => positions[i] === -1).join(' | ')}`,
    ).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it("writes the posted message in Slack's mrkdwn, which shows Markdown's bold, headings and task items as typed", () => {
    const draft = buildRetro(incident, timeline, [rollback]);
    const text = renderRetro(draft, 'mrkdwn');
    expect(text).not.toMatch(/\*\*|^#|^- \[ \]/m);
    // Only the syntax differs: every line has a Markdown twin at the same place.
    const twin = (line: string) =>
      line
        .replace(/^\*Retrospective draft: (.*)\*$/, '# Retrospective draft: $1')
        .replace(/^\*(Timeline|Actions|Follow-ups)\*$/, '## $1')
        .replace(/^\*(ACT-.*)\*$/, '### $1')
        .replace(/^- \*([^*]+:)\*/, '- **$1**')
        .replace(/^• ☐ /, '- [ ] ');
    expect(text.split('\n').map(twin)).toEqual(renderRetro(draft, 'markdown').split('\n'));
  });

  it('lists the timeline in time order, leaving out its own bookkeeping, views and follow-ups', () => {
    const draft = buildRetro(incident, timeline, [rollback]);
    expect(draft.timeline.map((e) => `${e.at.slice(14, 19)} ${e.kind}`)).toEqual([
      '00:00 opened',
      '01:30 acknowledged',
      '02:00 action',
      '03:00 action',
      '04:00 action',
      '06:00 action',
      '08:00 action',
      '10:00 resolved',
    ]);
    const text = renderRetro(draft, 'markdown');
    const timelineLines = text.slice(text.indexOf('## Timeline'), text.indexOf('## Actions')).split('\n').slice(1, -1).filter(Boolean);
    expect(timelineLines[0]).toBe('- 2026-11-22 10:00:00 UTC Incident opened for payment-service: 1 alert firing: HighErrorRate');
    expect(timelineLines[1]).toBe('- 2026-11-22 10:01:30 UTC Acknowledged by <@U0ALICE>');
    expect(timelineLines.at(-1)).toBe('- 2026-11-22 10:10:00 UTC Resolved by <@U0BOB>');
  });

  it('sorts an entry recorded late by its own time (a captured message)', () => {
    const late: FactEntry = { at: at(0, 45), actor: 'U0DAVE', kind: 'acknowledged' };
    const draft = buildRetro(incident, [...timeline, late], [rollback]);
    expect(draft.timeline.map((e) => e.at).slice(0, 3)).toEqual([at(0), at(0, 45), at(1, 30)]);
  });

  it('names every linked action once, and says so when there is none or no follow-up yet', () => {
    expect(linkedActionIds(timeline)).toEqual(['7']);
    const bare = renderRetro(buildRetro({ ...incident, commander: undefined }, timeline.slice(0, 2), []), 'markdown');
    expect(bare).toContain('**Commander:** none named');
    expect(bare).toContain('No action was linked to this incident.');
    expect(bare).toContain('None yet: add one with `/incident followup INC-42 &lt;what to do&gt;`.');
  });

  it('is filed in GitLab in Markdown, without Slack syntax and without mentioning anyone there', () => {
    const text = slackToGitlabMarkdown(
      renderRetro(buildRetro(incident, timeline, [rollback]), 'markdown', { url: 'https://gitlab.example.com/x/-/issues/3', project: 'x', iid: 3 }),
    );
    expect(text).toContain('Filed in GitLab: [x#\u200b3](https://gitlab.example.com/x/-/issues/3)');
    expect(text).toContain('**Commander:** `@U0CAROL`');
    expect(text).toContain('- [ ] alert on &lt;queue depth&gt; &amp; latency (`@U0DAVE`)');
    expect(text).toContain('- Run: [the run](https://gitlab.example.com/shop/payment-service/-/jobs/9002)');
    expect(text).not.toMatch(/<[^>]*>/);
  });

  it('shows an open incident as still open, without a time to resolve', () => {
    const open = { ...incident, state: 'acknowledged' as const, resolvedAt: undefined, resolvedBy: undefined };
    const text = renderRetro(buildRetro(open, timeline.slice(0, 2), []), 'markdown');
    expect(text).toContain('**Impact window:** 2026-11-22 09:58:00 UTC → still open');
    expect(text).toContain('**Time to resolve:** not resolved yet');
  });
});

describe('/incident retro and followup', () => {
  it('read an id, and for a follow-up the words after it as typed', () => {
    expect(parseIncidentCommand('retro INC-42')).toEqual({ verb: 'retro', rest: ['42'] });
    expect(parseIncidentCommand('followup INC-42  page on <queue depth>  & latency ')).toEqual({
      verb: 'followup',
      rest: { id: '42', what: 'page on <queue depth>  & latency' },
    });
  });

  it('refuse a follow-up without words, a wrong id, and one too long', () => {
    for (const text of ['followup INC-42', 'followup nope fix it', `followup 42 ${'x'.repeat(501)}`, 'retro', 'retro 4 5']) {
      expect(() => parseIncidentCommand(text), text).toThrow(CommandUsageError);
    }
  });
});
