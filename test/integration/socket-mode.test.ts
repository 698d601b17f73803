/**
 * The bot in Socket Mode (SLACK_APP_TOKEN set), end to end against a local server that
 * speaks Slack's Socket Mode protocol: the bot opens its connection through
 * `apps.connections.open` on SLACK_API_URL, acks every envelope, answers commands and acts
 * on clicks, keeps serving Alertmanager and the probes over HTTP on PORT, comes back after
 * the connection is dropped or Slack asks it to reconnect, and closes its socket on stop.
 *
 * The tests run in order on one bot: each reconnect test starts from the connection the
 * previous one left.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ALERTMANAGER_TOKEN, DEFAULT_SERVICES, startTestBot, type TestBot } from '../support/bot.js';
import { freePort, spawnTracked, type TrackedChild } from '../support/child-process.js';
import { FakeSlack } from '../support/fake-slack.js';
import { closeAll } from '../support/loopback-server.js';
import { rawConnection, settlesWithin } from '../support/raw-http.js';
import { testRedisUrl } from '../support/redis.js';
import { buttonValue, openIncident, updateOf, type OpenedIncident, type SlackRig } from '../support/slack-session.js';
import { buttonClickForm, slashCommandForm } from '../support/slack-signing.js';
import { SocketModeServer } from '../support/socket-mode-server.js';
import { waitFor } from '../support/wait.js';

/** The bot waits its client ping timeout (5 s) before reconnecting; this leaves room for that. */
const RECONNECT_TIMEOUT_MS = 15_000;
/** Start-up of a bot process and stop()'s 3 s wait for the close handshake, with room to spare. */
const EXIT_TIMEOUT_MS = 20_000;

let slack: FakeSlack;
let socket: SocketModeServer;
let bot: TestBot;
let stopped = false;
const rig = (): SlackRig => ({ slack, bot });

beforeAll(async () => {
  slack = await FakeSlack.start();
  socket = await SocketModeServer.start(slack);
  // Bolt's Socket Mode receiver does not tell which port PORT=0 got, so the test picks one.
  const port = await freePort();
  // Short HTTP bounds, for the slow-connection case; a whole request from the tests takes far less.
  const http = { HTTP_HEADERS_TIMEOUT: '1s', HTTP_REQUEST_TIMEOUT: '2s' };
  bot = await startTestBot({ slack, env: { SLACK_APP_TOKEN: socket.appToken, SLACK_SIGNING_SECRET: '', PORT: String(port), ...http } });
});
afterEach(() => {
  slack.assertNoUnexpectedCalls();
  socket.assertNoProblems();
});
afterAll(async () => {
  if (!stopped) await bot?.stop();
  await closeAll([socket, slack].filter(Boolean));
});

/** A slash command over the socket: resolves with its ack and what the bot posted to its response_url. */
async function command(text: string, userId = 'U0ALICE') {
  const before = slack.callsTo('response_url').length;
  const ack = await socket.slashCommand(slashCommandForm('/incident', text, slack.responseUrl(`socket-${before}`), userId));
  const reply = (await slack.waitForCalls('response_url', before + 1))[before]?.params ?? {};
  return { ack, reply };
}

/** A click on a button of the incident's message, over the socket; resolves with its ack. */
function click(incident: OpenedIncident, actionId: string, userId: string) {
  const form = buttonClickForm(actionId, buttonValue(incident.post, actionId), slack.responseUrl(`click-${actionId}`), userId, incident);
  return socket.interactive(JSON.parse(form.payload ?? '{}') as Record<string, unknown>);
}

const incidentState = (id: string) => bot.redis.hget(`${bot.prefix}incident:${id}`, 'state');

/** A bot in Socket Mode in a process of its own (bot-process.ts), which starts and stops it at once. */
async function botProcess(): Promise<TrackedChild> {
  const dir = await mkdtemp(join(tmpdir(), 'chatops-socket-'));
  await writeFile(join(dir, 'services.yaml'), DEFAULT_SERVICES);
  await mkdir(join(dir, 'runbooks'));
  const env = {
    SLACK_BOT_TOKEN: 'xoxb-test-process',
    SLACK_APP_TOKEN: socket.appToken,
    SLACK_API_URL: slack.apiUrl,
    PORT: String(await freePort()),
    REDIS_URL: testRedisUrl(),
    REDIS_KEY_PREFIX: `test:${randomUUID()}:`,
    ALERTMANAGER_TOKEN,
    INCIDENT_CHANNEL: 'C0INCIDENTS',
    SERVICES_FILE: join(dir, 'services.yaml'),
    RUNBOOKS_DIR: join(dir, 'runbooks'),
    LOG_LEVEL: 'debug',
  };
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const script = fileURLToPath(new URL('../support/bot-process.ts', import.meta.url));
  return spawnTracked(process.execPath, ['--import', tsx, script, JSON.stringify(env)], { dir, keepLines: 400, tailLines: 400 });
}

describe('Socket Mode', () => {
  let incident: OpenedIncident;

  it('opens its connection with the app-level token through apps.connections.open on SLACK_API_URL', async () => {
    await socket.waitForConnection(1);
    const opens = slack.callsTo('apps.connections.open');
    expect(opens).toHaveLength(1);
    expect(opens[0]?.token).toBe(socket.appToken);
  });

  it('acks a slash command envelope and answers it on its response_url', async () => {
    const { ack, reply } = await command('help');
    expect(ack).toMatchObject({ type: 'slash_commands', connection: 1 });
    // The answer goes to the response_url, so the ack carries none.
    expect(ack.payload ?? {}).toEqual({});
    expect(reply.response_type).toBe('ephemeral');
    expect(String(reply.text)).toContain('/incident list');
  });

  it('still serves Alertmanager and the probes over HTTP on PORT, and no Slack endpoint there', async () => {
    incident = await openIncident(rig());
    expect(incident.changed).toBe(true);
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      const res = await fetch(`${bot.url}${path}`);
      await res.body?.cancel();
      expect(res.status, path).toBe(200);
    }
    const events = await fetch(`${bot.url}/slack/events`, { method: 'POST', body: 'payload=%7B%7D' });
    await events.body?.cancel();
    expect(events.status).toBe(404);
  });

  it('closes HTTP connections that never finish their headers or their body within 8 s, as in HTTP mode', async () => {
    const slow = await Promise.all([
      rawConnection(bot.url, 'POST /alertmanager HTTP/1.1\r\nHost: bot\r\n'),
      rawConnection(bot.url, `POST /alertmanager HTTP/1.1\r\nHost: bot\r\nAuthorization: Bearer ${ALERTMANAGER_TOKEN}\r\nContent-Length: 500\r\n\r\n{`),
    ]);
    expect(await settlesWithin(Promise.all(slow.map((c) => c.closed)), 8_000), 'a slow connection was still open after 8 s').toBeDefined();
    for (const c of slow) expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('acks a click on Acknowledge and acts on it: the incident is acknowledged in Redis and its message updated', async () => {
    const ack = await click(incident, 'incident.ack', 'U0BOB');
    expect(ack).toMatchObject({ type: 'interactive', connection: 1 });
    await waitFor(async () => (await incidentState(incident.id)) === 'acknowledged', { message: `INC-${incident.id} was not acknowledged` });
    const update = await updateOf(rig(), incident, `[ACKNOWLEDGED] INC-${incident.id} `);
    expect(update.params.channel).toBe(incident.channel);
  });

  it('reconnects through a new apps.connections.open after the server drops the connection, and a command works after', async () => {
    const dropped = socket.drop();
    const next = await socket.waitForConnection(dropped.id + 1, RECONNECT_TIMEOUT_MS);
    expect(slack.callsTo('apps.connections.open')).toHaveLength(next.id);

    const { ack, reply } = await command('list');
    expect(ack.connection).toBe(next.id);
    expect(String(reply.text)).toContain(`INC-${incident.id}`);
  });

  it('reconnects when Slack asks it to (a disconnect message), closing the old connection cleanly, and a click works after', async () => {
    const asked = socket.requestReconnect();
    const next = await socket.waitForConnection(asked.id + 1, RECONNECT_TIMEOUT_MS);
    expect(asked.closed).toEqual({ code: 1000, droppedByServer: false });
    expect(slack.callsTo('apps.connections.open')).toHaveLength(next.id);

    const ack = await click(incident, 'incident.resolve', 'U0BOB');
    expect(ack.connection).toBe(next.id);
    await waitFor(async () => (await incidentState(incident.id)) === 'resolved', { message: `INC-${incident.id} was not resolved` });
    await updateOf(rig(), incident, `[RESOLVED] INC-${incident.id} `);
  });

  it('closes its connection cleanly before stop() returns, and opens no other', async () => {
    const last = socket.live;
    const opens = slack.callsTo('apps.connections.open').length;
    await bot.app.stop();
    // The bot's close frame has been answered by now; only the TCP connection may still be ending.
    expect(socket.live).toBeUndefined();
    await waitFor(() => last?.closed, { message: 'the connection did not end after the close handshake' });
    expect(last?.closed).toEqual({ code: 1000, droppedByServer: false });
    expect(slack.callsTo('apps.connections.open')).toHaveLength(opens);
    await expect(fetch(`${bot.url}/healthz`)).rejects.toThrow();
    await bot.stop();
    stopped = true;
  });
});

describe('Socket Mode, when Slack never answers the close frame', () => {
  it('stop() drops the connection after its bound and leaves nothing running: the process exits by itself, silent after "stopped"', {
    timeout: EXIT_TIMEOUT_MS + 10_000,
  }, async () => {
    const opened = socket.connections.length;
    socket.stallNewConnections = true;
    const child = await botProcess();
    try {
      const exit = await waitFor(() => child.exitInfo(), { timeoutMs: EXIT_TIMEOUT_MS, message: 'the bot process did not exit by itself after stop()' }).catch(
        (error: Error) => {
          throw new Error(`${error.message}\n${child.output()}`);
        },
      );
      expect(exit, child.output()).toEqual({ code: 0, signal: null });
      expect(socket.connections).toHaveLength(opened + 1);
      const messages = child
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => String((JSON.parse(line) as { msg?: unknown }).msg));
      expect(messages).toContainEqual(expect.stringContaining('did not answer the Socket Mode close frame'));
      // Left to itself, the socket client would go on pinging and time out after stop() returned.
      expect(messages.at(-1)).toBe('stopped');
    } finally {
      await child.stop();
    }
  });
});
