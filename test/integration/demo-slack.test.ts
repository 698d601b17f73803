/**
 * The demo's Slack stand-in on its own, without a bot: what it sends for a choice in a
 * select (which the browser test cannot reach, since the bot renders none yet) and for a
 * slash command is signed as Slack signs, checked with the bot's own signature check; what
 * comes back on a response_url and through the Web API lands where Slack would show it.
 */
import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Interactions } from '../../demo/slack/interactions.js';
import { DemoSlack } from '../../demo/slack/server.js';
import { Workspace } from '../../demo/slack/workspace.js';
import { checkSignature } from '../../src/slack/request-signature.js';
import { listenOnLoopback } from '../support/loopback-server.js';

const SECRET = 'demo-test-signing-secret';

interface Received {
  headers: IncomingMessage['headers'];
  body: Buffer;
}

describe('the demo Slack stand-in', () => {
  const received: Received[] = [];
  const unknown: string[] = [];
  const workspace = new Workspace(
    [
      { id: 'U0ALICE', name: 'alice' },
      { id: 'U0BOB', name: 'bob' },
    ],
    [{ id: 'C0PAYMENTS', name: 'payments' }],
  );
  let bot: Awaited<ReturnType<typeof listenOnLoopback>>;
  let slack: DemoSlack;
  let interactions: Interactions;

  beforeAll(async () => {
    bot = await listenOnLoopback((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks) });
        res.end();
      });
    });
    slack = await DemoSlack.start(workspace, () => interactions, { port: 0, onUnknownMethod: (method) => unknown.push(method) });
    interactions = new Interactions(workspace, { signingSecret: SECRET, botUrl: () => bot.url, ownUrl: () => slack.url });
  });

  afterAll(async () => {
    await slack.close();
    bot.server.closeAllConnections();
    await new Promise((resolve) => bot.server.close(resolve));
  });

  async function webApi(method: string, form: Record<string, string>): Promise<Record<string, unknown>> {
    const res = await fetch(`${slack.apiUrl}${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form),
    });
    return (await res.json()) as Record<string, unknown>;
  }

  function lastRequest(): { form: URLSearchParams; signed: boolean } {
    const last = received.at(-1);
    if (!last) throw new Error('the stand-in sent the bot nothing');
    const signature = { timestamp: last.headers['x-slack-request-timestamp'], signature: last.headers['x-slack-signature'] };
    return { form: new URLSearchParams(last.body.toString('utf8')), signed: checkSignature(SECRET, signature, last.body, Date.now()).ok };
  }

  it('sends a choice in a select as a signed block_actions whose response_url answer shows to the chooser alone, in the thread', async () => {
    const select = {
      type: 'static_select',
      action_id: 'demo.pick',
      placeholder: { type: 'plain_text', text: 'Pick' },
      options: [
        { text: { type: 'plain_text', text: 'One' }, value: 'one' },
        { text: { type: 'plain_text', text: 'Two' }, value: 'two' },
      ],
    };
    const posted = await webApi('chat.postMessage', {
      channel: 'C0PAYMENTS',
      text: 'pick one',
      thread_ts: '1700000000.000001',
      blocks: JSON.stringify([{ type: 'actions', block_id: 'picker', elements: [select] }]),
    });
    expect(posted).toMatchObject({ ok: true, channel: 'C0PAYMENTS' });

    expect(await interactions.click({ user: 'U0BOB', channel: 'C0PAYMENTS', ts: String(posted.ts), block: 0, element: 0, option: 'two' })).toBe(200);
    const { form, signed } = lastRequest();
    expect(signed).toBe(true);
    const payload = JSON.parse(form.get('payload') ?? '{}');
    expect(payload).toMatchObject({
      type: 'block_actions',
      user: { id: 'U0BOB' },
      container: { message_ts: posted.ts, channel_id: 'C0PAYMENTS', thread_ts: '1700000000.000001' },
      actions: [{ type: 'static_select', action_id: 'demo.pick', block_id: 'picker', selected_option: { value: 'two' } }],
    });

    const answer = await fetch(payload.response_url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'chosen' }),
    });
    expect(answer.status).toBe(200);
    expect(workspace.messages.at(-1)).toMatchObject({ text: 'chosen', ephemeralTo: 'U0BOB', thread_ts: '1700000000.000001' });
  });

  it('sends a typed slash command as a signed form, and answers the Web API as Slack does', async () => {
    expect(await interactions.command('U0ALICE', 'C0PAYMENTS', '/incident   list open')).toBe(200);
    const { form, signed } = lastRequest();
    expect(signed).toBe(true);
    expect(Object.fromEntries(form)).toMatchObject({ command: '/incident', text: 'list open', user_id: 'U0ALICE', channel_id: 'C0PAYMENTS' });
    expect(form.get('response_url')).toMatch(new RegExp(`^${slack.url}/response/`));

    expect(await webApi('chat.update', { channel: 'C0PAYMENTS', ts: '1.000001', text: 'x', blocks: '[]' })).toMatchObject({
      ok: false,
      error: 'message_not_found',
    });
    expect(await webApi('chat.postMessage', { channel: 'C0NOWHERE', text: 'x' })).toMatchObject({ ok: false, error: 'channel_not_found' });
    expect(await webApi('reminders.add', {})).toMatchObject({ ok: false, error: 'unknown_method' });
    expect(unknown).toEqual(['reminders.add']);
  });

  it('makes a war room channel as Slack does: a name once, its topic and members, then archived', async () => {
    const created = await webApi('conversations.create', { name: 'inc-7-payment-service' });
    expect(created).toMatchObject({ ok: true, channel: { name: 'inc-7-payment-service', creator: 'U0BOT', is_archived: false } });
    const id = String((created.channel as { id: string }).id);
    expect(await webApi('conversations.create', { name: 'inc-7-payment-service' })).toMatchObject({ ok: false, error: 'name_taken' });
    expect(await webApi('conversations.create', { name: 'INC 7' })).toMatchObject({ ok: false, error: 'invalid_name_specials' });
    expect(await webApi('conversations.setTopic', { channel: id, topic: 'INC-7 [FIRING]' })).toMatchObject({
      ok: true,
      channel: { topic: { value: 'INC-7 [FIRING]' } },
    });
    expect(await webApi('conversations.invite', { channel: id, users: 'U0ALICE,U0BOB', force: 'true' })).toMatchObject({
      ok: true,
      channel: { num_members: 3 },
    });
    const listed = await webApi('conversations.list', { exclude_archived: 'true' });
    expect((listed.channels as Array<{ name: string }>).map((c) => c.name)).toContain('inc-7-payment-service');
    expect(await webApi('chat.postMessage', { channel: id, text: 'in the room' })).toMatchObject({ ok: true, channel: id });

    expect(await webApi('conversations.archive', { channel: id })).toEqual({ ok: true });
    expect(await webApi('chat.postMessage', { channel: id, text: 'too late' })).toMatchObject({ ok: false, error: 'is_archived' });
    const open = await webApi('conversations.list', { exclude_archived: 'true' });
    expect((open.channels as Array<{ name: string }>).map((c) => c.name)).not.toContain('inc-7-payment-service');
    expect(workspace.channels.find((c) => c.id === id)).toMatchObject({ archived: true, topic: 'INC-7 [FIRING]' });
  });

  it('shares an uploaded file in the thread it is completed into, with its text for the page', async () => {
    const text = '# Retrospective draft: INC-7\n\n## Timeline\n- fired\n';
    const bytes = Buffer.from(text, 'utf8');
    const target = await webApi('files.getUploadURLExternal', { filename: 'retrospective-inc-7.md', length: String(bytes.length) });
    expect(target).toMatchObject({ ok: true, upload_url: expect.stringMatching(new RegExp(`^${slack.url}/upload/`)) });
    expect((await fetch(String(target.upload_url), { method: 'POST', body: Buffer.from('short') })).status).toBe(400);
    expect((await fetch(String(target.upload_url), { method: 'POST', body: bytes })).status).toBe(200);

    const done = await webApi('files.completeUploadExternal', {
      files: JSON.stringify([{ id: target.file_id, title: 'INC-7: retrospective' }]),
      channel_id: 'C0PAYMENTS',
      thread_ts: '1700000000.000001',
      initial_comment: 'Retrospective draft of INC-7',
    });
    expect(done).toMatchObject({ ok: true, files: [{ id: target.file_id, title: 'INC-7: retrospective' }] });
    expect(workspace.messages.at(-1)).toMatchObject({
      channel: 'C0PAYMENTS',
      thread_ts: '1700000000.000001',
      text: 'Retrospective draft of INC-7',
      files: [{ name: 'retrospective-inc-7.md', title: 'INC-7: retrospective', text }],
    });
    expect(await webApi('files.completeUploadExternal', { files: JSON.stringify([{ id: target.file_id }]), channel_id: 'C0PAYMENTS' })).toMatchObject({
      ok: false,
      error: 'file_not_found',
    });
    expect(unknown).toEqual(['reminders.add']);
  });
});
