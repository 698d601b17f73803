/**
 * A REAL Prometheus (Debian package `prometheus`) for the health-check tests: on a free
 * loopback port, a temp config and TSDB, scraping the given targets every second.
 *
 *   const exporter = await startExporter({ chatops_test_error_ratio: 0.02 });
 *   const prom = await startPrometheus({ targets: [exporter.target] });
 *   await prom.waitForSeries('chatops_test_error_ratio');
 *   await prom.stop();
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorMessage, findExecutable, freePort, isExecutable, spawnTracked } from './child-process.js';
import { waitFor } from './wait.js';

export interface PrometheusHarness {
  /** Base URL, e.g. http://127.0.0.1:41234 (no trailing slash). */
  url: string;
  /** Resolves once `query` returns at least one sample: the first scrape has landed. */
  waitForSeries(query: string, timeoutMs?: number): Promise<void>;
  /** Stops the process and removes its temp dir. Safe to call twice. */
  stop(): Promise<void>;
  logs(): string;
}

const READY_TIMEOUT_MS = 30_000;

export async function startPrometheus(opts: { targets: string[] }): Promise<PrometheusHarness> {
  const binary = findPrometheus();
  const errors: string[] = [];
  // The free port is found by binding port 0 and closing it; another process could take it in between.
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      return await startOnce(binary, opts.targets);
    } catch (err) {
      errors.push(`attempt ${attempt}: ${errorMessage(err)}`);
      if (!/address already in use/i.test(errorMessage(err))) break;
    }
  }
  throw new Error(`Could not start Prometheus (${binary}):\n${errors.join('\n')}`);
}

async function startOnce(binary: string, targets: string[]): Promise<PrometheusHarness> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'chatops-test-prometheus-'));
  const configFile = join(dir, 'prometheus.yml');
  const url = `http://127.0.0.1:${port}`;
  // JSON is valid YAML.
  const config = {
    global: { scrape_interval: '1s', evaluation_interval: '1s', scrape_timeout: '1s' },
    scrape_configs: [{ job_name: 'chatops-test', scrape_interval: '1s', static_configs: [{ targets }] }],
  };
  writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
  const server = spawnTracked(
    binary,
    [`--config.file=${configFile}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=info'],
    { dir, keepLines: 500, tailLines: 40 },
  );
  try {
    await waitFor(
      async () => {
        if (server.exitInfo()) return true;
        const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
        await res.body?.cancel();
        return res.ok;
      },
      { timeoutMs: READY_TIMEOUT_MS, intervalMs: 100, message: `Prometheus on ${url} did not become ready (GET /-/ready)` },
    );
    const exit = server.exitInfo();
    if (exit) throw new Error(`Prometheus exited during startup (code ${exit.code}, signal ${exit.signal})`);
  } catch (err) {
    await server.stop();
    throw new Error(`${errorMessage(err)}\n--- Prometheus log (last lines) ---\n${server.output()}`, { cause: err });
  }

  return {
    url,
    stop: server.stop,
    logs: server.output,
    async waitForSeries(query, timeoutMs = 30_000) {
      try {
        await waitFor(
          async () => {
            const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(query)}`, { signal: AbortSignal.timeout(2000) });
            const body = (await res.json()) as { data?: { result?: unknown[] } };
            return (body.data?.result?.length ?? 0) > 0;
          },
          { timeoutMs, intervalMs: 200, message: `Prometheus on ${url} has no sample for ${query}` },
        );
      } catch (err) {
        throw new Error(`${errorMessage(err)}\n--- Prometheus log (last lines) ---\n${server.output()}`, { cause: err });
      }
    },
  };
}

function findPrometheus(): string {
  const override = process.env.PROMETHEUS_BIN;
  if (override) {
    if (isExecutable(override)) return override;
    throw new Error(`PROMETHEUS_BIN=${override} is not an executable file.`);
  }
  const found = findExecutable('prometheus');
  if (found) return found;
  throw new Error(
    'Prometheus not found on PATH (looked for prometheus). Install it with ' +
      '`apt-get install --no-install-recommends prometheus` (Debian/Ubuntu; .ci/run does), or set PROMETHEUS_BIN to the prometheus binary.',
  );
}
