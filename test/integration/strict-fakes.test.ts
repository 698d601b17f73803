/**
 * The Slack and GitLab stand-ins fail a test that calls them in a way they do not know,
 * instead of answering `ok` (or a 404) and letting it pass.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { deployment, FakeGitlab } from '../support/fake-gitlab.js';
import { FakeSlack } from '../support/fake-slack.js';

async function slackStub(): Promise<FakeSlack> {
  const slack = await FakeSlack.start();
  // Checked by the test itself; close() must not fail the test a second time for the same call.
  onTestFinished(() => slack.close());
  return slack;
}

async function gitlabStub(): Promise<FakeGitlab> {
  const gitlab = await FakeGitlab.start();
  onTestFinished(() => gitlab.close());
  return gitlab;
}

const callSlack = async (slack: FakeSlack, method: string, params: Record<string, string> = {}) =>
  (await fetch(`${slack.apiUrl}${method}`, { method: 'POST', body: new URLSearchParams(params) })).json();

describe('the fake Slack', () => {
  it('answers a method it does not know as Slack does, and the check fails naming the call, once', async () => {
    const slack = await slackStub();
    expect(await callSlack(slack, 'users.info', { user: 'U0ALICE' })).toEqual({ ok: false, error: 'unknown_method', req_method: 'users.info' });
    expect(slack.calls).toEqual([]);
    expect(() => slack.assertNoUnexpectedCalls()).toThrow(/1 call\(s\) to methods it does not know.*users\.info \{"user":"U0ALICE"\}/);
    expect(() => slack.assertNoUnexpectedCalls()).not.toThrow();
  });

  it('fails at reset() and at close() as well, so a test that never checks still fails', async () => {
    const slack = await FakeSlack.start();
    await callSlack(slack, 'conversations.open');
    expect(() => slack.reset()).toThrow(/conversations\.open/);
    await callSlack(slack, 'views.open');
    await expect(slack.close()).rejects.toThrow(/views\.open/);
  });

  it('passes the check for every method it knows, response_url included', async () => {
    const slack = await slackStub();
    slack.setUserGroup('S0SRE', ['U0DAVE']);
    expect(await callSlack(slack, 'auth.test')).toMatchObject({ ok: true, user_id: 'U0BOT' });
    expect(await callSlack(slack, 'chat.postMessage', { channel: 'C0X', text: 'hi' })).toMatchObject({ ok: true, channel: 'C0X' });
    expect(await callSlack(slack, 'chat.update', { channel: 'C0X', ts: '1.2', text: 'hi' })).toMatchObject({ ok: true, ts: '1.2' });
    expect(await callSlack(slack, 'usergroups.users.list', { usergroup: 'S0SRE' })).toEqual({ ok: true, users: ['U0DAVE'] });
    expect(await callSlack(slack, 'usergroups.users.list', { usergroup: 'S0NONE' })).toEqual({ ok: false, error: 'no_such_subteam' });
    await fetch(slack.responseUrl(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"done"}' });
    expect(slack.calls.map((c) => c.method)).toEqual([
      'auth.test',
      'chat.postMessage',
      'chat.update',
      'usergroups.users.list',
      'usergroups.users.list',
      'response_url',
    ]);
    expect(() => slack.assertNoUnexpectedCalls()).not.toThrow();
  });

  it('refuses to script an answer for a method it does not know', async () => {
    const slack = await slackStub();
    expect(() => slack.script('users.info', { status: 200, body: { ok: true } })).toThrow(/cannot script users\.info/);
  });
});

describe('the fake GitLab', () => {
  it('answers a route it does not serve 404, as GitLab does, and the check fails naming it, once', async () => {
    const gitlab = await gitlabStub();
    gitlab.addProject('shop/payment-service', []);
    const res = await fetch(`${gitlab.url}/api/v4/projects/shop%2Fpayment-service/merge_requests`);
    expect([res.status, await res.json()]).toEqual([404, { error: '404 Not Found' }]);
    // A known path with a method it does not serve is just as unknown.
    expect((await fetch(`${gitlab.url}/api/v4/projects/shop%2Fpayment-service/deployments`, { method: 'DELETE' })).status).toBe(404);
    expect(gitlab.calls).toEqual([]);
    expect(() => gitlab.assertNoUnexpectedCalls()).toThrow(
      /2 request\(s\) to routes it does not serve.*GET \/api\/v4\/projects\/shop%2Fpayment-service\/merge_requests; DELETE .*\/deployments/,
    );
    expect(() => gitlab.assertNoUnexpectedCalls()).not.toThrow();
  });

  it('fails at reset() and at close() as well', async () => {
    const gitlab = await FakeGitlab.start();
    await fetch(`${gitlab.url}/api/v4/user`);
    expect(() => gitlab.reset()).toThrow(/GET \/api\/v4\/user/);
    await fetch(`${gitlab.url}/api/v4/projects/1/environments`);
    await expect(gitlab.close()).rejects.toThrow(/\/api\/v4\/projects\/1\/environments/);
  });

  it("keeps GitLab's own 404s on the routes it serves, which pass the check", async () => {
    const gitlab = await gitlabStub();
    gitlab.addProject('shop/payment-service', [deployment({ id: 1, iid: 1, sha: 'a'.repeat(40), jobId: 501 })]);
    const get = async (path: string) => {
      const res = await fetch(`${gitlab.url}/api/v4/projects/${path}`);
      return [res.status, await res.json()];
    };
    expect(await get('shop%2Fledger/deployments')).toEqual([404, { message: '404 Project Not Found' }]);
    expect(await get('shop%2Fpayment-service/jobs/999')).toEqual([404, { message: '404 Job Not Found' }]);
    expect(await get('shop%2Fpayment-service/pipelines/999')).toEqual([404, { message: '404 Not found' }]);
    expect(gitlab.calls.map((c) => [c.route, c.status])).toEqual([
      ['deployments', 404],
      ['job', 404],
      ['pipeline', 404],
    ]);
    expect(() => gitlab.assertNoUnexpectedCalls()).not.toThrow();
  });
});
