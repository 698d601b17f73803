/**
 * The response-time histograms over IncidentService and the memory stores, on a clock the test
 * moves: each incident is observed once, on the process whose commit reached the milestone,
 * whoever made it (a person, Alertmanager, the silence poll).
 */
import { describe, expect, it } from 'vitest';
import { IncidentService } from '../../src/incidents/service.js';
import { createMetrics, type Metrics } from '../../src/metrics.js';
import { memoryStores, type MemoryStores } from '../../src/store/memory/index.js';
import { observeResponseTimes } from '../../src/wiring/response-numbers.js';
import { manualClock, type ManualClock } from '../support/clock.js';
import { notification } from '../support/fixtures.js';

interface Replica {
  incidents: IncidentService;
  metrics: Metrics;
}

/** A bot process on the shared stores: its own incident service and its own /metrics registry. */
function replica(stores: MemoryStores, clock: ManualClock): Replica {
  const incidents = new IncidentService(stores.incidents, { serviceLabel: 'service', channelFor: () => 'C0INCIDENTS', now: clock.date });
  const metrics = createMetrics();
  observeResponseTimes(incidents, metrics, []);
  return { incidents, metrics };
}

function world() {
  const clock = manualClock();
  const stores = memoryStores({ clock: clock.now });
  return { clock, stores, a: replica(stores, clock), b: replica(stores, clock) };
}

interface Observed {
  labels: Record<string, string | number>;
  count: number;
  sum: number;
}

/** What a histogram holds per label set: how many observations and their sum. */
async function observed(metrics: Metrics, which: 'timeToAcknowledge' | 'timeToResolve'): Promise<Observed[]> {
  const { values } = await metrics[which].get();
  const sums = values.filter((v) => v.metricName?.endsWith('_sum'));
  return values
    .filter((v) => v.metricName?.endsWith('_count'))
    .map((c) => ({ labels: c.labels, count: c.value, sum: sums.find((s) => JSON.stringify(s.labels) === JSON.stringify(c.labels))?.value ?? Number.NaN }));
}

const firing = (severity = 'critical') => notification({ group: 'HighErrorRate', alerts: [{ fingerprint: 'a', severity }] });
const resolved = () => notification({ group: 'HighErrorRate', alerts: [{ fingerprint: 'a', status: 'resolved' }] });
const labels = { service: 'payment-service', severity: 'critical' };

describe('response-time histograms', () => {
  it('fire, acknowledge at +90 s, resolve by Alertmanager at +600 s: observes 90 and 600, once each', async () => {
    const { clock, a } = world();
    const { incidentId } = await a.incidents.ingest(firing());
    clock.advance(90_000);
    await a.incidents.acknowledge(incidentId ?? '', 'U0ALICE');
    clock.advance(510_000);
    await a.incidents.ingest(resolved());

    expect(await observed(a.metrics, 'timeToAcknowledge')).toEqual([{ labels, count: 1, sum: 90 }]);
    expect(await observed(a.metrics, 'timeToResolve')).toEqual([{ labels, count: 1, sum: 600 }]);
  });

  it('two replicas clicking Acknowledge and receiving the same resolved notification observe once, on the one that committed', async () => {
    const { clock, a, b } = world();
    const { incidentId = '' } = await a.incidents.ingest(firing());
    clock.advance(90_000);
    const acks = await Promise.allSettled([a.incidents.acknowledge(incidentId, 'U0ALICE'), b.incidents.acknowledge(incidentId, 'U0BOB')]);
    expect(acks.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    clock.advance(510_000);
    // An HA pair of Alertmanagers sends the same notification to both replicas, and retries it.
    await Promise.all([a.incidents.ingest(resolved()), b.incidents.ingest(resolved()), a.incidents.ingest(resolved())]);

    const both = async (which: 'timeToAcknowledge' | 'timeToResolve') => [...(await observed(a.metrics, which)), ...(await observed(b.metrics, which))];
    expect(await both('timeToAcknowledge')).toEqual([{ labels, count: 1, sum: 90 }]);
    expect(await both('timeToResolve')).toEqual([{ labels, count: 1, sum: 600 }]);
  });

  it('a resolution by a person, and one by the silence poll, are observed like one by Alertmanager', async () => {
    const { clock, a } = world();
    const { incidentId: byPerson = '' } = await a.incidents.ingest(firing());
    clock.advance(120_000);
    await a.incidents.resolve(byPerson, 'U0ALICE');

    const { incidentId: silenced = '' } = await a.incidents.ingest(notification({ group: 'DiskFull', alerts: [{ fingerprint: 'd', severity: 'warning' }] }));
    await a.incidents.showSilence(silenced, { id: 's-1', by: 'U0ALICE', endsAt: '2026-11-23T10:00:00.000Z', untilResolved: true });
    clock.advance(300_000);
    await a.incidents.resolveSilenced(silenced);

    expect(await observed(a.metrics, 'timeToAcknowledge')).toEqual([]);
    expect(await observed(a.metrics, 'timeToResolve')).toEqual([
      { labels, count: 1, sum: 120 },
      { labels: { service: 'payment-service', severity: 'warning' }, count: 1, sum: 300 },
    ]);
  });

  it('an incident that reopens is not observed again: acknowledged and resolved again, it keeps its first times', async () => {
    const { clock, a } = world();
    const { incidentId = '' } = await a.incidents.ingest(firing());
    clock.advance(90_000);
    await a.incidents.acknowledge(incidentId, 'U0ALICE');
    clock.advance(510_000);
    await a.incidents.ingest(resolved());
    clock.advance(60_000);
    // The alert fires again within the reopen window: the same incident, firing again.
    await a.incidents.ingest(notification({ group: 'HighErrorRate', alerts: [{ fingerprint: 'a', startsAt: '2026-11-22T10:11:00.000Z' }] }));
    expect((await a.incidents.get(incidentId)).state).toBe('firing');
    clock.advance(60_000);
    await a.incidents.acknowledge(incidentId, 'U0BOB');
    clock.advance(600_000);
    await a.incidents.resolve(incidentId, 'U0BOB');

    expect(await observed(a.metrics, 'timeToAcknowledge')).toEqual([{ labels, count: 1, sum: 90 }]);
    expect(await observed(a.metrics, 'timeToResolve')).toEqual([{ labels, count: 1, sum: 600 }]);
  });
});
