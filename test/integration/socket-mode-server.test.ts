/**
 * The Socket Mode stand-in fails a test whose bot talks to it in a way Slack would not
 * accept (wrong token, no ticket, an unknown message, a missing or extra ack), instead of
 * letting it pass. Driven here by a bare WebSocket client, without a bot.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { WebSocket } from 'ws';
import { FakeSlack } from '../support/fake-slack.js';
import { SocketModeServer } from '../support/socket-mode-server.js';
import { waitFor } from '../support/wait.js';

interface Rig {
  slack: FakeSlack;
  socket: SocketModeServer;
}

/** A fake Slack with a Socket Mode server, both closed after the test without failing it again. */
async function rig(): Promise<Rig> {
  const slack = await FakeSlack.start();
  const socket = await SocketModeServer.start(slack);
  onTestFinished(async () => {
    await socket.close().catch(() => undefined);
    await slack.close();
  });
  return { slack, socket };
}

async function openConnection(slack: FakeSlack, token: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${slack.apiUrl}apps.connections.open`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  return (await res.json()) as Record<string, unknown>;
}

/** Connects the way the socket client does; resolves once Slack's hello has come. */
async function connect({ slack, socket }: Rig): Promise<WebSocket> {
  const { url } = await openConnection(slack, socket.appToken);
  const ws = new WebSocket(String(url));
  onTestFinished(() => ws.terminate());
  const hello = await new Promise<unknown>((resolve, reject) => {
    ws.once('message', (data) => resolve(JSON.parse(String(data))));
    ws.once('error', reject);
  });
  expect(hello).toMatchObject({ type: 'hello' });
  return ws;
}

/** The next envelope the client receives. */
function nextEnvelope(ws: WebSocket): Promise<{ envelope_id: string; type: string; accepts_response_payload: boolean }> {
  return new Promise((resolve) => ws.once('message', (data) => resolve(JSON.parse(String(data)))));
}

describe('the fake Socket Mode server', () => {
  it('leaves apps.connections.open unknown to a fake Slack it is not attached to', async () => {
    const slack = await FakeSlack.start();
    expect(await openConnection(slack, 'xapp-1-A0APP-x')).toMatchObject({ ok: false, error: 'unknown_method' });
    await expect(slack.close()).rejects.toThrow(/apps\.connections\.open/);
  });

  it('refuses apps.connections.open with the bot token, and the check fails', async () => {
    const { slack, socket } = await rig();
    expect(await openConnection(slack, 'xoxb-bot-token')).toEqual({ ok: false, error: 'not_allowed_token_type' });
    expect(() => socket.assertNoProblems()).toThrow(/a token other than the app-level token/);
  });

  it('hands out a ticket for one connection only', async () => {
    const { slack, socket } = await rig();
    const { url } = await openConnection(slack, socket.appToken);
    const first = new WebSocket(String(url));
    onTestFinished(() => first.terminate());
    await new Promise((resolve) => first.once('message', resolve));
    const second = new WebSocket(String(url));
    const refused = await new Promise<Error>((resolve) => second.once('error', resolve));
    expect(refused.message).toMatch(/403/);
    expect(() => socket.assertNoProblems()).toThrow(/without a ticket from apps\.connections\.open \(or with a used one\)/);
  });

  it('resolves a delivery with its ack, and keeps no problem', async () => {
    const r = await rig();
    const ws = await connect(r);
    const envelope = nextEnvelope(ws);
    const delivered = r.socket.slashCommand({ command: '/incident', text: 'help' });
    const { envelope_id: id, type, accepts_response_payload: accepts } = await envelope;
    expect([type, accepts]).toEqual(['slash_commands', true]);
    ws.send(JSON.stringify({ envelope_id: id, payload: { text: 'hi' } }));
    expect(await delivered).toEqual({ envelopeId: id, type: 'slash_commands', payload: { text: 'hi' }, connection: 1 });
    expect(() => r.socket.assertNoProblems()).not.toThrow();
  });

  it.each([
    ['an unknown message', (_id: string) => ({ type: 'pong' }), /an unknown message on connection #1/],
    ['an ack of an envelope it never sent', (_id: string) => ({ envelope_id: 'made-up' }), /ack for envelope made-up, which is not awaiting one/],
    ['a response payload on a click, which accepts none', (id: string) => ({ envelope_id: id, payload: { text: 'x' } }), /accepts no response payload/],
  ])('fails the check on %s', async (_label, message, problem) => {
    const r = await rig();
    const ws = await connect(r);
    const envelope = nextEnvelope(ws);
    const delivered = r.socket.interactive({ type: 'block_actions' });
    const { envelope_id: id } = await envelope;
    ws.send(JSON.stringify(message(id)));
    ws.send(JSON.stringify({ envelope_id: id }));
    await delivered;
    expect(() => r.socket.assertNoProblems()).toThrow(problem);
  });

  it('fails the check on a second ack of one envelope', async () => {
    const r = await rig();
    const ws = await connect(r);
    const envelope = nextEnvelope(ws);
    const delivered = r.socket.interactive({ type: 'block_actions' });
    const { envelope_id: id } = await envelope;
    ws.send(JSON.stringify({ envelope_id: id }));
    await delivered;
    ws.send(JSON.stringify({ envelope_id: id }));
    await waitFor(() => {
      expect(() => r.socket.assertNoProblems()).toThrow(/not awaiting one \(unknown, late or acked already\)/);
      return true;
    });
  });

  it('rejects a delivery not acked within 3 s, and the check fails too', async () => {
    const r = await rig();
    await connect(r);
    await expect(r.socket.slashCommand({ command: '/incident', text: 'help' })).rejects.toThrow(/not acked within 3000 ms/);
    expect(() => r.socket.assertNoProblems()).toThrow(/not acked within 3000 ms/);
  });

  it('fails close() on an envelope still awaiting its ack', async () => {
    const r = await rig();
    await connect(r);
    const delivered = r.socket.slashCommand({ command: '/incident', text: 'help' }).catch((error: unknown) => error);
    await expect(r.socket.close()).rejects.toThrow(/was never acked/);
    expect(String(await delivered)).toMatch(/was never acked/);
  });
});
