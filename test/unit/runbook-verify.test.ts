/**
 * A fleet action's `verify`: its schema and defaults, the named checks checked against the
 * services file when runbooks load (file, path, reason), the refusal at request time when
 * the service comes from the alert, and PROMETHEUS_URL required at start-up.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecutorRefusal } from '../../src/actions/executor.js';
import { startApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { FleetExecutor } from '../../src/fleet/executor.js';
import { verifyCheckProblems } from '../../src/runbooks/inventory-check.js';
import { checkRunbook, loadRunbooks, parseRunbook } from '../../src/runbooks/loader.js';
import { createCatalog, parseServicesFile } from '../../src/services/catalog.js';
import { memoryStores } from '../../src/store/memory/index.js';
import { requirePrometheusForVerify } from '../../src/wiring/health-checks.js';

const catalog = createCatalog(
  parseServicesFile(
    `services:
  web:
    approvers: [U0OPS]
    hosts: [web-1, web-2]
    health:
      - { name: error-rate, query: "job:errors:ratio", max: 0.05 }
  api:
    approvers: [U0OPS]
    hosts: [api-1]
groups:
  edge:
    service: web
    hosts: [lb-1]
`,
    'services.yaml',
  ),
  'C0DEFAULT',
);

function runbookYaml(verify: string, targets = '{ from: service-hosts, service: web }'): string {
  return `id: restart
title: Restart
match:
  - { label: alertname, equals: X }
actions:
  - id: restart
    title: Restart
    kind: fleet
    command: systemctl restart worker
    targets: ${targets}
    verify: ${verify}
`;
}

const problemsOf = (verify: string) => checkRunbook(runbookYaml(verify), 'restart.yaml').problems.map((p) => `${p.path}: ${p.reason}`);

describe('verify in a fleet action', () => {
  it('defaults to 3 samples 30s apart with no failing sample tolerated, and takes named and inline checks', () => {
    const runbook = parseRunbook(runbookYaml('{ checks: [error-rate, { name: latency, query: "p99", max: 0.5 }] }'), 'restart.yaml');
    const action = runbook.actions[0];
    expect(action?.kind === 'fleet' && action.verify).toEqual({
      checks: ['error-rate', { name: 'latency', query: 'p99', max: 0.5, no_data: 'pause' }],
      interval: '30s',
      samples: 3,
      failure_limit: 0,
    });
  });

  it('refuses what could not work, by path', () => {
    expect(problemsOf('{ checks: [] }')).toEqual(['actions.0.verify.checks: expected at least one check']);
    expect(problemsOf('{ checks: [error-rate], samples: 2, failure_limit: 2 }')).toEqual([
      'actions.0.verify.failure_limit: expected fewer than samples (2): with 2 failing samples tolerated, failing checks could never halt the rollout',
    ]);
    expect(problemsOf('{ checks: [error-rate], interval: 100ms }')).toEqual(['actions.0.verify.interval: expected a duration from 1s to 10m']);
    expect(problemsOf('{ checks: [error-rate, error-rate] }')).toEqual(['actions.0.verify.checks.1: check "error-rate" is listed twice']);
    expect(problemsOf('{ checks: [{ name: latency, query: "p99" }] }')).toEqual([
      'actions.0.verify.checks.0: expected min, max or both: a check with no threshold can never fail',
    ]);
    expect(problemsOf('{ checks: [error-rate], window: 5m }')).toEqual([expect.stringMatching(/^actions\.0\.verify: .*window/)]);
  });
});

describe('named checks against the services file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'runbook-verify-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('are a runbook error at load, with file, path and reason, when the service the runbook names lacks them', async () => {
    await writeFile(join(dir, 'a.yaml'), runbookYaml('{ checks: [error-rate, latency] }'));
    await writeFile(
      join(dir, 'b.yaml'),
      runbookYaml('{ checks: [error-rate] }', '{ from: service-hosts, service: api }').replace('id: restart', 'id: restart-api'),
    );
    const load = loadRunbooks(dir, { crossCheck: (runbook) => verifyCheckProblems(runbook, catalog) });
    await expect(load).rejects.toThrow(
      [
        `${join(dir, 'a.yaml')}: actions.0.verify.checks.1: service "web" has no health check "latency" in the services file (its checks: error-rate); name one of them or write the check inline`,
        `${join(dir, 'b.yaml')}: actions.0.verify.checks.0: service "api" has no health check "error-rate" in the services file (it lists no health checks); name one of them or write the check inline`,
      ].join('\n  - '),
    );
  });

  it('follow a host group to its service, and leave a service taken from the alert to request time', () => {
    const check = (targets: string) => verifyCheckProblems(parseRunbook(runbookYaml('{ checks: [latency] }', targets), 'r.yaml'), catalog);
    expect(check('{ from: group, group: edge }')).toEqual([expect.objectContaining({ path: 'actions.0.verify.checks.0' })]);
    expect(check('{ from: alert-instance }')).toEqual([]);
  });

  it('are refused when the action is requested for a service that lacks them, before anything runs', async () => {
    const stores = memoryStores();
    const executor = new FleetExecutor({
      runbooks: [parseRunbook(runbookYaml('{ checks: [error-rate] }', '{ from: alert-instance }'), 'r.yaml')],
      inventory: catalog,
      runnerFor: () => async () => [],
      results: stores.fleet,
      rollouts: stores.fleet,
      pausedBy: async () => undefined,
      log: pino({ level: 'silent' }),
      rounds: async () => ({ verdict: 'pass', results: [], at: '' }),
      healthOf: (service) => catalog.get(service)?.health,
    });
    const request = (instance: string, service: string) =>
      executor.plan({
        kind: 'fleet',
        service,
        fleet: { runbookId: 'restart', actionId: 'restart', labels: {}, args: {}, instances: [instance], hosts: [] },
      });
    await expect(request('api-1:9100', 'api')).rejects.toThrow(
      new ExecutorRefusal(
        'Refused: verify names the health check "error-rate", and service api has none of that name in the services file (it lists no health checks). Nothing was run.',
      ),
    );
    const plan = await request('web-1:9100', 'web');
    expect(plan.summary).toContain(
      'verifies after each batch: error-rate; 3 sample(s) 30s apart, halts when more than 0 fail or a check has no data and says pause',
    );
    expect(JSON.parse(plan.params.checks ?? '')).toEqual([{ name: 'error-rate', query: 'job:errors:ratio', max: 0.05, no_data: 'pause' }]);
  });
});

describe('PROMETHEUS_URL', () => {
  const env = { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 'secret', ALERTMANAGER_TOKEN: '0123456789abcdef', INCIDENT_CHANNEL: 'C0INCIDENTS' };
  const runbooks = [parseRunbook(runbookYaml('{ checks: [{ name: latency, query: "p99", max: 0.5 }] }', '{ from: alert-instance }'), 'r.yaml')];

  it('is required at start-up by a runbook whose fleet action has verify, naming it', () => {
    expect(() => requirePrometheusForVerify(loadConfig({ ...env, RUNBOOKS_DIR: 'rb' }), runbooks)).toThrow(
      'Invalid configuration:\n  - PROMETHEUS_URL: required because runbook actions restart / restart verify their batches (verify:) in rb',
    );
    expect(() => requirePrometheusForVerify(loadConfig({ ...env, PROMETHEUS_URL: 'http://prom:9090' }), runbooks)).not.toThrow();
    expect(() => requirePrometheusForVerify(loadConfig(env), [])).not.toThrow();
  });
});

describe('start-up and npm run check', () => {
  let dir: string;
  const env = (extra: Record<string, string> = {}) => ({
    SLACK_BOT_TOKEN: 'xoxb-1',
    SLACK_SIGNING_SECRET: 'secret',
    ALERTMANAGER_TOKEN: '0123456789abcdef',
    INCIDENT_CHANNEL: 'C0INCIDENTS',
    SERVICES_FILE: join(dir, 'services.yaml'),
    RUNBOOKS_DIR: join(dir, 'runbooks'),
    LOG_LEVEL: 'silent',
    ...extra,
  });
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'runbook-verify-start-'));
    await mkdir(join(dir, 'runbooks'));
    await writeFile(join(dir, 'services.yaml'), 'services:\n  web:\n    approvers: [U0OPS]\n    hosts: [web-1]\n');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('stop on a named check the service lacks, with file, path and reason', async () => {
    const file = join(dir, 'runbooks', 'restart.yaml');
    await writeFile(file, runbookYaml('{ checks: [error-rate] }'));
    const problem = `${file}: actions.0.verify.checks.0: service "web" has no health check "error-rate" in the services file (it lists no health checks)`;
    await expect(startApp(env({ PROMETHEUS_URL: 'http://127.0.0.1:9' }))).rejects.toThrow(problem);
    const check = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/check-runbooks.ts'], {
      cwd: resolve(import.meta.dirname, '../..'),
      env: { ...process.env, ...env() },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code?: number; stderr?: string }) => ({ code: error.code ?? -1, stderr: error.stderr ?? '' }),
    );
    expect(check.code).toBe(1);
    expect(check.stderr).toContain(problem);
  }, 30_000);

  it('refuse a runbook with verify when PROMETHEUS_URL is unset, naming the action', async () => {
    await writeFile(join(dir, 'runbooks', 'restart.yaml'), runbookYaml('{ checks: [{ name: latency, query: "p99", max: 0.5 }] }'));
    await expect(startApp(env())).rejects.toThrow('PROMETHEUS_URL: required because runbook actions restart / restart verify their batches (verify:)');
  });
});
