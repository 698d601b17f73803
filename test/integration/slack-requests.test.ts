/**
 * What reaches POST /slack/events: Bolt's real HTTP receiver must refuse anything not
 * signed with the signing secret within five minutes of now, either way, before any listener runs;
 * and a signed click the bot cannot act on gets a clear ephemeral answer, not a timeout.
 *
 * "No listener ran" is shown without sleeping: after the refused request, a valid one is
 * sent and its effect awaited; then the refused one must have left no trace at all.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { SIGNING_SECRET } from '../support/bot.js';
import { buttonClickForm, postToSlackEndpoint, slackSignature, slashCommandForm, type SigningMode } from '../support/slack-signing.js';
import { buttonValue, click, openIncident, rigForFile, slash, withReply, type OpenedIncident } from '../support/slack-session.js';
import { audit } from '../support/stored.js';
import { waitFor } from '../support/wait.js';

const r = rigForFile();

/** Everything a listener acting on the incident could have changed. */
async function traces(id: string) {
  return {
    incident: await r.bot.redis.hgetall(`${r.bot.prefix}incident:${id}`),
    timeline: await r.bot.redis.lrange(`${r.bot.prefix}incident:${id}:timeline`, 0, -1),
    audit: await audit(r),
    responses: r.slack.callsTo('response_url').length,
    updates: r.slack.callsTo('chat.update').length,
    posts: r.slack.callsTo('chat.postMessage').length,
  };
}

/** A signed `/incident list`, awaited until its answer reached the response_url. */
const validFollowUp = (userId: string) => slash(r, '/incident', 'list', userId);

/** The signed click forms the tests send, on the message the bot posted. */
function clickForm(actionId: string, value: string, userId: string, responseId: string): Record<string, string> {
  return buttonClickForm(actionId, value, r.slack.responseUrl(responseId), userId);
}

/** A signed click; its HTTP status is left to the test to check, with the answer posted to the response_url. */
async function clickForReply(actionId: string, value: string, userId: string): Promise<{ status: number; reply: Record<string, unknown> }> {
  const { result: status, reply } = await withReply(r, () => click(r, actionId, value, userId));
  return { status, reply };
}

type BadMode = Exclude<SigningMode, 'valid'> | 'tampered';

/** Sends a form that Bolt must refuse. `tampered`: signed correctly, but for another body. */
async function sendBad(form: Record<string, string>, mode: BadMode): Promise<Response> {
  if (mode !== 'tampered') return postToSlackEndpoint(r.bot.url, form, SIGNING_SECRET, mode);
  const body = new URLSearchParams(form).toString();
  const signedFor = new URLSearchParams({ ...form, user_id: 'U0SOMEONEELSE' }).toString();
  return fetch(`${r.bot.url}/slack/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...slackSignature(signedFor, { signingSecret: SIGNING_SECRET }) },
    body,
  });
}

// ---------------------------------------------------------------- tests

describe('request verification on POST /slack/events', () => {
  let target: OpenedIncident;
  beforeAll(async () => {
    target = await openIncident(r);
  });

  const modes: Record<BadMode, string> = {
    forged: 'signed with the wrong secret',
    stale: 'signed 10 minutes ago',
    future: 'signed 10 minutes ahead',
    unsigned: 'without signature headers',
    tampered: 'signed for another body',
  };
  const kinds = ['slash command', 'button click'] as const;
  const cases = (Object.keys(modes) as BadMode[]).flatMap((mode) => kinds.map((kind) => [kind, modes[mode], mode] as const));

  it.each(cases)('a %s %s gets 401 and no listener runs', async (kind, _how, mode) => {
    const attacker = `U0MALLORY${mode.toUpperCase()}${kind === 'button click' ? 'B' : 'C'}`;
    const form =
      kind === 'slash command'
        ? slashCommandForm('/incident', `ack ${target.id}`, r.slack.responseUrl(`bad-${mode}`), attacker)
        : clickForm('incident.ack', buttonValue(target.post, 'incident.ack'), attacker, `bad-${mode}`);
    const before = await traces(target.id);
    expect(before.incident.state).toBe('firing');

    const res = await sendBad(form, mode);
    await res.body?.cancel();
    expect(res.status).toBe(401);

    const followUp = await validFollowUp('U0TRUDY');
    expect(String(followUp.text)).toContain(`INC-${target.id}`);

    const after = await traces(target.id);
    expect(after.incident).toEqual(before.incident);
    expect(after.timeline).toEqual(before.timeline);
    // The only new audit entry and the only answer are the follow-up's.
    expect(after.audit.slice(before.audit.length)).toEqual([expect.objectContaining({ actor: 'U0TRUDY', action: '/incident', detail: 'list' })]);
    expect(after.audit.some((e) => e.actor === attacker)).toBe(false);
    expect(after.responses).toBe(before.responses + 1);
    expect(after.updates).toBe(before.updates);
    expect(after.posts).toBe(before.posts);
  });

  it('a correctly signed slash command gets 200 and is answered', async () => {
    const before = r.slack.callsTo('response_url').length;
    const res = await postToSlackEndpoint(r.bot.url, slashCommandForm('/incident', 'help', r.slack.responseUrl('signed'), 'U0ALICE'), SIGNING_SECRET, 'valid');
    await res.body?.cancel();
    expect(res.status).toBe(200);
    const answer = (await r.slack.waitForCalls('response_url', before + 1))[before];
    expect(String(answer?.params.text)).toContain('/incident list');
  });

  it('a correctly signed button click gets 200 and acts', async () => {
    const own = await openIncident(r);
    const res = await postToSlackEndpoint(
      r.bot.url,
      clickForm('incident.ack', buttonValue(own.post, 'incident.ack'), 'U0ALICE', 'signed-click'),
      SIGNING_SECRET,
      'valid',
    );
    await res.body?.cancel();
    expect(res.status).toBe(200);
    await waitFor(async () => (await r.bot.redis.hget(`${r.bot.prefix}incident:${own.id}`, 'state')) === 'acknowledged', {
      message: 'the signed click did not acknowledge the incident',
    });
  });
});

describe('signed clicks the bot cannot act on', () => {
  it.each([['incident.retired'], ['deploy.approve'], ['incident.ack.v2']])(
    'an unknown action_id (%s) gets an ephemeral reply saying it is not handled',
    async (actionId) => {
      const { status, reply } = await clickForReply(actionId, JSON.stringify({ v: 1, incident: '1' }), 'U0ALICE');
      expect(status).toBe(200);
      expect(reply.response_type).toBe('ephemeral');
      expect(reply.replace_original).toBe(false);
      expect(String(reply.text)).toContain(actionId);
      expect(String(reply.text)).toMatch(/not handled/);
    },
  );

  it.each([
    ['plain text id', 'INC-1'],
    ['bare number', '1'],
    ['older value version', JSON.stringify({ v: 0, incident: '1' })],
    ['newer value version', JSON.stringify({ v: 2, incident: '1' })],
    ['id in another field', JSON.stringify({ v: 1, id: '1' })],
    ['id not a number', JSON.stringify({ v: 1, incident: 'INC-1' })],
    ['broken JSON', '{"v":1,'],
  ])('a known action_id with an unreadable value (%s) gets a clear ephemeral reply and changes nothing', async (_label, value) => {
    const own = await openIncident(r);
    const before = await traces(own.id);

    for (const actionId of ['incident.ack', 'incident.resolve']) {
      const { status, reply } = await clickForReply(actionId, value.replace('1', own.id), 'U0OLDMSG');
      expect(status).toBe(200);
      expect(reply.response_type).toBe('ephemeral');
      expect(reply.replace_original).toBe(false);
      expect(String(reply.text)).toMatch(/cannot read/);
      expect(String(reply.text)).toContain('/incident list');
    }

    const after = await traces(own.id);
    expect(after.incident).toEqual(before.incident);
    expect(after.timeline).toEqual(before.timeline);
    expect(after.updates).toBe(before.updates);
  });
});
