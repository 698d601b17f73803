/** What the deploy guard says in Slack, and the reason its rollback requests carry. */
import { describe, expect, it } from 'vitest';
import { deployGuardReason, renderDeployGuardNotice } from '../../src/slack/render/deploy-guard.js';
import type { GuardTrigger } from '../../src/verify/deploy-guard-acting.js';

const trigger: GuardTrigger = {
  deploy: { service: 'payment-service', deploymentId: 304, sha: 'c0ffee00', ref: 'main', armedAt: 0, until: 1 },
  mode: 'auto',
  failures: 2,
  round: {
    verdict: 'fail',
    at: '2026-11-22T10:00:00.000Z',
    results: [
      { check: 'error-rate', verdict: 'fail', value: 0.2, threshold: { max: 0.05 }, query: 'q', graphUrl: 'http://prom/graph?g0.expr=q', noData: 'pause' },
      { check: 'p99-latency', verdict: 'pass', value: 0.3, threshold: { max: 0.5 }, query: 'q2', graphUrl: 'http://prom/graph?g0.expr=q2', noData: 'pause' },
    ],
  },
};

describe('deploy guard render', () => {
  it('gives the request a reason naming the deploy and the failing values, in plain text', () => {
    expect(deployGuardReason(trigger)).toBe(
      'deploy guard: deployment 304 (c0ffee00, main) of payment-service failed 2 evaluations in a row (error-rate 0.2, expected <= 0.05); back to the deploy before',
    );
  });

  it('announces an automatic rollback with every check’s value, threshold and graph link', () => {
    const text = renderDeployGuardNotice({ kind: 'rolled_back', trigger, actionId: '12' });
    expect(text).toContain('*Deploy guard*: deployment 304 (c0ffee00, main) of *payment-service* failed its checks 2 evaluations in a row.');
    expect(text).toContain('Rolling back to the deploy before now, without approval (`deploy_guard.mode: auto`): ACT-12.');
    expect(text).toContain(':x: error-rate 0.2, expected <= 0.05 (<http://prom/graph?g0.expr=q|graph>)');
    expect(text).toContain(':white_check_mark: p99-latency 0.3 <= 0.5');
  });

  it('says a paused bot would have acted, who paused it and why, escaping the reason', () => {
    const text = renderDeployGuardNotice({ kind: 'paused', trigger, pausedBy: 'U0ALICE', pauseReason: 'freeze <!channel>' });
    expect(text).toContain('The guard would have rolled it back and did not: automation is paused by <@U0ALICE> (freeze &lt;!channel&gt;).');
  });

  it('names the request a proposal made, and the reason a refusal gave', () => {
    expect(renderDeployGuardNotice({ kind: 'proposed', trigger: { ...trigger, mode: 'propose' }, actionId: '7' })).toContain(
      'Rollback to the deploy before requested as ACT-7; an approver of the service approves it as usual.',
    );
    expect(renderDeployGuardNotice({ kind: 'refused', trigger, reason: 'payment-service was rolled back by ACT-3 less than 10m ago.' })).toContain(
      'The guard could not request the rollback: payment-service was rolled back by ACT-3 less than 10m ago.',
    );
  });
});
