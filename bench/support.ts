/**
 * What both benches share: the bot's environment, a throwaway services file, Redis key
 * clean-up, and plain-text tables.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/** The Redis at REDIS_URL, as for the tests and the bot; the local one by default. */
export const REDIS_URL = process.env.REDIS_URL?.trim() || 'redis://127.0.0.1:6379';
export const ALERTMANAGER_TOKEN = 'bench-alertmanager-token-0123456789';

/** A key prefix no other run (or test) uses, so clean-up can delete exactly our keys. */
export function uniquePrefix(bench: string): string {
  return `bench:${bench}:${randomUUID()}:`;
}

export interface TempConfig {
  /** The folder holding both; also a working directory with no .env in it. */
  dir: string;
  servicesFile: string;
  /** Empty: the benches measure intake and delivery, and must not break while someone edits runbooks/. */
  runbooksDir: string;
  remove(): Promise<void>;
}

/** A throwaway folder with the services catalogue and an empty runbook folder. */
export async function writeBotConfig(servicesYaml: string): Promise<TempConfig> {
  const dir = await mkdtemp(join(tmpdir(), 'chatops-bench-'));
  const servicesFile = join(dir, 'services.yaml');
  const runbooksDir = join(dir, 'runbooks');
  await writeFile(servicesFile, servicesYaml);
  await mkdir(runbooksDir);
  return { dir, servicesFile, runbooksDir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** The bot's environment for a bench: quiet logs, a short shutdown, our own key prefix. */
export function botEnv(opts: { slackApiUrl: string; config: TempConfig; keyPrefix: string; extra?: Record<string, string> }): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: 'xoxb-bench-0000',
    SLACK_SIGNING_SECRET: 'bench-signing-secret-0123456789',
    SLACK_API_URL: opts.slackApiUrl,
    PORT: '0',
    REDIS_URL,
    REDIS_KEY_PREFIX: opts.keyPrefix,
    ALERTMANAGER_TOKEN,
    INCIDENT_CHANNEL: 'C0INCIDENTS',
    SERVICES_FILE: opts.config.servicesFile,
    RUNBOOKS_DIR: opts.config.runbooksDir,
    LOG_LEVEL: 'warn',
    // Slack deliveries still queued when a bench ends are not what it measures.
    SHUTDOWN_TIMEOUT: '2s',
    ...opts.extra,
  };
}

/** Deletes every key under `prefix` (SCAN, never FLUSHALL); returns how many. */
export async function deleteKeys(prefix: string): Promise<number> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A plain-text table with aligned columns; numbers are right-aligned. */
export function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  const numeric = headers.map(
    (_, i) => rows.length > 0 && rows.every((row) => typeof row[i] === 'number' || /^[-+]?[\d.,]+( ?[a-z%x/]+)?$/i.test(String(row[i]))),
  );
  const line = (row: string[]) => `| ${row.map((cell, i) => (numeric[i] ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0))).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return [line(headers), rule, ...cells.slice(1).map(line)].join('\n');
}

export function fixed(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

/** A bench exits by itself: 0 once it has printed its figures, 1 with the error otherwise. */
export function runBench(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
