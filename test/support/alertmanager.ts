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
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
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
const STOP_TIMEOUT_MS = 5000;
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
  const child = spawn(binary, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = captureLog(child);
  const exited = exitPromise(child);
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void exited.then((info) => {
    exitInfo = info;
  });
  const untrack = trackChild(child, dir);

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      await stopChild(child, exited);
      untrack();
      rmSync(dir, { recursive: true, force: true });
    })();
    return stopped;
  };

  try {
    await waitFor(
      async () => {
        if (exitInfo) return true; // stop polling, reported below
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
    if (exitInfo) {
      throw new Error(
        `Alertmanager exited during startup (code ${exitInfo.code}, signal ${exitInfo.signal})`,
      );
    }
  } catch (err) {
    await stop();
    throw new Error(`${errorMessage(err)}\n--- Alertmanager log (last lines) ---\n${log()}`, {
      cause: err,
    });
  }

  // startsAt and annotations of what fire() posted, keyed by the label set.
  const firing = new Map<string, { startsAt: string; annotations: Record<string, string> }>();

  const postAlert = async (alert: {
    labels: Record<string, string>;
    annotations: Record<string, string>;
    startsAt: string;
    endsAt: string;
  }) => {
    let res: Response;
    try {
      res = await fetch(`${url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify([alert]),
        signal: AbortSignal.timeout(5000),
      });
    } catch (err) {
      throw new Error(
        `POST ${url}/api/v2/alerts failed: ${errorMessage(err)}\n--- Alertmanager log ---\n${log()}`,
        { cause: err },
      );
    }
    const body = await res.text();
    if (!res.ok) {
      throw new Error(
        `POST ${url}/api/v2/alerts answered ${res.status}: ${body}\n--- Alertmanager log ---\n${log()}`,
      );
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

function isExecutable(file: string): boolean {
  try {
    accessSync(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findExecutable(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('could not allocate a port'))));
    });
  });
}

function captureLog(child: ChildProcess): () => string {
  const lines: string[] = [];
  let partial = '';
  const push = (chunk: Buffer) => {
    const parts = (partial + chunk.toString('utf8')).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) if (line.trim()) lines.push(line);
    if (lines.length > LOG_KEEP_LINES) lines.splice(0, lines.length - LOG_KEEP_LINES);
  };
  child.stdout?.on('data', push);
  child.stderr?.on('data', push);
  child.on('error', (err) => lines.push(`spawn error: ${err.message}`));
  return () => {
    const tail = lines.slice(-LOG_TAIL_LINES);
    if (partial.trim()) tail.push(partial);
    return tail.join('\n') || '(no output)';
  };
}

// Children still running are killed if this process goes away without running
// the teardown (their temp dir is removed too): on 'exit', and on SIGTERM/SIGINT/SIGHUP (vitest stops its fork
// workers with SIGTERM, which skips 'exit' handlers). After killing them, the
// signal is re-raised if nobody else handles it, so the default action applies.
const liveChildren = new Map<ChildProcess, string>(); // child -> its temp dir
const EXIT_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

function killLiveChildren(): void {
  for (const [child, dir] of liveChildren) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
  liveChildren.clear();
}

function onExitSignal(signal: NodeJS.Signals): void {
  killLiveChildren();
  removeExitHooks();
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function installExitHooks(): void {
  process.on('exit', killLiveChildren);
  for (const signal of EXIT_SIGNALS) process.on(signal, onExitSignal);
}

function removeExitHooks(): void {
  process.removeListener('exit', killLiveChildren);
  for (const signal of EXIT_SIGNALS) process.removeListener(signal, onExitSignal);
}

function trackChild(child: ChildProcess, dir: string): () => void {
  if (liveChildren.size === 0) installExitHooks();
  liveChildren.set(child, dir);
  return () => {
    if (liveChildren.delete(child) && liveChildren.size === 0) removeExitHooks();
  };
}

function exitPromise(
  child: ChildProcess,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: child.exitCode, signal: child.signalCode }));
  });
}

async function stopChild(
  child: ChildProcess,
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    exited.then(() => false),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), STOP_TIMEOUT_MS);
    }),
  ]);
  if (timer) clearTimeout(timer);
  if (timedOut) {
    child.kill('SIGKILL');
    await exited;
  }
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    const message = err.message || err.name;
    // fetch() hides the useful part (ECONNREFUSED, …) in `cause`.
    const cause =
      err.cause instanceof Error && !message.includes(err.cause.message) ? ` (${err.cause.message})` : '';
    return message + cause;
  }
  return String(err);
}
