/**
 * The App Home tab as rendered (src/slack/render/home-view.ts): what waits for the person
 * first, incidents most severe and oldest first with their age and a link, the channel's
 * own buttons, and Block Kit's limit of 100 blocks in a home view whatever the lists hold.
 */
import { describe, expect, it } from 'vitest';
import { requestAction, type Action } from '../../src/actions/action.js';
import type { Incident } from '../../src/incidents/incident.js';
import type { Block } from '../../src/slack/render/block-kit.js';
import { formatAge, type HomeFacts, MAX_HOME_BLOCKS, renderHomeView } from '../../src/slack/render/home-view.js';
import { messageLink } from '../../src/slack/render/permalink.js';
import { homeViewRefusal } from '../support/block-kit-limits.js';

const NOW = new Date('2026-11-22T12:00:00.000Z');
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000).toISOString();

function incident(id: string, severity: string, startedMinutesAgo: number, state: Incident['state'] = 'firing'): Incident {
  const startsAt = minutesAgo(startedMinutesAgo);
  return {
    id,
    version: 1,
    groupKey: `group-${id}`,
    state,
    service: 'payment-service',
    channel: 'C0PAYMENTS',
    groupLabels: { alertname: `Alert${id}` },
    commonAnnotations: {},
    externalURL: 'http://alertmanager',
    alerts: {
      f: { fingerprint: 'f', status: 'firing', labels: { alertname: `Alert${id}`, severity }, annotations: {}, startsAt, endsAt: '', generatorURL: '' },
    },
    truncatedAlerts: 0,
    openedAt: startsAt,
    updatedAt: startsAt,
  };
}

function request(id: string, overrides: Partial<Action> = {}): Action {
  const { action } = requestAction({
    id,
    kind: 'rollback',
    service: 'payment-service',
    plan: { executor: 'gitlab', service: 'payment-service', title: 'roll back payment-service', summary: ['service: payment-service'], params: {} },
    requestedBy: 'U0ALICE',
    requesterIsApprover: true,
    reason: 'errors <doubled>',
    approvals: 1,
    expiresInMs: 15 * 60_000,
    forced: false,
    channel: 'C0PAYMENTS',
    now: NOW,
  });
  return { ...action, ...overrides };
}

function facts(overrides: Partial<HomeFacts> = {}): HomeFacts {
  return { userId: 'U0BOB', incidents: [], totalIncidents: 0, running: [], approvals: [], killSwitch: undefined, mayPause: false, ...overrides };
}

const text = (blocks: Block[]) =>
  blocks.map((b) => ('text' in b && b.text ? b.text.text : b.type === 'context' ? b.elements.map((e) => e.text).join(' ') : '')).join('\n');
const buttons = (blocks: Block[]) =>
  blocks.flatMap((b) => (b.type === 'actions' ? b.elements.map((e) => ({ id: e.action_id, value: 'value' in e ? e.value : undefined })) : []));

describe('renderHomeView', () => {
  it('lists open incidents most severe first, the oldest first within a severity, each with its age, state and a link to its message', () => {
    const view = renderHomeView(
      facts({
        incidents: [
          { incident: incident('1', 'warning', 300) },
          { incident: incident('2', 'critical', 5, 'acknowledged'), message: { channel: 'C0PAYMENTS', ts: '1700000000.000123' } },
          { incident: incident('3', 'critical', 3 * 1440 + 125) },
          { incident: incident('4', 'info', 0) },
        ],
        totalIncidents: 4,
      }),
      NOW,
    );
    const lines = text(view.blocks)
      .split('\n')
      .filter((l) => l.includes('INC-') || l.includes('Alert'));
    expect(lines.map((l) => /Alert(\d)/.exec(l)?.[1])).toEqual(['3', '2', '1', '4']);
    expect(lines[0]).toContain('· critical · firing · 3d 2h ·');
    expect(lines[1]).toContain('<https://slack.com/archives/C0PAYMENTS/p1700000000000123|');
    expect(lines[1]).toContain('· critical · acknowledged · 5m ·');
    expect(lines[2]).toContain('· warning · firing · 5h 0m ·');
    expect(lines[3]).toContain('under a minute');
    expect(text(view.blocks)).toContain('Open incidents (4)');
  });

  it('offers the channel’s own Approve and Deny for each request waiting for the person, and escapes the reason', () => {
    const view = renderHomeView(facts({ approvals: [request('12')] }), NOW);
    expect(buttons(view.blocks)).toEqual([
      { id: 'action.approve', value: JSON.stringify({ v: 1, action: '12' }) },
      { id: 'action.deny', value: JSON.stringify({ v: 1, action: '12' }) },
    ]);
    expect(text(view.blocks)).toContain('*ACT-12*: roll back payment-service · requested by <@U0ALICE> · 0 of 1 approvals\nerrors &lt;doubled&gt;');
  });

  it('shows the kill switch, with Pause or Resume only to those allowed', () => {
    expect(buttons(renderHomeView(facts(), NOW).blocks)).toEqual([]);
    expect(buttons(renderHomeView(facts({ mayPause: true }), NOW).blocks).map((b) => b.id)).toEqual(['automation.pause']);
    const paused = renderHomeView(facts({ mayPause: true, killSwitch: { by: 'U0CAROL', reason: 'db migration', at: NOW.toISOString() } }), NOW);
    expect(buttons(paused.blocks)).toEqual([{ id: 'automation.resume', value: '{"v":1}' }]);
    expect(text(paused.blocks)).toContain('Automation is *paused* by <@U0CAROL>');
  });

  it('stays within 100 blocks and Block Kit’s limits however long the lists, saying how many more there are', () => {
    const view = renderHomeView(
      facts({
        notice: 'x'.repeat(5_000),
        approvals: Array.from({ length: 60 }, (_, i) => request(String(i + 1), { reason: 'r'.repeat(4_000) })),
        incidents: Array.from({ length: 80 }, (_, i) => ({ incident: incident(String(i + 1), 'critical', i) })),
        totalIncidents: 250,
        running: Array.from({ length: 40 }, (_, i) => ({ action: request(String(i + 100), { state: 'running' }) })),
        mayPause: true,
      }),
      NOW,
    );
    expect(view.blocks.length).toBeLessThanOrEqual(MAX_HOME_BLOCKS);
    expect(homeViewRefusal(view)).toBeUndefined();
    const all = text(view.blocks);
    expect(all).toContain('…and 40 more.');
    expect(all).toContain('…and 220 more.');
    expect(all).toContain('…and 25 more.');
    expect(buttons(view.blocks).at(-1)?.id).toBe('automation.pause');
  });

  it('says when there is nothing to show', () => {
    const all = text(renderHomeView(facts(), NOW).blocks);
    expect(all).toContain('Nothing waits for you.');
    expect(all).toContain('No open incidents.');
    expect(all).toContain('No action is running.');
    expect(all).toContain('Automation is *running*');
  });
});

describe('formatAge and messageLink', () => {
  it('reads as a person would say it', () => {
    expect([0, 59_999, 60_000, 61 * 60_000, 25 * 3_600_000].map(formatAge)).toEqual(['under a minute', 'under a minute', '1m', '1h 1m', '1d 1h']);
    expect(messageLink('C0ABC', '1700000000.000001')).toBe('https://slack.com/archives/C0ABC/p1700000000000001');
  });

  it("links a message on the workspace's domain when it is known, a reply with its thread", () => {
    expect(messageLink('C1', '1700000000.000200', { domain: 'acme', threadTs: '1700000000.000100' })).toBe(
      'https://acme.slack.com/archives/C1/p1700000000000200?thread_ts=1700000000.000100&cid=C1',
    );
    // A thread's parent is no reply; a domain that is not a host label is not trusted into the link.
    expect(messageLink('C1', '1700000000.000100', { domain: 'acme', threadTs: '1700000000.000100' })).toBe(
      'https://acme.slack.com/archives/C1/p1700000000000100',
    );
    expect(messageLink('C1', '1700000000.000100', { domain: 'evil.com/x?' })).toBe('https://slack.com/archives/C1/p1700000000000100');
  });
});
