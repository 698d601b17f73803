/**
 * The rules of a rollback's verification window (src/verify/rollback-verification.ts), how
 * services.yaml sets it up, and how the messages say it.
 */
import { describe, expect, it } from 'vitest';
import type { Action } from '../../src/actions/action.js';
import type { Incident } from '../../src/incidents/incident.js';
import { createCatalog } from '../../src/services/catalog.js';
import { ServicesFile } from '../../src/services/schema.js';
import { renderActionMessage } from '../../src/slack/render/action-message.js';
import { renderIncidentMessage } from '../../src/slack/render/incident-message.js';
import { verificationEndedText } from '../../src/slack/render/verification.js';
import { roundVerdict, type CheckResult, type Round } from '../../src/verify/checks.js';
import { afterRound, firstWatch, monitoring, type Verification, type Watch } from '../../src/verify/rollback-verification.js';
import { verificationSettings, verifyTickMs } from '../../src/wiring/rollback-verification.js';

const T0 = Date.parse('2026-11-22T10:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms);

function round(value: number | 'no-data', noData: CheckResult['noData'] = 'pause', ms = 0): Round {
  const base = { check: 'error-rate', threshold: { max: 0.05 }, query: 'q', graphUrl: 'http://prometheus.test/graph?g0.expr=q', noData };
  const result: CheckResult =
    value === 'no-data' ? { ...base, value: undefined, verdict: 'no-data' } : { ...base, value, verdict: value <= 0.05 ? 'pass' : 'fail' };
  return { verdict: roundVerdict([result]), results: [result], at: at(ms).toISOString() };
}

/** Runs the rounds a second apart over a 3 s window (a round every 1 s), and gives the verdict. */
function windowOf(rounds: Round[], verifyAfterMs = 3_000): Verification {
  const verification = monitoring({ checks: ['error-rate'], intervalMs: 1_000, verifyAfterMs, now: at(0) });
  let watch: Watch = firstWatch('7', verification);
  for (const next of rounds) {
    const after = afterRound(watch, verification, next, new Date(watch.dueAt));
    if (after.kind === 'ended') return after.verification;
    watch = after.watch;
  }
  throw new Error(`the window did not end after ${rounds.length} rounds`);
}

describe('the verification window', () => {
  it('is verified when every round passes, the last one at the end of the window', () => {
    expect(windowOf([round(0.01), round(0.02), round(0.004)])).toMatchObject({ state: 'verified', rounds: 3, round: { results: [{ value: 0.004 }] } });
  });

  it('is not verified when the last round fails, with that round', () => {
    expect(windowOf([round(0.01), round(0.01), round(0.2)])).toMatchObject({ state: 'not_verified', reason: 'failing', round: { results: [{ value: 0.2 }] } });
  });

  it('is verified when the service recovers within the window: failing rounds before the first passing one are the rollback taking effect', () => {
    expect(windowOf([round(0.3), round(0.01), round(0.004)])).toMatchObject({ state: 'verified', rounds: 3 });
  });

  it('is not verified when a check fails again after it had passed, even if the last round passes: it names that round', () => {
    expect(windowOf([round(0.01), round(0.3, 'pause', 2_000), round(0.01)])).toMatchObject({
      state: 'not_verified',
      reason: 'relapsed',
      round: { at: at(2_000).toISOString(), results: [{ value: 0.3 }] },
    });
  });

  it('skips a round without data within the window (no_data: pause), but not at its end', () => {
    expect(windowOf([round(0.01), round('no-data'), round(0.01)])).toMatchObject({ state: 'verified' });
    expect(windowOf([round(0.01), round(0.01), round('no-data')])).toMatchObject({ state: 'not_verified', reason: 'no_data' });
  });

  it('follows each check’s no_data: fail counts as failing, pass as passing', () => {
    expect(windowOf([round(0.01), round('no-data', 'fail'), round(0.01)])).toMatchObject({ state: 'not_verified', reason: 'relapsed' });
    expect(windowOf([round(0.01), round(0.01), round('no-data', 'pass')])).toMatchObject({ state: 'verified' });
  });

  it('with verify_after shorter than the interval, or 0s, one round at the end decides', () => {
    expect(firstWatch('7', monitoring({ checks: ['error-rate'], intervalMs: 30_000, verifyAfterMs: 10_000, now: at(0) })).dueAt).toBe(T0 + 10_000);
    expect(windowOf([round(0.01)], 0)).toMatchObject({ state: 'verified', rounds: 1 });
  });

  it('after a round that ran late (the bot was down), the next one is an interval later, never past the end', () => {
    const verification = monitoring({ checks: ['error-rate'], intervalMs: 1_000, verifyAfterMs: 60_000, now: at(0) });
    const late = afterRound(firstWatch('7', verification), verification, round(0.01), at(20_500));
    expect(late).toMatchObject({ kind: 'watching', watch: { dueAt: T0 + 21_500, rounds: 1 } });
    const nearEnd = afterRound(firstWatch('7', verification), verification, round(0.01), at(59_800));
    expect(nearEnd).toMatchObject({ kind: 'watching', watch: { dueAt: T0 + 60_000 } });
  });
});

describe('services.yaml sets a verification up', () => {
  const catalog = createCatalog(
    ServicesFile.parse({
      services: {
        fast: {
          approvers: ['U0ALICE'],
          gitlab: { project: 'shop/fast', environment: 'production' },
          health: [{ name: 'error-rate', query: 'q', max: 0.05 }],
          verify_after: '2m',
          deploy_guard: { checks: ['error-rate'], interval: '2s' },
        },
        plain: { health: [{ name: 'up', query: 'up', min: 1 }] },
        unchecked: {},
      },
    }),
    'C0INCIDENTS',
  );

  it('all health checks, for verify_after (default 5m), at the deploy_guard’s interval or every 30s; nothing without checks', () => {
    const settingsOf = verificationSettings(catalog);
    expect(settingsOf('fast')).toMatchObject({ verifyAfterMs: 120_000, intervalMs: 2_000, checks: [{ name: 'error-rate' }] });
    expect(settingsOf('plain')).toMatchObject({ verifyAfterMs: 300_000, intervalMs: 30_000, checks: [{ name: 'up' }] });
    expect(settingsOf('unchecked')).toBeUndefined();
  });

  it('the job ticks as often as the shortest interval, at most every 5 s', () => {
    expect(verifyTickMs(catalog)).toBe(2_000);
    expect(verifyTickMs(createCatalog(ServicesFile.parse({ services: { plain: { health: [{ name: 'up', query: 'up', min: 1 }] } } }), 'C0'))).toBe(5_000);
  });
});

describe('the messages', () => {
  const verified: Verification = {
    ...monitoring({ checks: ['error-rate'], intervalMs: 1_000, verifyAfterMs: 3_000, now: at(0) }),
    state: 'verified',
    rounds: 3,
    round: round(0.004),
  };

  it('the thread says the verdict with the value, the threshold and the graph link', () => {
    expect(verificationEndedText('7', verified)).toBe(
      ':white_check_mark: ACT-7 verified: error-rate 0.004 <= 0.05 (3 rounds)\n:white_check_mark: error-rate 0.004 <= 0.05 (<http://prometheus.test/graph?g0.expr=q|graph>)',
    );
  });

  it('the action message says succeeded (verified), or monitoring until the end of the window', () => {
    const action = {
      id: '7',
      version: 3,
      kind: 'rollback',
      service: 'billing',
      plan: { executor: 'gitlab', service: 'billing', title: 'roll back billing', summary: [], params: {} },
      state: 'succeeded',
      requestedBy: 'U0ALICE',
      reason: '',
      requestedAt: at(0).toISOString(),
      expiresAt: at(60_000).toISOString(),
      approvalsRequired: 1,
      approvedBy: ['U0BOB'],
      forced: false,
      channel: 'C0BILLING',
    } satisfies Action;
    const done = renderActionMessage({ ...action, verification: verified });
    expect(done.text).toBe('[SUCCEEDED] ACT-7 roll back billing (VERIFIED)');
    expect(JSON.stringify(done.blocks)).toContain(':large_green_circle: succeeded (verified)');
    const watching = renderActionMessage({ ...action, verification: { ...verified, state: 'monitoring' } });
    expect(JSON.stringify(watching.blocks)).toContain(':eyes: monitoring until <!date^');
  });

  it('the incident message shows monitoring while the rollback is watched', () => {
    const incident: Incident = {
      id: '3',
      version: 4,
      groupKey: 'g',
      state: 'mitigating',
      service: 'billing',
      channel: 'C0BILLING',
      groupLabels: { alertname: 'HighErrorRate' },
      commonAnnotations: {},
      externalURL: '',
      alerts: {},
      truncatedAlerts: 0,
      openedAt: at(0).toISOString(),
      updatedAt: at(0).toISOString(),
      verification: { ...verified, state: 'monitoring', actionId: '7' },
    };
    const text = JSON.stringify(renderIncidentMessage(incident).blocks);
    expect(text).toContain(':large_blue_circle: mitigating, monitoring');
    expect(text).toContain(':eyes: ACT-7 monitoring error-rate until <!date^');
  });
});
