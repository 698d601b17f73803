/**
 * Start-up as a person meets it: Slack not answering, Slack refusing the token, and the
 * process's own words when it cannot start (src/main.ts run as `npm start` runs it).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALERTMANAGER_TOKEN, SIGNING_SECRET, startTestBot } from '../support/bot.js';
import { FakeSlack } from '../support/fake-slack.js';
import { testRedisUrl } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

let slack: FakeSlack;
beforeAll(async () => {
  slack = await FakeSlack.start();
});
afterAll(async () => {
  await slack?.close();
});

const bodyOf = async (req: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

/** Slack behind a switch: while `down`, every connection is dropped, as when Slack cannot be reached. */
async function switchedSlack(): Promise<{ apiUrl: string; up(): void; close(): Promise<void> }> {
  let down = true;
  const server = createServer(async (req, res) => {
    if (down) return void req.socket.destroy();
    const answer = await fetch(`${slack.apiUrl}${(req.url ?? '').replace(/^\/api\//, '')}`, {
      method: req.method ?? 'POST',
      headers: { 'content-type': req.headers['content-type'] ?? '', authorization: req.headers.authorization ?? '' },
      body: await bodyOf(req),
    });
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
    res.end(await answer.text());
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address() as AddressInfo;
  return {
    apiUrl: `http://127.0.0.1:${port}/api/`,
    up: () => {
      down = false;
    },
    close: () => new Promise((closed) => server.close(() => closed())),
  };
}

describe('Slack at start-up', () => {
  it('unreachable: serves anyway, /readyz says why, the log names the call, and auth.test is asked again until it answers', async () => {
    const gate = await switchedSlack();
    const bot = await startTestBot({ slack: { apiUrl: gate.apiUrl } });
    try {
      expect((await fetch(`${bot.url}/healthz`)).status).toBe(200);
      const ready = await fetch(`${bot.url}/readyz`);
      expect(ready.status).toBe(503);
      const url = `${gate.apiUrl}auth.test`;
      expect(await ready.json()).toEqual({ status: 'not ready', slack: expect.stringContaining(`Slack did not answer POST ${url}: `) });
      expect(bot.logs).toContainEqual(expect.objectContaining({ level: 'warn', method: 'POST', url, msg: expect.stringMatching(/^Slack not reachable/) }));
      gate.up();
      await waitFor(async () => (await fetch(`${bot.url}/readyz`)).status === 200, { timeoutMs: 15_000, message: '/readyz 200 once Slack answers' });
      expect(slack.callsTo('auth.test').length).toBeGreaterThan(0);
    } finally {
      await bot.stop();
      await gate.close();
    }
  });

  it('refusing the token: start-up stops naming SLACK_BOT_TOKEN', async () => {
    slack.script('auth.test', { status: 200, body: { ok: false, error: 'invalid_auth' } });
    await expect(startTestBot({ slack })).rejects.toThrow(/^Invalid configuration:\n {2}- SLACK_BOT_TOKEN: Slack refused it \(invalid_auth\) at POST http/);
  });
});

/** A loopback port with nothing listening: Redis "down". */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((closed) => server.close(() => closed()));
  return port;
}

describe('the start-up log', () => {
  it('says what happens in the order it happens, and a Redis outage once per job, without stack traces', async () => {
    const bot = await startTestBot({ slack, env: { REDIS_URL: `redis://127.0.0.1:${await closedPort()}`, REDIS_STARTUP_WAIT: '200ms', SWEEP_INTERVAL: '1s' } });
    const jobs = ['expire-approval-requests', 'take-over-running-actions', 'remind-unacknowledged'];
    try {
      await waitFor(() => jobs.every((job) => bot.logs.some((l) => l.job === job && l.level === 'warn')), { message: 'each job saying it paused' });
    } finally {
      await bot.stop();
    }
    const said = bot.logs.filter((l) => l.level !== 'debug').map((l) => String(l.msg));
    const sequence = [
      'services catalogue loaded',
      'runbooks loaded',
      'Redis connection error; retrying',
      'Redis not reachable at start-up; serving anyway, /readyz answers 503 until it is',
      'Slack answered auth.test; serving Slack requests',
      'chatops bot listening',
      'stopped',
    ];
    expect(said.filter((msg) => sequence.includes(msg))).toEqual(sequence);
    for (const job of jobs) expect(bot.logs.filter((l) => l.job === job && l.level !== 'debug')).toHaveLength(1);
    expect(bot.logs.filter((l) => JSON.stringify(l).includes('"stack"'))).toEqual([]);
  });
});

/** src/main.ts in its own process, in an empty folder (no .env), with only `env`. */
async function runMain(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'chatops-main-'));
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const main = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', tsx, main],
      { cwd: dir, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 },
      (error, _stdout, stderr) => done({ code: typeof error?.code === 'number' ? error.code : 0, stderr }),
    );
  });
}

/** tsx compiles the sources first: seconds, far more on a loaded machine (as bot-main.ts allows). */
const PROCESS_TEST_TIMEOUT_MS = 90_000;

describe('npm start that cannot start', () => {
  it(
    'names every missing variable and the missing services file at once, says no .env was found, and prints no stack trace',
    async () => {
      const { code, stderr } = await runMain({});
      expect(code).toBe(1);
      for (const name of ['SLACK_BOT_TOKEN', 'ALERTMANAGER_TOKEN', 'INCIDENT_CHANNEL', 'SLACK_SIGNING_SECRET']) expect(stderr).toContain(`  - ${name}: `);
      expect(stderr).toMatch(/services\.yaml is invalid:\n {2}- cannot be read \(ENOENT\)/);
      expect(stderr).toMatch(/No \.env file in .+: only the process environment was read/);
      expect(stderr).not.toMatch(/^\s+at /m);
    },
    PROCESS_TEST_TIMEOUT_MS,
  );

  it(
    'says Slack refused SLACK_BOT_TOKEN, without a stack trace',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'chatops-main-config-'));
      await writeFile(join(dir, 'services.yaml'), 'services: {}\n');
      await mkdir(join(dir, 'runbooks'));
      slack.script('auth.test', { status: 200, body: { ok: false, error: 'invalid_auth' } });
      const { code, stderr } = await runMain({
        SLACK_BOT_TOKEN: 'xoxb-revoked',
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_API_URL: slack.apiUrl,
        ALERTMANAGER_TOKEN,
        INCIDENT_CHANNEL: 'C0INCIDENTS',
        SERVICES_FILE: join(dir, 'services.yaml'),
        RUNBOOKS_DIR: join(dir, 'runbooks'),
        REDIS_URL: testRedisUrl(),
        REDIS_KEY_PREFIX: `test:startup:${Date.now()}:`,
        PORT: '0',
        LOG_LEVEL: 'warn',
      });
      expect(code).toBe(1);
      expect(stderr).toMatch(/chatops bot failed to start:\nInvalid configuration:\n {2}- SLACK_BOT_TOKEN: Slack refused it \(invalid_auth\)/);
      expect(stderr).not.toMatch(/^\s+at /m);
    },
    PROCESS_TEST_TIMEOUT_MS,
  );
});
