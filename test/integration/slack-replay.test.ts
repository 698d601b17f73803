/**
 * Slack's rule for signed requests, whole: signed within five minutes of now in either
 * direction, and each one accepted once. A request dated in the future is refused like a
 * stale one, and a signed request sent again byte for byte (a replay, by anyone who saw it
 * pass) is refused, by the same bot or by another replica on the same Redis, so what it
 * asks for happens once.
 *
 * "Nothing happened" is shown without sleeping: after the refused request a valid one is
 * sent and its answer awaited; the refused one must have left no trace by then.
 */
import { describe, expect, it } from 'vitest';
import { SIGNING_SECRET } from '../support/bot.js';
import { anotherBot, startRig, type Rig } from '../support/rollback.js';
import { slash } from '../support/slack-session.js';
import { slackSignature, slashCommandForm } from '../support/slack-signing.js';
import { audit } from '../support/stored.js';
import { waitFor } from '../support/wait.js';

interface SignedRequest {
  body: string;
  headers: Record<string, string>;
}

/** A `/rollback` as Slack would sign it, `offsetSeconds` from now; sent as often as a test likes. */
function signedRollback(r: Rig, offsetSeconds = 0): SignedRequest {
  const form = slashCommandForm('/rollback', 'payment-service --force replayed request', r.slack.responseUrl('replayed'), 'U0ALICE');
  const body = new URLSearchParams(form).toString();
  const timestamp = Math.floor(Date.now() / 1000) + offsetSeconds;
  return { body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...slackSignature(body, { signingSecret: SIGNING_SECRET, timestamp }) } };
}

async function send(url: string, { body, headers }: SignedRequest): Promise<number> {
  const res = await fetch(`${url}/slack/events`, { method: 'POST', headers, body });
  await res.body?.cancel();
  return res.status;
}

const approvalRequests = (r: Rig) => r.slack.callsTo('chat.postMessage').filter((c) => String(c.params.text).startsWith('[REQUESTED] ACT-'));

/** The accepted request's answer, and its approval request in the channel. */
async function answered(r: Rig): Promise<void> {
  await r.slack.waitForCalls('response_url', 1, 10_000);
  await waitFor(() => approvalRequests(r).length > 0, { timeoutMs: 10_000, message: 'no approval request was posted' });
}

/** The approval requests posted and the /rollback entries audited, once a later valid command has been answered. */
async function rollbacksRequested(r: Rig): Promise<{ approvals: number; audited: number }> {
  await slash(r, '/incident', 'list', 'U0TRUDY');
  return {
    approvals: approvalRequests(r).length,
    audited: (await audit(r)).filter((e) => e.action === '/rollback').length,
  };
}

describe('signed requests dated away from now', () => {
  it.each([
    ['10 minutes ahead', 10 * 60],
    ['5 minutes and 30 seconds ahead', 5 * 60 + 30],
    ['100 years ahead', 100 * 365 * 86_400],
  ])('a /rollback signed %s gets 401 and requests nothing', async (_label, offset) => {
    const r = await startRig();
    expect(await send(r.bot.url, signedRollback(r, offset))).toBe(401);
    expect(await rollbacksRequested(r)).toEqual({ approvals: 0, audited: 0 });
  });

  it.each([
    ['4 minutes ahead', 4 * 60],
    ['4 minutes ago', -4 * 60],
  ])('a /rollback signed %s, inside the window, is accepted', async (_label, offset) => {
    const r = await startRig();
    expect(await send(r.bot.url, signedRollback(r, offset))).toBe(200);
    await answered(r);
    expect(await rollbacksRequested(r)).toEqual({ approvals: 1, audited: 1 });
  });
});

describe('a signed request replayed within the window', () => {
  it('is refused with 401 when sent again to the same bot: the rollback is requested once', async () => {
    const r = await startRig();
    const request = signedRollback(r);
    expect(await send(r.bot.url, request)).toBe(200);
    await answered(r);
    expect(await send(r.bot.url, request)).toBe(401);
    expect(await send(r.bot.url, request)).toBe(401);
    expect(await rollbacksRequested(r)).toEqual({ approvals: 1, audited: 1 });
  });

  it('sent 10 times at once, is accepted exactly once', async () => {
    const r = await startRig();
    const request = signedRollback(r);
    const statuses = await Promise.all(Array.from({ length: 10 }, () => send(r.bot.url, request)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 401)).toHaveLength(9);
    await answered(r);
    expect(await rollbacksRequested(r)).toEqual({ approvals: 1, audited: 1 });
  });

  it('is refused by another replica on the same Redis', async () => {
    const prefix = `test:replay-${Date.now()}-${Math.random().toString(36).slice(2)}:`;
    const r = await startRig({ prefix });
    const replica = await anotherBot(r, { prefix });
    const request = signedRollback(r);
    expect(await send(r.bot.url, request)).toBe(200);
    await answered(r);
    expect(await send(replica.url, request)).toBe(401);
    expect(await rollbacksRequested(r)).toEqual({ approvals: 1, audited: 1 });
  });
});
