import { describe, expect, it } from 'vitest';
import type { TrackedAlert } from '../../src/incidents/incident.js';
import { parseRunbook } from '../../src/runbooks/loader.js';
import { disagreeingLabels, matchingRunbooks, runbookActionsFor } from '../../src/runbooks/match.js';
import type { Runbook } from '../../src/runbooks/schema.js';

function runbook(id: string, match: string, actions = '  - { id: rollback, title: Roll back, kind: rollback }'): Runbook {
  return parseRunbook(`id: ${id}\ntitle: ${id}\nmatch:\n${match}\nactions:\n${actions}\n`, `${id}.yaml`);
}

function alert(status: TrackedAlert['status'], labels: Record<string, string>): Pick<TrackedAlert, 'status' | 'labels'> {
  return { status, labels };
}

const errorRate = runbook('error-rate', '  - { label: alertname, equals: HighErrorRate }');
const paymentExact = runbook('payment-exact', '  - { label: service, regex: payment }');
const paymentAny = runbook('payment-any', '  - { label: service, regex: "payment-.*" }');
const paymentErrors = runbook(
  'payment-errors',
  '  - { label: alertname, equals: HighErrorRate }\n  - { label: service, regex: "payment-.*" }',
  '  - { id: rollback, title: Roll back payments, kind: rollback, service: payment-service, confirm: Sure? }\n  - { id: rollback-api, title: Roll back API, kind: rollback, service: api }',
);

describe('matchingRunbooks', () => {
  it('anchors regexes: the whole value must match, as in Prometheus', () => {
    expect(matchingRunbooks([paymentExact, paymentAny], { service: 'payment-service' })).toEqual([paymentAny]);
    expect(matchingRunbooks([paymentExact, paymentAny], { service: 'payment' })).toEqual([paymentExact]);
    expect(matchingRunbooks([paymentAny], { service: 'old-payment-service' })).toEqual([]);
    const alternation = runbook('alt', '  - { label: env, regex: "prod|staging" }');
    expect(matchingRunbooks([alternation], { env: 'staging' })).toEqual([alternation]);
    expect(matchingRunbooks([alternation], { env: 'prod-eu' })).toEqual([]);
  });

  it('compares equals exactly', () => {
    expect(matchingRunbooks([errorRate], { alertname: 'HighErrorRate' })).toEqual([errorRate]);
    expect(matchingRunbooks([errorRate], { alertname: 'HighErrorRateBudget' })).toEqual([]);
    expect(matchingRunbooks([errorRate], { alertname: 'higherrorrate' })).toEqual([]);
  });

  it('requires every matcher to hold (AND)', () => {
    expect(matchingRunbooks([paymentErrors], { alertname: 'HighErrorRate', service: 'payment-service' })).toEqual([paymentErrors]);
    expect(matchingRunbooks([paymentErrors], { alertname: 'HighErrorRate', service: 'checkout' })).toEqual([]);
    expect(matchingRunbooks([paymentErrors], { alertname: 'HighLatency', service: 'payment-service' })).toEqual([]);
    expect(matchingRunbooks([paymentErrors], { alertname: 'HighErrorRate' })).toEqual([]);
  });

  it('treats an absent label as the empty value', () => {
    const noTeam = runbook('no-team', '  - { label: team, equals: "" }');
    const anyTeam = runbook('any-team', '  - { label: team, regex: ".+" }');
    expect(matchingRunbooks([noTeam, anyTeam], {})).toEqual([noTeam]);
    expect(matchingRunbooks([noTeam, anyTeam], { team: 'payments' })).toEqual([anyTeam]);
  });

  it("reads only the alert's own labels: a label named constructor or toString is absent unless the alert has it", () => {
    const noConstructor = runbook('no-constructor', '  - { label: constructor, equals: "" }');
    const anyToString = runbook('any-tostring', '  - { label: toString, regex: ".*" }');
    const someToString = runbook('some-tostring', '  - { label: toString, regex: ".+" }');
    expect(matchingRunbooks([noConstructor, anyToString, someToString], {})).toEqual([noConstructor, anyToString]);
    expect(matchingRunbooks([noConstructor, anyToString, someToString], { constructor: 'x', toString: 'y' })).toEqual([anyToString, someToString]);
  });

  it('keeps the given order', () => {
    const labels = { alertname: 'HighErrorRate', service: 'payment-service' };
    expect(matchingRunbooks([paymentErrors, paymentAny, errorRate], labels).map((r) => r.id)).toEqual(['payment-errors', 'payment-any', 'error-rate']);
  });
});

describe('runbookActionsFor', () => {
  const runbooks = [errorRate, paymentErrors, paymentAny];

  it('offers the actions of every runbook a firing alert matches, in runbook then action order, once each', () => {
    const incident = {
      alerts: {
        a: alert('firing', { alertname: 'HighErrorRate', service: 'payment-service' }),
        b: alert('firing', { alertname: 'HighErrorRate', service: 'payment-service', instance: 'b' }),
        c: alert('firing', { alertname: 'HighLatency', service: 'payment-service' }),
      },
    };
    expect(runbookActionsFor(runbooks, incident)).toEqual([
      { runbookId: 'error-rate', actionId: 'rollback', title: 'Roll back', kind: 'rollback', service: 'payment-service' },
      { runbookId: 'payment-errors', actionId: 'rollback', title: 'Roll back payments', kind: 'rollback', confirm: 'Sure?', service: 'payment-service' },
      { runbookId: 'payment-errors', actionId: 'rollback-api', title: 'Roll back API', kind: 'rollback', service: 'api' },
      { runbookId: 'payment-any', actionId: 'rollback', title: 'Roll back', kind: 'rollback', service: 'payment-service' },
    ]);
  });

  it('matches on firing alerts only while any fires, else on all alerts', () => {
    const mixed = {
      alerts: [alert('resolved', { alertname: 'HighErrorRate', service: 'checkout' }), alert('firing', { alertname: 'HighLatency', service: 'checkout' })],
    };
    expect(runbookActionsFor(runbooks, mixed)).toEqual([]);
    const allResolved = {
      alerts: [alert('resolved', { alertname: 'HighErrorRate', service: 'checkout' }), alert('resolved', { alertname: 'HighLatency', service: 'checkout' })],
    };
    expect(runbookActionsFor(runbooks, allResolved).map((a) => a.runbookId)).toEqual(['error-rate']);
    expect(runbookActionsFor(runbooks, { alerts: {} })).toEqual([]);
  });

  it('needs one alert to satisfy all matchers, not several alerts one each', () => {
    const split = {
      alerts: [alert('firing', { alertname: 'HighErrorRate', service: 'checkout' }), alert('firing', { alertname: 'HighLatency', service: 'payment-service' })],
    };
    expect(runbookActionsFor([paymentErrors], split)).toEqual([]);
  });

  it('leaves the rollback service unset when the matching alerts name none or several', () => {
    const several = {
      alerts: [
        alert('firing', { alertname: 'HighErrorRate', service: 'checkout' }),
        alert('firing', { alertname: 'HighErrorRate', service: 'payment-service' }),
      ],
    };
    expect(runbookActionsFor([errorRate], several)).toEqual([{ runbookId: 'error-rate', actionId: 'rollback', title: 'Roll back', kind: 'rollback' }]);
    const none = { alerts: [alert('firing', { alertname: 'HighErrorRate' })] };
    expect(runbookActionsFor([errorRate], none)[0]).not.toHaveProperty('service');
  });

  it('reads the service from the configured service label', () => {
    const incident = { alerts: [alert('firing', { alertname: 'HighErrorRate', app: 'checkout', service: 'other' })] };
    expect(runbookActionsFor([errorRate], incident, { serviceLabel: 'app' })[0]?.service).toBe('checkout');
  });

  it('offers fleet actions as buttons of kind fleet, with no rollback service', () => {
    const fleet = runbook(
      'disk',
      '  - { label: alertname, equals: DiskSpaceLow }',
      '  - { id: cleanup, title: Free disk space, kind: fleet, command: df -h, targets: { from: alert-instance }, confirm: Sure? }',
    );
    const incident = { alerts: [alert('firing', { alertname: 'DiskSpaceLow', service: 'checkout', instance: 'web-1:9100' })] };
    expect(runbookActionsFor([fleet, errorRate], incident)).toEqual([
      { runbookId: 'disk', actionId: 'cleanup', title: 'Free disk space', kind: 'fleet', confirm: 'Sure?' },
    ]);
  });

  it('reads the rollback service only from an alert that has the service label itself', () => {
    const incident = { alerts: [alert('firing', { alertname: 'HighErrorRate' })] };
    expect(runbookActionsFor([errorRate], incident, { serviceLabel: 'constructor' })[0]).not.toHaveProperty('service');
  });

  it('counts a label named constructor that only some alerts have as disagreeing', () => {
    expect(disagreeingLabels([alert('firing', { constructor: 'a', env: 'prod' }), alert('firing', { env: 'prod' })])).toEqual(['constructor']);
  });

  it('lists a runbook given twice once', () => {
    const incident = { alerts: [alert('firing', { alertname: 'HighErrorRate' })] };
    expect(runbookActionsFor([errorRate, errorRate], incident)).toHaveLength(1);
  });
});
