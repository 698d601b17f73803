import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { startApp, type RunningApp } from '../../src/app.js';
import type { FakeSlack } from './fake-slack.js';
import { testRedisUrl } from './redis.js';

export const SIGNING_SECRET = 'test-signing-secret-0123456789';
export const ALERTMANAGER_TOKEN = 'test-alertmanager-token-0123456789';
export const DEFAULT_SERVICES = `services:
  payment-service:
    channel: C0PAYMENTS
  checkout:
    channel: C0CHECKOUT
`;

export interface TestBot {
  app: RunningApp;
  url: string;
  prefix: string;
  /** A separate client for assertions on what the bot stored. */
  redis: Redis;
  /** Every log line the bot wrote, parsed. */
  logs: Array<Record<string, unknown>>;
  postWebhook(body: unknown, init?: { token?: string | null; raw?: string }): Promise<Response>;
  stop(): Promise<void>;
}

export interface TestBotOptions {
  /** Only its address: a bot in another process (replica-process.ts) gets it as JSON. */
  slack: Pick<FakeSlack, 'apiUrl'>;
  env?: Record<string, string>;
  services?: string;
  /** Shares a key prefix with another bot, as replicas on one Redis do. */
  prefix?: string;
  /** The test Redis, given to a bot in another process, where vitest's globalSetup cannot be asked. */
  redisUrl?: string;
}

/**
 * The shipped runbooks, less those on a schedule: a test must not see a nightly job fire
 * because it happened to run at that minute. Scheduled runbooks are tested with their own.
 */
async function unscheduledRunbooks(dir: string): Promise<string> {
  const shipped = fileURLToPath(new URL('../../runbooks/', import.meta.url));
  const copy = join(dir, 'runbooks');
  await mkdir(copy);
  for (const file of (await readdir(shipped)).filter((name) => name.endsWith('.yaml'))) {
    const text = await readFile(join(shipped, file), 'utf8');
    if (!/^schedule:/m.test(text)) await writeFile(join(copy, file), text);
  }
  return copy;
}

/**
 * The environment of a test bot keyed under `keyPrefix`, with its services.yaml and runbooks
 * written into `dir`: for startTestBot, and for a bot run as its own process (bot-main.ts).
 */
export async function testBotEnv(
  dir: string,
  { slack, env = {}, services = DEFAULT_SERVICES, redisUrl = testRedisUrl() }: TestBotOptions,
  keyPrefix: string,
): Promise<Record<string, string>> {
  const servicesFile = join(dir, 'services.yaml');
  await writeFile(servicesFile, services);
  const runbooksDir = env.RUNBOOKS_DIR ?? (await unscheduledRunbooks(dir));
  return {
    SLACK_BOT_TOKEN: `xoxb-test-${randomBytes(4).toString('hex')}`,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    PORT: '0',
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: keyPrefix,
    ALERTMANAGER_TOKEN,
    INCIDENT_CHANNEL: 'C0INCIDENTS',
    SERVICES_FILE: servicesFile,
    RUNBOOKS_DIR: runbooksDir,
    LOG_LEVEL: 'debug',
    SHUTDOWN_TIMEOUT: '5s',
    // The fake Slack has no rate limits: tests need not wait Slack's pace (slack-delivery tests it).
    SLACK_MESSAGE_INTERVAL: '50ms',
    SLACK_UPDATES_PER_MINUTE: '6000',
    // Tests open many incidents in one channel within a minute; roll-ups have their own test (flood-rollup.test.ts).
    FLOOD_THRESHOLD: '0',
    ...env,
  };
}

export async function startTestBot(options: TestBotOptions): Promise<TestBot> {
  const { prefix, redisUrl = testRedisUrl() } = options;
  const dir = await mkdtemp(join(tmpdir(), 'chatops-test-'));
  const keyPrefix = prefix ?? `test:${randomUUID()}:`;
  const logs: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const app = await startApp(await testBotEnv(dir, { ...options, redisUrl }, keyPrefix), { logDestination: destination });
  const url = `http://127.0.0.1:${app.port}`;
  const redis = new Redis(redisUrl);
  return {
    app,
    url,
    prefix: keyPrefix,
    redis,
    logs,
    postWebhook: (body, init = {}) => {
      const token = init.token === undefined ? ALERTMANAGER_TOKEN : init.token;
      return fetch(`${url}/alertmanager`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
        body: init.raw ?? JSON.stringify(body),
      });
    },
    stop: async () => {
      await app.stop();
      const keys = await redis.keys(`${keyPrefix}*`);
      if (keys.length > 0 && !prefix) await redis.del(...keys);
      redis.disconnect();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
