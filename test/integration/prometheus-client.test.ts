/**
 * The Prometheus adapter against a REAL Prometheus scraping an exporter the test runs.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthCheckError } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import type { HealthCheck } from '../../src/services/schema.js';
import { evaluate } from '../../src/verify/evaluate.js';
import { PrometheusClient } from '../../src/verify/prometheus-client.js';
import { listenOnLoopback } from '../support/loopback-server.js';
import { type Exporter, startExporter } from '../support/metrics-exporter.js';
import { type PrometheusHarness, startPrometheus } from '../support/prometheus.js';

let exporter: Exporter;
let prometheus: PrometheusHarness;
let client: PrometheusClient;

beforeAll(async () => {
  exporter = await startExporter({ chatops_test_error_ratio: 0.02 });
  prometheus = await startPrometheus({ targets: [exporter.target] });
  await prometheus.waitForSeries('chatops_test_error_ratio');
  client = new PrometheusClient({ url: prometheus.url, timeoutMs: 2_000, retries: 2, backoffMs: 50 });
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
  await exporter?.close();
});

const check = (query: string, bounds: { min?: number; max?: number }): HealthCheck => ({ name: 'error-rate', query, no_data: 'pause', ...bounds });

async function judge(target: HealthCheck, time?: Date) {
  return evaluate(target, await client.query({ service: 'payment-service', check: target.name, query: target.query, ...(time ? { time } : {}) }));
}

const runCheck = (env: Record<string, string>) =>
  // As `npm run check` runs it (tsx), loaded into node directly: npx would start npm first.
  promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/check-runbooks.ts'], {
    cwd: resolve(import.meta.dirname, '../..'),
    env: { ...process.env, ...env },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? -1, stdout: error.stdout ?? '', stderr: error.stderr ?? '' }),
  );

describe('PrometheusClient against a real Prometheus', () => {
  it('passes a check whose value is within its threshold', async () => {
    expect(await judge(check('chatops_test_error_ratio', { max: 0.05 }))).toEqual({
      check: 'error-rate',
      value: 0.02,
      threshold: { max: 0.05 },
      verdict: 'pass',
    });
  });

  it('fails a check whose value is over max, with the value', async () => {
    expect(await judge(check('sum(chatops_test_error_ratio)', { max: 0.01 }))).toMatchObject({ value: 0.02, threshold: { max: 0.01 }, verdict: 'fail' });
  });

  it('reads a scalar result', async () => {
    expect(await judge(check('scalar(chatops_test_error_ratio) * 2', { min: 0.04, max: 0.04 }))).toMatchObject({ value: 0.04, verdict: 'pass' });
  });

  it('says no-data for a series that does not exist', async () => {
    expect(await judge(check('chatops_test_no_such_series', { max: 1 }))).toMatchObject({
      value: undefined,
      verdict: 'no-data',
      reason: 'the query returned no sample',
    });
  });

  it('asks for the instant given: an hour ago the series did not exist', async () => {
    expect(await judge(check('chatops_test_error_ratio', { max: 1 }), new Date(Date.now() - 3_600_000))).toMatchObject({ verdict: 'no-data' });
  });

  it('fails a query that returns two series', async () => {
    const query = 'label_replace(chatops_test_error_ratio, "copy", "a", "", "") or label_replace(chatops_test_error_ratio, "copy", "b", "", "")';
    expect(await judge(check(query, { max: 1 }))).toMatchObject({ verdict: 'fail', reason: expect.stringMatching(/returned 2 samples/) });
  });

  it('refuses a malformed query as a config error naming the service and the check', async () => {
    const refused = await client.query({ service: 'payment-service', check: 'error-rate', query: 'sum(' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(HealthCheckError);
    expect(refused).toMatchObject({ code: 'HEALTH_CHECK_INVALID', service: 'payment-service', check: 'error-rate' });
    expect((refused as Error).message).toMatch(/^services\.payment-service\.health\.error-rate: Prometheus refused the query \(HTTP 400: bad_data: /);
  });

  it('refuses a range query as a config error: a check needs one number', async () => {
    await expect(client.query({ service: 'payment-service', check: 'error-rate', query: 'chatops_test_error_ratio[1m]' })).rejects.toThrow(
      /services\.payment-service\.health\.error-rate: the query returns a matrix/,
    );
  });

  it('npm run check sends each query once and names the check Prometheus refuses', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'check-health-'));
    const runbooks = join(dir, 'runbooks');
    await mkdir(runbooks);
    const file = join(dir, 'services.yaml');
    const checks = [
      { name: 'fine', query: 'chatops_test_error_ratio', max: 0.05 },
      { name: 'absent', query: 'chatops_test_no_such_series', max: 1 },
      { name: 'broken', query: 'sum(rate(x[1m])', max: 1 },
    ];
    await writeFile(file, JSON.stringify({ services: { 'payment-service': { health: checks } } }));
    const result = await runCheck({ SERVICES_FILE: file, RUNBOOKS_DIR: runbooks, PROMETHEUS_URL: prometheus.url });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(`^${file}: services\\.payment-service\\.health\\.broken: Prometheus refused the query \\(HTTP 400: bad_data: `, 'm'),
    );
    expect(result.stderr).not.toMatch(/health\.(fine|absent)/);

    await writeFile(file, JSON.stringify({ services: { 'payment-service': { health: checks.slice(0, 2) } } }));
    expect(await runCheck({ SERVICES_FILE: file, RUNBOOKS_DIR: runbooks, PROMETHEUS_URL: prometheus.url })).toMatchObject({ code: 0, stderr: '' });
  });

  it('tries a 5xx again, with the bearer token each time, and takes the answer that follows', async () => {
    const seen: Array<string | undefined> = [];
    const { server, url } = await listenOnLoopback((req, res) => {
      seen.push(req.headers.authorization);
      if (seen.length <= 2) {
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"status":"error","errorType":"unavailable","error":"overloaded"}');
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', async () => {
        const upstream = await fetch(`${prometheus.url}${req.url}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: Buffer.concat(chunks),
        });
        res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(await upstream.text());
      });
    });
    try {
      const proxied = new PrometheusClient({ url, token: 'prom-token', timeoutMs: 2_000, retries: 2, backoffMs: 20 });
      const target = check('chatops_test_error_ratio', { max: 0.05 });
      expect(evaluate(target, await proxied.query({ service: 'payment-service', check: target.name, query: target.query }))).toMatchObject({
        value: 0.02,
        verdict: 'pass',
      });
      expect(seen).toEqual(['Bearer prom-token', 'Bearer prom-token', 'Bearer prom-token']);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('counts a Prometheus that does not answer in time as no data, after its retries', async () => {
    let requests = 0;
    const { server, url } = await listenOnLoopback(() => {
      requests += 1;
    });
    try {
      const slow = new PrometheusClient({ url, timeoutMs: 300, retries: 1, backoffMs: 20 });
      expect(await slow.query({ service: 'payment-service', check: 'error-rate', query: 'up' })).toEqual({
        kind: 'no-data',
        reason: 'Prometheus did not answer after 2 tries: no answer within 300 ms',
      });
      expect(requests).toBe(2);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  // Last: it stops the Prometheus the other tests share.
  it('says no-data with the reason when Prometheus is down, after its retries', async () => {
    await prometheus.stop();
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const token = 'prom-bearer-secret';
    const logged = new PrometheusClient({ url: prometheus.url, token, timeoutMs: 2_000, retries: 2, backoffMs: 50, log: createLogger('info', sink) });
    const target = check('chatops_test_error_ratio', { max: 0.05 });
    const started = Date.now();
    const result = evaluate(target, await logged.query({ service: 'payment-service', check: target.name, query: target.query }));
    expect(result).toMatchObject({
      verdict: 'no-data',
      value: undefined,
      reason: expect.stringMatching(/^Prometheus did not answer after 3 tries: fetch failed \(.*ECONNREFUSED/),
    });
    // Three refused connections and 50 + 100 ms of backoff: bounded well under one query timeout per try.
    expect(Date.now() - started).toBeLessThan(6_000);
    expect(lines.filter((line) => line.includes('Prometheus query failed'))).toHaveLength(3);
    expect(lines.join('')).not.toContain(token);
  });
});
