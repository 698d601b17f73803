/**
 * Connections that hold a descriptor without finishing a request: headers never ended, a
 * declared body never sent, a keep-alive connection left idle. The bot's HTTP server closes
 * each within the bound it is configured with (short ones here, set by environment), and a
 * cap on connections keeps descriptors bounded while the bot still serves: a newcomer takes
 * the place of the connection that has waited longest without a whole request.
 *
 * Node checks the header and request bounds once a second, so each assertion allows the
 * bound plus that second plus generous slack for a loaded machine; the defaults Node
 * would use otherwise (60 s for headers, 300 s for a request, checked every 30 s) are far
 * beyond them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALERTMANAGER_TOKEN, startTestBot, type TestBot } from '../support/bot.js';
import { FakeSlack } from '../support/fake-slack.js';
import { rawConnection, settlesWithin } from '../support/raw-http.js';
import { found } from '../support/wait.js';

/** Headers unfinished: the blank line that ends them never comes. */
const PARTIAL_HEADERS = 'POST /alertmanager HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n';

/** Complete headers declaring 500 bytes of body, and 20 of them. */
function declaredBodyNeverSent(path: string, headers: Record<string, string> = {}): string {
  const lines = Object.entries({ host: 'bot', 'content-type': 'application/json', 'content-length': '500', ...headers }).map(([k, v]) => `${k}: ${v}`);
  return `POST ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n${'{"receiver":"slow",'.padEnd(20, ' ')}`;
}

let slack: FakeSlack;
beforeAll(async () => {
  slack = await FakeSlack.start();
});
afterAll(async () => {
  await slack?.close();
});

describe('bounded connections (headers 1s, request 2s, keep-alive 300ms)', () => {
  let bot: TestBot;
  beforeAll(async () => {
    bot = await startTestBot({ slack, env: { HTTP_HEADERS_TIMEOUT: '1s', HTTP_REQUEST_TIMEOUT: '2s', HTTP_KEEP_ALIVE_TIMEOUT: '300ms' } });
  });
  afterAll(async () => {
    await bot?.stop();
  });

  it('closes connections that never finish their headers, or send nothing, within 8 s', async () => {
    const silent = await Promise.all(Array.from({ length: 10 }, () => rawConnection(bot.url)));
    const partial = await Promise.all(Array.from({ length: 10 }, () => rawConnection(bot.url, PARTIAL_HEADERS)));
    const closed = await settlesWithin(Promise.all([...silent, ...partial].map((c) => c.closed)), 8_000);
    expect(closed, 'some slow connections were still open after 8 s').toBeDefined();
    for (const c of partial) expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes a header dribbled one line at a time: the bound counts from the first byte', async () => {
    const dribbler = await rawConnection(bot.url, 'POST /alertmanager HTTP/1.1\r\n');
    let line = 0;
    const dribble = setInterval(() => dribbler.write(`x-slow-${line++}: still here\r\n`), 200);
    try {
      expect(await settlesWithin(dribbler.closed, 8_000), 'the dribbling connection was still open after 8 s').toBeDefined();
    } finally {
      clearInterval(dribble);
    }
  });

  it.each([
    ['/alertmanager', { authorization: `Bearer ${ALERTMANAGER_TOKEN}` }],
    ['/slack/events', { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-signature': 'v0=00', 'x-slack-request-timestamp': '1' }],
  ])('answers 408 and closes a request to %s whose declared body never comes, within 8 s', async (path, headers) => {
    const connections = await Promise.all(Array.from({ length: 5 }, () => rawConnection(bot.url, declaredBodyNeverSent(path, headers))));
    const closed = await settlesWithin(Promise.all(connections.map((c) => c.closed)), 8_000);
    expect(closed, 'some requests with a missing body were still open after 8 s').toBeDefined();
    for (const c of connections) expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
    // The bot is none the worse: it still takes a webhook.
    expect((await bot.postWebhook({ not: 'alertmanager' })).status).toBe(400);
  });

  it('closes an idle keep-alive connection within 3 s of its last answer', async () => {
    const idle = await rawConnection(bot.url, 'GET /healthz HTTP/1.1\r\nHost: bot\r\n\r\n');
    const answeredAt = await found(() => (idle.received().includes('"status":"ok"') ? Date.now() : undefined), { message: '/healthz did not answer' });
    expect(idle.received()).toMatch(/^HTTP\/1\.1 200 /);
    const closed = await settlesWithin(idle.closed, 3_000);
    expect(closed, 'the idle keep-alive connection was still open 3 s after its answer').toBeDefined();
    expect(Date.now() - answeredAt).toBeLessThan(3_000);
  });
});

describe('a cap of 5 connections (headers and request 30s)', () => {
  let bot: TestBot;
  beforeAll(async () => {
    bot = await startTestBot({ slack, env: { HTTP_MAX_CONNECTIONS: '5', HTTP_HEADERS_TIMEOUT: '30s', HTTP_REQUEST_TIMEOUT: '30s' } });
  });
  afterAll(async () => {
    await bot?.stop();
  });

  it('answers /healthz while slow connections hold the cap, closing the one waiting longest for each newcomer', async () => {
    // Opened one after the other, so that their ages are in this order.
    const oldest = await rawConnection(bot.url, PARTIAL_HEADERS);
    const next = await rawConnection(bot.url, PARTIAL_HEADERS);
    const younger = [];
    for (let i = 0; i < 3; i += 1) younger.push(await rawConnection(bot.url, PARTIAL_HEADERS));

    const health = await fetch(`${bot.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect(await settlesWithin(oldest.closed, 5_000), 'the oldest slow connection was kept open beyond the cap').toBeDefined();
    expect(oldest.received()).toBe('');

    // One more newcomer, on a connection of its own: the next oldest makes room, and only it.
    const probe = await rawConnection(bot.url, 'GET /healthz HTTP/1.1\r\nHost: bot\r\nConnection: close\r\n\r\n');
    await probe.closed;
    expect(probe.received()).toMatch(/^HTTP\/1\.1 200 /);
    expect(await settlesWithin(next.closed, 5_000), 'the next oldest slow connection was kept open beyond the cap').toBeDefined();
    expect(younger.map((c) => c.isClosed())).toEqual([false, false, false]);

    expect(bot.logs).toContainEqual(expect.objectContaining({ level: 'warn', maxConnections: 5, closedWaiting: 1 }));
  });
});
