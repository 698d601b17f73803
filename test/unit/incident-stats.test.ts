/** The numbers of `/incident stats` and the histograms: quantiles, grouping, the rollback join, the milestones, the words. */
import { describe, expect, it } from 'vitest';
import { parseIncidentCommand } from '../../commands/incident.js';
import { responseStats, rollbacksByService } from '../../src/actions/response-stats.js';
import { CommandUsageError } from '../../src/errors.js';
import type { Incident } from '../../src/incidents/incident.js';
import { milestonesReached, responseTimes } from '../../src/incidents/response-times.js';
import { quantile, responseByService, spread } from '../../src/incidents/stats.js';
import { acknowledge, resolveByUser } from '../../src/incidents/transitions.js';
import { renderResponseStats, shortDuration } from '../../src/slack/render/incident-stats.js';
import { actionDoc, incidentDoc } from '../support/documents.js';

const OPENED = Date.parse('2026-11-22T10:00:00.000Z');
const at = (seconds: number) => new Date(OPENED + seconds * 1000).toISOString();

/** An incident opened at OPENED (plus `openedAfter` s), acknowledged and resolved that many seconds after it opened. */
function handled(id: string, service: string | undefined, times: { ack?: number; resolve?: number; openedAfter?: number }): Incident {
  const opened = times.openedAfter ?? 0;
  return incidentDoc({
    id,
    service,
    openedAt: at(opened),
    ...(times.ack === undefined ? {} : { acknowledgedAt: at(opened + times.ack), state: 'acknowledged' as const }),
    ...(times.resolve === undefined ? {} : { state: 'resolved' as const, resolvedAt: at(opened + times.resolve), firstResolvedAt: at(opened + times.resolve) }),
  });
}

describe('quantiles', () => {
  it('interpolates between the two nearest ranks', () => {
    expect(quantile([90, 600], 0.5)).toBe(345);
    expect(quantile([600, 90, 300], 0.5)).toBe(300);
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBeCloseTo(9.1);
    expect(quantile([42], 0.9)).toBe(42);
    expect(quantile([], 0.5)).toBeUndefined();
  });

  it('a spread is the count, the median and the 90th percentile', () => {
    expect(spread([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 1000])).toEqual({ count: 11, median: 60, p90: 100 });
    expect(spread([])).toBeUndefined();
  });
});

describe('response times', () => {
  it('counts to the first acknowledgement and the first resolution, through a reopen', () => {
    const opened = handled('1', 'payment-service', {});
    const acked = acknowledge(opened, 'U0ALICE', new Date(OPENED + 90_000)).incident;
    const resolved = resolveByUser(acked, 'U0ALICE', new Date(OPENED + 600_000)).incident;
    expect(responseTimes(resolved)).toEqual({ acknowledgeSeconds: 90, resolveSeconds: 600 });
    expect(milestonesReached(opened, acked)).toEqual(['acknowledged']);
    expect(milestonesReached(acked, resolved)).toEqual(['resolved']);

    // Reopened and resolved again later: nothing new is reached, the first times stand.
    const reopened: Incident = { ...resolved, state: 'firing', resolvedAt: undefined, resolvedBy: undefined };
    const again = resolveByUser(reopened, 'U0BOB', new Date(OPENED + 3_600_000)).incident;
    expect(milestonesReached(reopened, again)).toEqual([]);
    expect(responseTimes(again)).toEqual({ acknowledgeSeconds: 90, resolveSeconds: 600 });
  });

  it('an incident stored before the first resolution was kept counts to its resolution', () => {
    expect(responseTimes({ ...handled('1', 'x', {}), state: 'resolved', resolvedAt: at(300) })).toEqual({ resolveSeconds: 300 });
  });
});

describe('per service', () => {
  const since = OPENED;
  const incidents = [
    handled('1', 'payment-service', { ack: 90, resolve: 600 }),
    handled('2', 'payment-service', { ack: 30, resolve: 1200 }),
    handled('3', 'payment-service', { ack: 60 }),
    handled('4', 'checkout', {}),
    handled('5', undefined, { resolve: 100 }),
    handled('6', 'checkout', { openedAfter: -60, ack: 10 }),
  ];

  it('counts the incidents opened in the window, with MTTA and MTTR over those acknowledged and resolved', () => {
    expect(responseByService(incidents, since)).toEqual([
      { service: 'payment-service', opened: 3, acknowledge: { count: 3, median: 60, p90: 84 }, resolve: { count: 2, median: 900, p90: 1140 } },
      { service: 'checkout', opened: 1 },
      { service: undefined, opened: 1, resolve: { count: 1, median: 100, p90: 100 } },
    ]);
  });

  it('joins the rollbacks that ran in the window, and how many were verified', () => {
    const verification = { checks: ['errors'], intervalMs: 60_000, since: at(0), until: at(600) };
    const actions = [
      actionDoc({ id: '1', state: 'succeeded', startedAt: at(100), verification: { ...verification, state: 'verified' } }),
      actionDoc({ id: '2', state: 'succeeded', startedAt: at(200), verification: { ...verification, state: 'not_verified' } }),
      actionDoc({ id: '3', state: 'failed', startedAt: at(300) }),
      actionDoc({ id: '4', state: 'running', startedAt: at(400), service: 'search' }),
      actionDoc({ id: '5', state: 'succeeded', startedAt: at(-100), verification: { ...verification, state: 'verified' } }),
      actionDoc({ id: '6', kind: 'fleet', state: 'succeeded', startedAt: at(100) }),
    ];
    expect(rollbacksByService(actions, since)).toEqual(
      new Map([
        ['payment-service', { run: 3, verified: 1 }],
        ['search', { run: 1, verified: 0 }],
      ]),
    );
    const stats = responseStats({ incidents, actions, since, windowMs: 7 * 86_400_000, truncated: false });
    expect(stats.services.map((s) => [s.service, s.opened, s.rollbacks])).toEqual([
      ['payment-service', 3, { run: 3, verified: 1 }],
      ['checkout', 1, { run: 0, verified: 0 }],
      [undefined, 1, { run: 0, verified: 0 }],
      ['search', 0, { run: 1, verified: 0 }],
    ]);
  });

  it('says them as a table, one line per service, with outside names escaped', () => {
    const stats = responseStats({
      incidents: [...incidents, handled('7', '<!channel> `x`', {})],
      actions: [actionDoc({ state: 'failed', startedAt: at(100) })],
      since,
      windowMs: 7 * 86_400_000,
      truncated: true,
    });
    const text = renderResponseStats(stats);
    expect(text).toContain('*Incident numbers, last 7d*');
    const lines = text.split('\n');
    expect(lines.find((l) => l.startsWith('payment-service'))).toMatch(/^payment-service\s+3\s+1m \/ 1m24s\s+15m \/ 19m\s+1 \(0% verified\)$/);
    expect(lines.find((l) => l.startsWith('checkout'))).toMatch(/^checkout\s+1\s+–\s+–\s+0$/);
    expect(text).toContain("&lt;!channel&gt; 'x'");
    expect(text).not.toContain('<!channel>');
    expect(text).toContain('cover the start of the window');
    const empty = renderResponseStats({ windowMs: 3_600_000, services: [], truncated: false });
    expect(empty).toContain('last 1h*');
    expect(empty).toContain('\nNo incidents and no rollbacks in this window.');
  });

  it('writes durations short', () => {
    expect([45, 90, 600, 1500, 3600 + 5 * 60, 3 * 86_400 + 4 * 3600].map(shortDuration)).toEqual(['45s', '1m30s', '10m', '25m', '1h05m', '3d4h']);
  });

  it('carries a rounded-up unit into the next one: never "60m", "1h60m" or "3d24h"', () => {
    expect([3599, 2 * 3600 - 10, 86_400 - 10, 4 * 86_400 - 60, 86_400 + 3600 * 23.6].map(shortDuration)).toEqual(['1h00m', '2h00m', '1d0h', '4d0h', '2d0h']);
  });
});

describe('/incident stats [window]', () => {
  it('takes no window (7 days) or one from 1h to 90d', () => {
    expect(parseIncidentCommand('stats')).toEqual({ verb: 'stats', rest: [] });
    expect(parseIncidentCommand('stats 30d')).toEqual({ verb: 'stats', rest: [30 * 86_400_000] });
    expect(parseIncidentCommand('stats 1h')).toEqual({ verb: 'stats', rest: [3_600_000] });
    for (const wrong of ['stats 30m', 'stats 91d', 'stats soon', 'stats 7d 1h']) expect(() => parseIncidentCommand(wrong)).toThrow(CommandUsageError);
    expect(() => parseIncidentCommand('stats 91d')).toThrow(/from 1h to 90d/);
  });
});
