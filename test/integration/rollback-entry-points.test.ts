/**
 * The ways into a rollback and their refusals: `/rollback` (unknown service, GitLab errors,
 * a named target), `/automation status`, and a runbook's button on an incident message,
 * which opens the same approval flow linked to that incident. Signed requests through
 * Bolt's real HTTP receiver, the real Redis, Slack faked by fake-slack.ts and GitLab faked
 * at its HTTP edge by fake-gitlab.ts. Each test starts its own bot and fakes.
 *
 * The services, their approvers and GitLab's deployments are set up in support/rollback.ts.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { uniqueGroup } from '../support/fixtures.js';
import { approvalMessage, requestRollback, retryPath, SHA_BAD, SHA_GOOD, SHA_OLD, startRig, type BotOptions, type Rig } from '../support/rollback.js';
import { blockText, buttonValue, click, clickForReply, openIncident, slash, updateOf } from '../support/slack-session.js';
import { audit, incidentTimeline, storedAction } from '../support/stored.js';

/** ledger is configured, but GitLab does not have its project. */
const LEDGER = `  ledger:
    channel: C0LEDGER
    approvers: [U0BOB]
    gitlab:
      project: shop/ledger
      environment: production
`;

const rig = (opts: BotOptions = {}) => startRig({ ...opts, moreServices: LEDGER });

/**
 * An incident of alert group `group`. HighErrorRate is the group whose runbook offers a
 * rollback; the fingerprint is unique per call, so each call opens an incident of its own.
 */
const incidentOf = (r: Rig, group = uniqueGroup()) => openIncident(r, { group, fingerprint: `${group}-${uniqueGroup()}` });

async function actionKeys(r: Rig): Promise<string[]> {
  return r.bot.redis.keys(`${r.bot.prefix}action*`);
}

describe('/rollback', () => {
  it('for an unknown service lists the known services and stores nothing', async () => {
    const r = await rig();
    const reply = await slash(r, '/rollback', 'unknown-service', 'U0ALICE');
    expect(reply.response_type).toBe('ephemeral');
    expect(reply.text).toBe('Unknown service "unknown-service". Known services: checkout, ledger, payment-service.');
    expect(await actionKeys(r)).toEqual([]);
    expect(r.gitlab.calls).toEqual([]);
    expect(await audit(r)).toContainEqual(expect.objectContaining({ actor: 'U0ALICE', action: '/rollback', outcome: 'refused', detail: 'unknown-service' }));
  });

  it.each([
    ['no arguments', ''],
    ['help', 'help'],
  ])('with %s shows the usage', async (_label, text) => {
    const r = await rig();
    const reply = await slash(r, '/rollback', text, 'U0ALICE');
    expect(reply.response_type).toBe('ephemeral');
    expect(String(reply.text)).toContain('`/rollback &lt;service&gt; [to &lt;sha|deployment-id&gt;] [--force] [reason…]`');
    expect(await actionKeys(r)).toEqual([]);
  });

  it('with a target that is neither a sha nor a deployment id says what it expects', async () => {
    const r = await rig();
    const reply = await slash(r, '/rollback', 'payment-service to main', 'U0ALICE');
    expect(String(reply.text)).toMatch(/^target: expected a commit sha \(7 to 40 hex characters\) or a deployment id\n/);
    expect(r.gitlab.calls).toEqual([]);
  });

  it('to a named sha plans (and runs) that deployment’s job', async () => {
    const r = await rig();
    const { id } = await requestRollback(r, `payment-service to ${SHA_OLD.slice(0, 10)} back to last week`);
    const message = await approvalMessage(r, id);
    expect(blockText(message.post)).toContain(`to: deployment #31, sha ${SHA_OLD.slice(0, 8)} (main), job #501`);
    expect((await storedAction(r, id)).doc).toMatchObject({ target: SHA_OLD.slice(0, 10), reason: 'back to last week' });
    expect(await click(r, 'action.approve', buttonValue(message.post, 'action.approve'), 'U0BOB', message)).toBe(200);
    await r.gitlab.waitForCalls('retry', 1);
    expect(r.gitlab.callsTo('retry').map((c) => c.path)).toEqual([retryPath(501)]);
  });

  it('to what runs now is refused with the reason', async () => {
    const r = await rig();
    const reply = await slash(r, '/rollback', 'payment-service to 34', 'U0ALICE');
    expect(reply.text).toBe(`34 is deployment #34, sha ${SHA_BAD.slice(0, 8)} (main), which is what production runs now; name an earlier deployment`);
    expect(await actionKeys(r)).toEqual([]);
  });
});

describe('/rollback when GitLab fails', () => {
  it('a 500 on the deployments list is retried, and the request goes through', async () => {
    const r = await rig();
    r.gitlab.script('deployments', { status: 500, body: { message: '500 Internal Server Error' } });
    const { id } = await requestRollback(r, 'payment-service');
    expect(r.gitlab.callsTo('deployments').map((c) => c.status)).toEqual([500, 200]);
    const message = await approvalMessage(r, id);
    expect(blockText(message.post)).toContain('job #502');
    expect(r.bot.logs).toContainEqual(expect.objectContaining({ msg: 'GitLab request failed; retrying', reason: 'status 500', attempt: 1 }));
  });

  it.each([
    ['a scripted 404 for payment-service', 'payment-service', 'shop/payment-service'],
    ['a project GitLab does not have', 'ledger', 'shop/ledger'],
  ])('%s: answers with a clear message naming the project and stores nothing', async (_label, service, project) => {
    const r = await rig();
    if (service === 'payment-service') r.gitlab.script('deployments', { status: 404, body: { message: '404 Project Not Found' } });
    const reply = await slash(r, '/rollback', service, 'U0ALICE');
    expect(reply.response_type).toBe('ephemeral');
    expect(reply.text).toBe(
      `GitLab project ${project} not found (404 Project Not Found): check gitlab.project in services.yaml and that GITLAB_TOKEN can read it`,
    );
    // A 404 is not retried, nothing was stored, nothing is running.
    expect(r.gitlab.callsTo('deployments')).toHaveLength(1);
    expect(await actionKeys(r)).toEqual([]);
    expect(await r.bot.redis.smembers(`${r.bot.prefix}actions:running`)).toEqual([]);
    expect(await audit(r)).toContainEqual(expect.objectContaining({ action: '/rollback', outcome: 'refused', error: reply.text }));

    // The next request is the first action: the refused one took no id and posted no message.
    const next = await requestRollback(r, 'payment-service');
    expect(next.id).toBe('1');
    await approvalMessage(r, next.id);
    expect(r.slack.callsTo('chat.postMessage').filter((c) => String(c.params.text).includes('ACT-'))).toHaveLength(1);
  });

  it('when GitLab keeps failing, the answer says GitLab is unavailable (not a bug of the bot) and stores nothing', async () => {
    const r = await rig();
    r.gitlab.script('deployments', { status: 503, body: { message: '503 Service Unavailable' } }, 4);
    const reply = await slash(r, '/rollback', 'payment-service', 'U0ALICE');
    expect(r.gitlab.callsTo('deployments')).toHaveLength(4);
    expect(await actionKeys(r)).toEqual([]);
    expect(String(reply.text)).toContain(
      'GitLab failed 4 times (last: status 503) when asked to list the successful deployments to production in shop/payment-service',
    );
  });
});

describe('/automation', () => {
  it('status, and help; anyone may ask', async () => {
    const r = await rig();
    expect((await slash(r, '/automation', 'status', 'U0EVE')).text).toBe(':large_green_circle: Automation is running.');
    expect(String((await slash(r, '/automation', 'help', 'U0EVE')).text)).toContain('`/automation pause [reason…]`');
    expect(String((await slash(r, '/automation', 'stop', 'U0EVE')).text)).toMatch(/^unknown subcommand "stop"/);
  });

  it('a non-admin cannot pause; an approver by user group can', async () => {
    const r = await rig();
    const refused = await slash(r, '/automation', 'pause', 'U0EVE');
    expect(refused.text).toBe('Only automation admins (AUTOMATION_ADMINS, or any service approver when unset) may pause or resume automation.');
    expect(await r.bot.redis.get(`${r.bot.prefix}automation:paused`)).toBeNull();

    const paused = await slash(r, '/automation', 'pause', 'U0DAVE');
    expect(paused.text).toBe(':octagonal_sign: <@U0DAVE> paused all automation: no reason given. Nothing new runs until `/automation resume`.');
    expect(JSON.parse((await r.bot.redis.get(`${r.bot.prefix}automation:paused`)) ?? '{}')).toMatchObject({ by: 'U0DAVE', reason: 'no reason given' });
  });

  it('AUTOMATION_ADMINS, when set, are the only ones who may pause', async () => {
    const r = await rig({ env: { AUTOMATION_ADMINS: 'U0ADMIN' } });
    expect((await slash(r, '/automation', 'pause', 'U0BOB')).text).toContain('Only automation admins');
    expect((await slash(r, '/automation', 'pause incident review', 'U0ADMIN')).response_type).toBe('in_channel');
  });
});

describe('a runbook button on an incident message', () => {
  it('opens the approval flow linked to the incident, in its thread, and the approved rollback mitigates it', async () => {
    const r = await rig();
    const incident = await incidentOf(r, 'HighErrorRate');
    const value = buttonValue(incident.post, 'runbook.run');
    expect(JSON.parse(value)).toEqual({ v: 1, incident: incident.id, runbook: 'high-error-rate-rollback', action: 'rollback' });

    expect(await click(r, 'runbook.run', value, 'U0ALICE', incident)).toBe(200);
    const message = await approvalMessage(r, '1');
    expect(message.channel).toBe(incident.channel);
    expect(message.post.params.thread_ts).toBe(incident.ts);
    expect(blockText(message.post)).toContain(`to: deployment #32, sha ${SHA_GOOD.slice(0, 8)} (main), job #502`);
    expect((await storedAction(r, '1')).doc).toMatchObject({
      service: 'payment-service',
      requestedBy: 'U0ALICE',
      reason: 'runbook high-error-rate-rollback',
      incidentId: incident.id,
      threadTs: incident.ts,
      forced: false,
    });
    expect(await incidentTimeline(r, incident.id)).toContainEqual(
      expect.objectContaining({
        kind: 'action',
        step: expect.objectContaining({ kind: 'requested', actionId: '1' }),
        rendered: expect.stringContaining('requested ACT-1'),
      }),
    );
    expect(await audit(r)).toContainEqual(expect.objectContaining({ actor: 'U0ALICE', action: 'runbook.run', incidentId: incident.id, outcome: 'ok' }));

    expect(await click(r, 'action.approve', buttonValue(message.post, 'action.approve'), 'U0BOB', message)).toBe(200);
    await r.gitlab.waitForCalls('retry', 1);
    expect(r.gitlab.callsTo('retry').map((c) => c.path)).toEqual([retryPath(502)]);
    await updateOf(r, incident, `[MITIGATING] INC-${incident.id} `);
  });

  describe('when the service has a newer open incident', () => {
    async function twoIncidents() {
      const r = await rig();
      const first = await incidentOf(r, 'HighErrorRate');
      const newer = await incidentOf(r);
      expect(newer.id).not.toBe(first.id);
      expect(await click(r, 'runbook.run', buttonValue(first.post, 'runbook.run'), 'U0ALICE', first)).toBe(200);
      return { r, first, message: await approvalMessage(r, '1') };
    }

    it('links the request to the incident whose button was clicked', async () => {
      const { r, first } = await twoIncidents();
      expect((await storedAction(r, '1')).doc.incidentId).toBe(first.id);
      expect(await incidentTimeline(r, first.id)).toContainEqual(
        expect.objectContaining({
          kind: 'action',
          step: expect.objectContaining({ kind: 'requested', actionId: '1' }),
          rendered: expect.stringContaining('requested ACT-1'),
        }),
      );
    });

    it('posts the approval message in the thread of that incident', async () => {
      const { r, first, message } = await twoIncidents();
      expect(message.post.params.thread_ts).toBe(first.ts);
      expect((await storedAction(r, '1')).doc.threadTs).toBe(first.ts);
    });
  });

  it('whose runbook and action ids are as long as the schema allows reads back on the click, and is not called stale', async () => {
    // 64 characters each: the longest slug the runbook schema accepts.
    const runbookId = `high-error-rate-rollback-${'x'.repeat(39)}`;
    const actionId = `rollback-${'y'.repeat(55)}`;
    expect([runbookId.length, actionId.length]).toEqual([64, 64]);
    const dir = await mkdtemp(join(tmpdir(), 'chatops-long-ids-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    await writeFile(
      join(dir, 'long.yaml'),
      `id: ${runbookId}\ntitle: Long ids\ndescription: Ids at the schema's limit.\nmatch:\n  - label: alertname\n    equals: HighErrorRate\nactions:\n  - id: ${actionId}\n    title: Roll back\n    kind: rollback\n`,
    );
    const r = await rig({ env: { RUNBOOKS_DIR: dir } });
    const incident = await incidentOf(r, 'HighErrorRate');
    const value = buttonValue(incident.post, 'runbook.run');
    expect(JSON.parse(value)).toEqual({ v: 1, incident: incident.id, runbook: runbookId, action: actionId });

    const reply = await clickForReply(r, 'runbook.run', value, 'U0ALICE', incident);
    expect(reply.text).toBe("ACT-1 requested: roll back payment-service; the approval request is in the incident's thread.");
    expect((await storedAction(r, '1')).doc).toMatchObject({ reason: `runbook ${runbookId}`, incidentId: incident.id });
    expect(await audit(r)).toContainEqual(expect.objectContaining({ actor: 'U0ALICE', action: 'runbook.run', incidentId: incident.id, outcome: 'ok' }));
  });

  it('for a runbook that no longer applies is refused with the reason, and requests nothing', async () => {
    const r = await rig();
    const incident = await incidentOf(r, 'HighErrorRate');
    const reply = await clickForReply(
      r,
      'runbook.run',
      JSON.stringify({ v: 1, incident: incident.id, runbook: 'retired-runbook', action: 'rollback' }),
      'U0ALICE',
      incident,
    );
    expect(reply.response_type).toBe('ephemeral');
    expect(reply.text).toBe('Runbook retired-runbook no longer offers "rollback" for this incident.');
    expect(await actionKeys(r)).toEqual([]);
    expect(r.gitlab.calls).toEqual([]);
  });

  it('is refused like /rollback inside the cooldown, and says so to the clicker', async () => {
    const r = await rig();
    const incident = await incidentOf(r, 'HighErrorRate');
    const { id } = await requestRollback(r, 'payment-service');
    const message = await approvalMessage(r, id);
    expect(await click(r, 'action.approve', buttonValue(message.post, 'action.approve'), 'U0BOB', message)).toBe(200);
    await r.gitlab.waitForCalls('retry', 1);

    const reply = await clickForReply(r, 'runbook.run', buttonValue(incident.post, 'runbook.run'), 'U0CAROL', incident);
    expect(reply.response_type).toBe('ephemeral');
    expect(String(reply.text)).toContain(`payment-service was rolled back by ACT-${id} less than 10 minutes ago`);
    expect(await r.bot.redis.get(`${r.bot.prefix}action:seq`)).toBe(id);
  });
});
