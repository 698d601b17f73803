/**
 * Signed payloads the bot has no listener for, or cannot read: a click without its user or
 * without its action, a form submitted, a shortcut, a slash command it does not serve. Each
 * is acknowledged at once (200, where Bolt alone would answer 404 after 3 s or fail with
 * 500), answered (ephemerally on the response_url when there is one, otherwise in the
 * acknowledgement), logged, and changes nothing.
 *
 * "Changes nothing" is shown without sleeping: after the payload a valid command is sent
 * and its answer awaited; the payload must have left no trace by then.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { SIGNING_SECRET } from '../support/bot.js';
import { buttonValue, openIncident, rigForFile, slash, withReply, type OpenedIncident } from '../support/slack-session.js';
import { buttonClickForm, postToSlackEndpoint, slashCommandForm } from '../support/slack-signing.js';
import { audit } from '../support/stored.js';

const r = rigForFile();

let target: OpenedIncident;
beforeAll(async () => {
  target = await openIncident(r);
});

/** What anything acting on the target incident could have changed. */
async function traces() {
  return {
    incident: await r.bot.redis.hgetall(`${r.bot.prefix}incident:${target.id}`),
    timeline: await r.bot.redis.lrange(`${r.bot.prefix}incident:${target.id}:timeline`, 0, -1),
    audit: (await audit(r)).length,
    updates: r.slack.callsTo('chat.update').length,
    posts: r.slack.callsTo('chat.postMessage').length,
  };
}

/** Posts a signed form; resolves with the status and the body of the acknowledgement. */
async function send(form: Record<string, string>): Promise<{ status: number; body: string }> {
  const res = await postToSlackEndpoint(r.bot.url, form, SIGNING_SECRET);
  return { status: res.status, body: await res.text() };
}

/** Sends the form, expects the refusal on its response_url, and checks that it left no trace once a later command was answered. */
async function answeredEphemerally(form: Record<string, string>): Promise<Record<string, unknown>> {
  const before = await traces();
  const { result, reply } = await withReply(r, () => send(form));
  expect(result.status).toBe(200);
  expect(reply.response_type).toBe('ephemeral');
  expect(reply.replace_original).toBe(false);
  expect(String(reply.text)).toMatch(/nothing was done/);
  await slash(r, '/incident', 'list', 'U0TRUDY');
  const after = await traces();
  expect({ ...after, audit: after.audit - 1 }).toEqual(before);
  return reply;
}

/** A click on Acknowledge of the target incident, as Slack sends it, changed by `edit`. */
function click(edit: (payload: Record<string, unknown>) => void, responseId: string): Record<string, string> {
  const form = buttonClickForm('incident.ack', buttonValue(target.post, 'incident.ack'), r.slack.responseUrl(responseId), 'U0ALICE', target);
  const payload = JSON.parse(form.payload ?? '{}') as Record<string, unknown>;
  edit(payload);
  return { payload: JSON.stringify(payload) };
}

describe('a click the bot cannot read', () => {
  it.each([
    ['without user', (p: Record<string, unknown>) => delete p.user],
    ['with a user without id', (p: Record<string, unknown>) => Object.assign(p, { user: { name: 'mallory' } })],
    ['without actions', (p: Record<string, unknown>) => delete p.actions],
    ['with no action', (p: Record<string, unknown>) => Object.assign(p, { actions: [] })],
    ['with an action without action_id', (p: Record<string, unknown>) => Object.assign(p, { actions: [{ type: 'button', value: '1' }] })],
  ])('(%s) is acknowledged, answered ephemerally and changes nothing', async (label, edit) => {
    const reply = await answeredEphemerally(click(edit, `unreadable-${label}`));
    expect(String(reply.text)).toMatch(/could not be read/);
    expect(r.bot.logs).toContainEqual(expect.objectContaining({ level: 'warn', interaction: 'block_actions', refused: 'unreadable click' }));
  });
});

describe('interactions the bot has no listener for', () => {
  const base = { team: { id: 'T0TEAM', domain: 'example' }, user: { id: 'U0ALICE', team_id: 'T0TEAM' }, api_app_id: 'A0APP', token: 'legacy' };

  it('a submitted form gets its modal replaced by one saying nothing was done', async () => {
    const before = await traces();
    const payload = {
      ...base,
      type: 'view_submission',
      trigger_id: '9.9.9',
      view: { id: 'V0FORM', type: 'modal', callback_id: 'deploy_form', state: { values: {} } },
    };
    const { status, body } = await send({ payload: JSON.stringify(payload) });
    expect(status).toBe(200);
    const answer = JSON.parse(body) as { response_action: string; view: { type: string; title: { text: string }; blocks: Array<{ text: { text: string } }> } };
    expect(answer.response_action).toBe('update');
    expect(answer.view.type).toBe('modal');
    expect(answer.view.title.text.length).toBeLessThanOrEqual(24);
    expect(answer.view.blocks.map((b) => b.text.text).join(' ')).toMatch(/nothing was done/);
    await slash(r, '/incident', 'list', 'U0TRUDY');
    expect({ ...(await traces()), audit: before.audit }).toEqual({ ...before, audit: before.audit });
  });

  it.each([
    ['a global shortcut', { type: 'shortcut', callback_id: 'open_incident', trigger_id: '9.9.8' }],
    ['a closed modal', { type: 'view_closed', view: { id: 'V0FORM', type: 'modal', callback_id: 'deploy_form' }, is_cleared: false }],
    ['a dialog submission', { type: 'dialog_submission', callback_id: 'old_dialog', submission: {}, state: '' }],
    ['an interaction of a kind Slack may add', { type: 'future_interaction' }],
  ])('%s, without a response_url, is acknowledged with a text saying nothing was done', async (_label, fields) => {
    const before = (await audit(r)).length;
    const { status, body } = await send({ payload: JSON.stringify({ ...base, ...fields }) });
    expect(status).toBe(200);
    expect(body).toMatch(/nothing was done/);
    await slash(r, '/incident', 'list', 'U0TRUDY');
    expect((await audit(r)).length).toBe(before + 1);
  });

  it('options asked for a select menu get an empty list', async () => {
    const payload = { ...base, type: 'block_suggestion', action_id: 'service_select', block_id: 'b', value: 'pay' };
    const { status, body } = await send({ payload: JSON.stringify(payload) });
    expect(status).toBe(200);
    expect(JSON.parse(body)).toEqual({ options: [] });
  });

  it.each([
    [
      'a message shortcut',
      { type: 'message_action', callback_id: 'escalate', message: { ts: '1700000000.000001', text: 'x' }, channel: { id: 'C0INCIDENTS' } },
    ],
    ['a legacy attachment button', { type: 'interactive_message', callback_id: 'old', actions: [{ name: 'ack', type: 'button', value: '1' }] }],
    ['an interaction of a kind Slack may add', { type: 'future_interaction' }],
  ])('%s, with a response_url, is answered ephemerally', async (label, fields) => {
    await answeredEphemerally({ payload: JSON.stringify({ ...base, ...fields, response_url: r.slack.responseUrl(`kind-${label}`) }) });
  });
});

describe('slash commands the bot cannot serve', () => {
  it('a command it does not serve is answered ephemerally with what it serves', async () => {
    const reply = await answeredEphemerally(slashCommandForm('/deploy', 'payment-service', r.slack.responseUrl('unknown-command'), 'U0ALICE'));
    expect(String(reply.text)).toContain('/deploy');
    expect(String(reply.text)).toContain('/incident');
  });

  it.each([
    ['without user_id', 'user_id'],
    ['without text', 'text'],
  ])('/incident ack %s is answered ephemerally and changes nothing', async (label, field) => {
    const form: Record<string, string> = slashCommandForm('/incident', `ack ${target.id}`, r.slack.responseUrl(`command-${label}`), 'U0ALICE');
    delete form[field];
    await answeredEphemerally(form);
  });
});
