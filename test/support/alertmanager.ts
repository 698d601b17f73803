/**
 * End-to-end harness: runs a REAL Prometheus Alertmanager (Debian package
 * `prometheus-alertmanager`) configured with a single webhook receiver that
 * points at the bot under test.
 *
 *   const am = await startAlertmanager({ webhookUrl, bearerToken });
 *   await am.fire({ alertname: 'HighLatency', service: 'api' }, { summary: '…' });
 *   // … wait for the firing notification to reach the webhook …
 *   await am.resolve({ alertname: 'HighLatency', service: 'api' });
 *   await am.stop();
 *
 * Alertmanager only sends a "resolved" notification for alerts it has already
 * notified as firing: wait for the firing webhook before calling resolve(), or
 * the group flushes with nothing but a resolved alert and sends nothing at all.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorMessage, findExecutable, freePort, isExecutable, spawnTracked } from './child-process.js';
import { waitFor } from './wait.js';

export interface AlertmanagerHarness {
  /** Base URL of the Alertmanager, e.g. http://127.0.0.1:41234 (no trailing slash). */
  url: string;
  /** Stops the process and removes its temp dir. Safe to call twice. */
  stop(): Promise<void>;
  /** Posts a firing alert (startsAt now, endsAt in 24 h) to POST /api/v2/alerts. */
  fire(labels: Record<string, string>, annotations?: Record<string, string>): Promise<void>;
  /**
   * Posts the same alert with endsAt = now, so the next group flush sends a
   * resolved notification (send_resolved: true). Annotations default to the
   * ones given to fire() for the same labels.
   */
  resolve(labels: Record<string, string>, annotations?: Record<string, string>): Promise<void>;
  /** Last lines of Alertmanager's own log (debug level), for failure messages. */
  logs(): string;
}

export interface StartAlertmanagerOptions {
  /** Where Alertmanager POSTs its notifications (the bot's webhook endpoint). */
  webhookUrl: string;
  /** Sent as `Authorization: Bearer <token>` with each notification. */
  bearerToken: string;
  /** Route timings, Alertmanager duration syntax. Defaults: 1s, 1s, 1h. */
  groupWait?: string;
  groupInterval?: string;
  repeatInterval?: string;
}

const BINARY_NAMES = ['prometheus-alertmanager', 'alertmanager'];
const READY_TIMEOUT_MS = 20_000;
const LOG_KEEP_LINES = 500;
const LOG_TAIL_LINES = 40;
const FIRING_TTL_MS = 24 * 60 * 60 * 1000;

export async function startAlertmanager(opts: StartAlertmanagerOptions): Promise<AlertmanagerHarness> {
  const binary = findAlertmanager();
  const errors: string[] = [];
  let lastError: unknown;
  // The free port is found by binding port 0 and closing it; another process
  // could take it in between, so retry a couple of times.
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      return await startOnce(binary, opts);
    } catch (err) {
      lastError = err;
      errors.push(`attempt ${attempt}: ${errorMessage(err)}`);
      if (!/address already in use/i.test(errorMessage(err))) break;
    }
  }
  throw new Error(`Could not start Alertmanager (${binary}):\n${errors.join('\n')}`, {
    cause: lastError,
  });
}

async function startOnce(binary: string, opts: StartAlertmanagerOptions): Promise<AlertmanagerHarness> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'chatops-test-alertmanager-'));
  const configFile = join(dir, 'alertmanager.yml');
  const storageDir = join(dir, 'data');
  const url = `http://127.0.0.1:${port}`;

  // JSON is valid YAML, and it sidesteps any quoting issue in URLs or tokens.
  const config = {
    route: {
      receiver: 'chatops-bot',
      group_by: ['alertname', 'service'],
      group_wait: opts.groupWait ?? '1s',
      group_interval: opts.groupInterval ?? '1s',
      repeat_interval: opts.repeatInterval ?? '1h',
    },
    receivers: [
      {
        name: 'chatops-bot',
        webhook_configs: [
          {
            url: opts.webhookUrl,
            send_resolved: true,
            http_config: {
              authorization: { type: 'Bearer', credentials: opts.bearerToken },
            },
          },
        ],
      },
    ],
  };
  writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);

  const args = [
    `--config.file=${configFile}`,
    `--storage.path=${storageDir}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--cluster.listen-address=',
    '--log.level=debug',
  ];
  const server = spawnTracked(binary, args, {
    dir,
    keepLines: LOG_KEEP_LINES,
    tailLines: LOG_TAIL_LINES,
  });
  const { stop, output: log } = server;

  try {
    await waitFor(
      async () => {
        if (server.exitInfo()) return true; // stop polling, reported below
        const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
        await res.body?.cancel();
        return res.ok;
      },
      {
        timeoutMs: READY_TIMEOUT_MS,
        intervalMs: 50,
        message: `Alertmanager on ${url} did not become ready (GET /-/ready)`,
      },
    );
    const exitInfo = server.exitInfo();
    if (exitInfo) {
      throw new Error(`Alertmanager exited during startup (code ${exitInfo.code}, signal ${exitInfo.signal})`);
    }
  } catch (err) {
    await stop();
    throw new Error(`${errorMessage(err)}\n--- Alertmanager log (last lines) ---\n${log()}`, {
      cause: err,
    });
  }

  // startsAt and annotations of what fire() posted, keyed by the label set.
  const firing = new Map<string, { startsAt: string; annotations: Record<string, string> }>();

  const postAlert = async (alert: { labels: Record<string, string>; annotations: Record<string, string>; startsAt: string; endsAt: string }) => {
    let res: Response;
    try {
      res = await fetch(`${url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify([alert]),
        signal: AbortSignal.timeout(5000),
      });
    } catch (err) {
      throw new Error(`POST ${url}/api/v2/alerts failed: ${errorMessage(err)}\n--- Alertmanager log ---\n${log()}`, { cause: err });
    }
    const body = await res.text();
    if (!res.ok) {
      throw new Error(`POST ${url}/api/v2/alerts answered ${res.status}: ${body}\n--- Alertmanager log ---\n${log()}`);
    }
  };

  return {
    url,
    stop,
    logs: log,
    async fire(labels, annotations = {}) {
      const now = new Date();
      const key = labelKey(labels);
      const startsAt = firing.get(key)?.startsAt ?? now.toISOString();
      firing.set(key, { startsAt, annotations });
      await postAlert({
        labels,
        annotations,
        startsAt,
        endsAt: new Date(now.getTime() + FIRING_TTL_MS).toISOString(),
      });
    },
    async resolve(labels, annotations) {
      const endsAt = new Date().toISOString();
      const key = labelKey(labels);
      const previous = firing.get(key);
      firing.delete(key);
      await postAlert({
        labels,
        annotations: annotations ?? previous?.annotations ?? {},
        // Alertmanager rejects endsAt < startsAt; without a known startsAt it
        // would default startsAt to endsAt anyway.
        startsAt: previous?.startsAt ?? endsAt,
        endsAt,
      });
    },
  };
}

function findAlertmanager(): string {
  const override = process.env.ALERTMANAGER_BIN;
  if (override) {
    if (isExecutable(override)) return override;
    throw new Error(`ALERTMANAGER_BIN=${override} is not an executable file.`);
  }
  for (const name of BINARY_NAMES) {
    const found = findExecutable(name);
    if (found) return found;
  }
  throw new Error(
    `Prometheus Alertmanager not found on PATH (looked for ${BINARY_NAMES.join(', ')}). ` +
      'Install it with `apt-get install prometheus-alertmanager` (Debian/Ubuntu), ' +
      'or set ALERTMANAGER_BIN to the alertmanager binary.',
  );
}

function labelKey(labels: Record<string, string>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
