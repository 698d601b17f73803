import { describe, expect, it } from 'vitest';
import { compareHosts, haltAfterBatch, normalizeHosts, planRollout, remainingAfter, shouldHalt, type Batch } from '../../src/fleet/rollout.js';
import type { BatchSize, Rollout } from '../../src/runbooks/schema.js';
import { haltText } from '../../src/slack/render/fleet-report.js';

const hosts = (n: number, prefix = 'web-') => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);
const sizes = (plan: Batch[]) => plan.map((b) => b.hosts.length);
const rollout = (canary: number, batches: BatchSize[]): Pick<Rollout, 'canary' | 'batches'> => ({ canary, batches });

describe('planRollout', () => {
  it('runs the canary first, then counts and percentages of the hosts left after it', () => {
    const plan = planRollout(hosts(11), rollout(1, [1, '50%', '100%']));
    expect(plan).toEqual([
      { index: 0, canary: true, hosts: ['web-1'] },
      { index: 1, canary: false, hosts: ['web-2'] },
      { index: 2, canary: false, hosts: ['web-3', 'web-4', 'web-5', 'web-6', 'web-7'] },
      { index: 3, canary: false, hosts: ['web-8', 'web-9', 'web-10', 'web-11'] },
    ]);
  });

  it('rounds percentages up, to at least one host', () => {
    expect(sizes(planRollout(hosts(11), rollout(1, ['25%', '25%', '100%'])))).toEqual([1, 3, 3, 4]);
    expect(sizes(planRollout(hosts(101), rollout(1, ['1%', '0.5%', '100%'])))).toEqual([1, 1, 1, 98]);
    expect(sizes(planRollout(hosts(4), rollout(0, ['12.5%', '100%'])))).toEqual([1, 3]);
  });

  it('lets the last batch take every host still left when the list runs out', () => {
    expect(sizes(planRollout(hosts(10), rollout(1, [2, 3])))).toEqual([1, 2, 7]);
    expect(sizes(planRollout(hosts(10), rollout(1, ['10%'])))).toEqual([1, 9]);
    expect(sizes(planRollout(hosts(10), rollout(0, ['100%'])))).toEqual([10]);
  });

  it('ends early, with no empty batch, when the hosts run out before the list', () => {
    expect(planRollout(hosts(3), rollout(1, [5, '50%', '100%']))).toEqual([
      { index: 0, canary: true, hosts: ['web-1'] },
      { index: 1, canary: false, hosts: ['web-2', 'web-3'] },
    ]);
    expect(planRollout(['only'], rollout(1, [1, '100%']))).toEqual([{ index: 0, canary: true, hosts: ['only'] }]);
  });

  it('takes at most all hosts as canaries, and none when canary is 0', () => {
    expect(planRollout(hosts(3), rollout(5, ['100%']))).toEqual([{ index: 0, canary: true, hosts: ['web-1', 'web-2', 'web-3'] }]);
    expect(planRollout(hosts(3), rollout(0, [1, '100%']))).toEqual([
      { index: 0, canary: false, hosts: ['web-1'] },
      { index: 1, canary: false, hosts: ['web-2', 'web-3'] },
    ]);
    expect(sizes(planRollout(hosts(10), rollout(2, ['50%', '100%'])))).toEqual([2, 4, 4]);
  });

  it('gives no batches for no hosts', () => {
    expect(planRollout([], rollout(1, ['100%']))).toEqual([]);
    expect(planRollout(['', '  '], rollout(1, ['100%']))).toEqual([]);
  });

  it('dedupes and sorts, so the same hosts in any order give the same plan', () => {
    const messy = ['web-10', 'web-2', ' web-1 ', 'web-2', 'db-1', '', 'web-1'];
    const plan = planRollout(messy, rollout(1, [1, '100%']));
    expect(plan).toEqual([
      { index: 0, canary: true, hosts: ['db-1'] },
      { index: 1, canary: false, hosts: ['web-1'] },
      { index: 2, canary: false, hosts: ['web-2', 'web-10'] },
    ]);
    expect(planRollout([...messy].reverse(), rollout(1, [1, '100%']))).toEqual(plan);
  });

  it('puts every host in exactly one non-empty batch, whatever the settings', () => {
    const batchLists: BatchSize[][] = [['100%'], [1], [1, '50%', '100%'], ['33%', 2, '10%'], [3, 3, 3], ['1%']];
    for (let n = 0; n <= 40; n += 1) {
      for (const canary of [0, 1, 2, 7]) {
        for (const batches of batchLists) {
          const plan = planRollout(hosts(n), rollout(canary, batches));
          const all = plan.flatMap((b) => b.hosts);
          expect(all).toHaveLength(n);
          expect(new Set(all).size).toBe(n);
          expect(plan.every((b, i) => b.hosts.length > 0 && b.index === i && b.canary === (i === 0 && canary > 0))).toBe(true);
          expect(plan.length).toBeLessThanOrEqual(batches.length + 1);
        }
      }
    }
  });
});

describe('host order', () => {
  it('is natural and independent of the locale', () => {
    expect(normalizeHosts(['web-10', 'web-9', 'web-1', 'Web-1', 'web-01', 'api', 'web-1.eu', '10.0.0.10', '10.0.0.9'])).toEqual([
      '10.0.0.9',
      '10.0.0.10',
      'Web-1',
      'api',
      'web-01',
      'web-1',
      'web-1.eu',
      'web-9',
      'web-10',
    ]);
    expect(compareHosts('a', 'a')).toBe(0);
    expect(compareHosts('web-99999999999999999999', 'web-100000000000000000000')).toBeLessThan(0);
  });
});

describe('halting', () => {
  it('halts when failures exceed max_failures', () => {
    expect(shouldHalt(0, 0)).toBe(false);
    expect(shouldHalt(1, 0)).toBe(true);
    expect(shouldHalt(2, 2)).toBe(false);
    expect(shouldHalt(3, 2)).toBe(true);
  });

  it('always halts on a failed canary, whatever max_failures allows', () => {
    const canary = { index: 0, canary: true };
    const halted = haltAfterBatch(canary, 1, 1, { max_failures: 10 });
    expect(halted).toEqual({ halt: true, reason: { kind: 'canary_failed', failures: 1 } });
    expect(halted.halt && haltText(halted.reason)).toBe('Halted: the canary batch failed on 1 host; no other host was touched.');
    expect(haltAfterBatch(canary, 0, 0, { max_failures: 0 })).toEqual({ halt: false });
  });

  it('halts after a batch once the total failures exceed max_failures', () => {
    const batch = { index: 2, canary: false };
    expect(haltAfterBatch(batch, 1, 1, { max_failures: 1 })).toEqual({ halt: false });
    const halted = haltAfterBatch(batch, 1, 2, { max_failures: 1 });
    expect(halted).toEqual({ halt: true, reason: { kind: 'too_many_failures', batch: 3, failures: 2, maxFailures: 1 } });
    expect(halted.halt && haltText(halted.reason)).toBe('Halted after batch 3: 2 hosts failed, more than max_failures (1).');
    expect(haltAfterBatch({ index: 0, canary: false }, 1, 1, { max_failures: 0 })).toMatchObject({ halt: true, reason: { kind: 'too_many_failures' } });
  });
});

describe('remainingAfter', () => {
  const plan = planRollout(hosts(7), rollout(1, [2, '100%']));

  it('skips the hosts that succeeded and drops emptied batches; each batch keeps its place in the plan', () => {
    expect(remainingAfter(plan, ['web-1', 'web-2', 'web-3', 'web-5'])).toEqual([{ index: 2, canary: false, hosts: ['web-4', 'web-6', 'web-7'] }]);
    expect(remainingAfter(plan, ['web-1', 'web-2'])).toEqual([
      { index: 1, canary: false, hosts: ['web-3'] },
      { index: 2, canary: false, hosts: ['web-4', 'web-5', 'web-6', 'web-7'] },
    ]);
  });

  it('retries a failed canary as the canary', () => {
    expect(remainingAfter(plan, [])).toEqual(plan);
    expect(remainingAfter(plan, new Set(['web-7']))[0]).toEqual({ index: 0, canary: true, hosts: ['web-1'] });
  });

  it('gives nothing to do when every host succeeded', () => {
    expect(remainingAfter(plan, hosts(7))).toEqual([]);
  });
});
