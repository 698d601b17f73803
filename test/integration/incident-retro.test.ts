/**
 * The retrospective draft, whole bot: signed slash commands and clicks through Bolt's HTTP
 * receiver, the real Redis, Slack faked by fake-slack.ts (upload flow included) and GitLab by
 * fake-gitlab.ts (deployments for the rollback, issues for the draft). An incident that was
 * acknowledged, rolled back and given a follow-up resolves: its draft is posted once in its
 * thread and filed as one GitLab issue; `/incident retro` posts it again and edits that issue.
 */
import { describe, expect, it } from 'vitest';
import { retroSectionMarkers } from '../../src/gitlab/retro-section.js';
import { approve, waitForState } from '../support/action-messages.js';
import type { SlackCall } from '../support/fake-slack.js';
import { requestRollback, startRig, type Rig } from '../support/rollback.js';
import { isPostedDraft, POSTED_DRAFT } from '../support/retro-draft.js';
import { openIncident, slash, type OpenedIncident } from '../support/slack-session.js';
import { storedAction, storedIncident } from '../support/stored.js';
import { found } from '../support/wait.js';

const RETRO_PROJECT = 'shop/postmortems';

/** ledger files its retrospectives in a project of its own. */
const LEDGER = `  ledger:
    channel: C0LEDGER
    approvers: [U0BOB]
    gitlab:
      project: shop/ledger
      environment: production
      retro_project: shop/ledger-postmortems
`;

async function rig(env: Record<string, string> = {}): Promise<Rig> {
  const r = await startRig({ env, moreServices: LEDGER });
  r.gitlab.addProject(RETRO_PROJECT, []);
  r.gitlab.addProject('shop/ledger-postmortems', []);
  return r;
}

const draftsIn = (r: Rig, on: { ts: string }): SlackCall[] =>
  r.slack.callsTo('chat.postMessage').filter((c) => c.params.thread_ts === on.ts && isPostedDraft(c.params.text));

function drafts(r: Rig, on: { ts: string }, count: number): Promise<SlackCall[]> {
  return found(() => (draftsIn(r, on).length >= count ? draftsIn(r, on) : undefined), {
    timeoutMs: 15_000,
    message: `expected ${count} retrospective draft(s) in the thread, saw ${draftsIn(r, on).length}`,
  });
}

/**
 * Acknowledged by U0ALICE, led by U0CAROL, made a warning, a note, rolled back (requested by
 * U0ALICE, approved by U0BOB, succeeded), one follow-up, resolved by U0BOB. Commands are sent
 * as Slack sends them with escaping on.
 */
async function acknowledgedRolledBackResolved(r: Rig): Promise<OpenedIncident> {
  const incident = await openIncident(r);
  await slash(r, '/incident', `ack INC-${incident.id}`, 'U0ALICE');
  await slash(r, '/incident', `commander INC-${incident.id} <@U0CAROL|carol>`, 'U0ALICE');
  await slash(r, '/incident', `severity INC-${incident.id} warning`, 'U0CAROL');
  await slash(r, '/incident', `note INC-${incident.id} error rate &gt; 5% since the 14:02 deploy`, 'U0CAROL');
  const { id } = await requestRollback(r, 'payment-service error rate doubled');
  await approve(r, id);
  await r.gitlab.waitForCalls('retry', 1);
  const run = await found(async () => (await storedAction(r, id)).doc.run as { id: string } | undefined, { message: `ACT-${id} never ran` });
  r.gitlab.setJobStatus(run.id, 'success');
  await waitForState(r, id, 'succeeded');
  const added = await slash(r, '/incident', `followup INC-${incident.id} add a canary stage &amp; a soak to the payment pipeline`, 'U0DAVE');
  expect(added.text).toContain(`Follow-up added to INC-${incident.id}`);
  await slash(r, '/incident', `resolve INC-${incident.id}`, 'U0BOB');
  return incident;
}

describe('the retrospective draft', () => {
  it('is posted once in the thread on resolve, with its sections in order, and filed as one GitLab issue', async () => {
    const r = await rig({ RETRO_GITLAB_PROJECT: RETRO_PROJECT });
    const incident = await acknowledgedRolledBackResolved(r);
    const [draft] = await drafts(r, incident, 1);
    const text = String(draft?.params.text);
    const order = [
      `${POSTED_DRAFT}INC-${incident.id}`,
      'Filed in GitLab: <',
      '*Service:* payment-service',
      '*Severity:* warning',
      '*Commander:* <@U0CAROL>',
      '*Time to acknowledge:*',
      '*Timeline*',
      'Acknowledged by <@U0ALICE>',
      '<@U0CAROL> leads the incident',
      'set the severity to *warning* (was critical)',
      'Note by <@U0CAROL>',
      'error rate &gt; 5% since the 14:02 deploy',
      'requested ACT-',
      'approved ACT-',
      'Resolved by <@U0BOB>',
      '*Actions*',
      '- Requested by <@U0ALICE>',
      '- Approved by <@U0BOB>',
      '- Result: ACT-',
      '*Follow-ups*',
      '• ☐ add a canary stage &amp; a soak to the payment pipeline (<@U0DAVE>)',
    ];
    const positions = order.map((part) => text.indexOf(part));
    expect(
      positions.every((p) => p >= 0),
      `missing from the draft: ${order.filter((_, i) => positions[i] === -1).join(' | ')}\n${text}`,
    ).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    // Slack's mrkdwn would show Markdown's bold and headings as typed.
    expect(text).not.toMatch(/\*\*|^#/m);

    const [create] = r.gitlab.callsTo('createIssue');
    expect(create).toMatchObject({ project: RETRO_PROJECT, body: { labels: 'postmortem' } });
    expect(create?.body).toMatchObject({
      title: expect.stringMatching(new RegExp(`^INC-${incident.id}: `)),
      description: expect.stringContaining('- [ ] add a canary stage &amp; a soak to the payment pipeline'),
    });
    expect(create?.body).toMatchObject({
      description: expect.stringMatching(/^<!-- .* -->\n# Retrospective draft: INC-\d+ .*\n[\s\S]*\*\*Service:\*\* payment-service[\s\S]*\n## Follow-ups\n/),
    });
    // The bot's section names this deployment's incident, not only INC-n, which a Redis reset or another deployment reuses.
    const { openedAt } = (await storedIncident(r, incident.id)).doc;
    const { begin, end } = retroSectionMarkers(`${r.bot.prefix}/${incident.id}/${String(openedAt)}`);
    const description = String((create?.body as { description?: unknown } | undefined)?.description);
    expect(description.startsWith(`${begin}\n`) && description.endsWith(`\n${end}`), description).toBe(true);
    expect(draftsIn(r, incident)).toHaveLength(1);
    expect(r.gitlab.callsTo('createIssue')).toHaveLength(1);
  });

  it('is posted again by /incident retro, with a new follow-up, and updates the same GitLab issue', async () => {
    const r = await rig({ RETRO_GITLAB_PROJECT: RETRO_PROJECT });
    const incident = await acknowledgedRolledBackResolved(r);
    await drafts(r, incident, 1);
    const issue = r.gitlab.issues.get(RETRO_PROJECT)?.[0];
    expect(issue).toBeDefined();

    await slash(r, '/incident', `followup INC-${incident.id} alert on queue depth`, 'U0ALICE');
    // The iid kept in Redis finds the issue: a search (whose index may lag) is not what a regenerate relies on.
    r.gitlab.script('issues', { status: 200, body: [] });
    const searches = r.gitlab.callsTo('issues').length;
    const reply = await slash(r, '/incident', `retro INC-${incident.id}`, 'U0ALICE');
    expect(reply.text).toContain('on its way');
    const [first, second] = await drafts(r, incident, 2);
    expect(String(first?.params.text)).not.toContain('alert on queue depth');
    expect(String(second?.params.text)).toContain('• ☐ alert on queue depth (<@U0ALICE>)');
    expect(String(second?.params.text)).toContain(`${RETRO_PROJECT}#${issue?.iid}`);

    const [edit] = await r.gitlab.waitForCalls('editIssue', 1);
    expect(edit?.path).toBe(`/api/v4/projects/shop%2Fpostmortems/issues/${issue?.iid}`);
    expect(r.gitlab.callsTo('createIssue')).toHaveLength(1);
    expect(r.gitlab.callsTo('issues')).toHaveLength(searches);
    expect(r.gitlab.issues.get(RETRO_PROJECT)).toHaveLength(1);
    expect(issue?.description).toContain('- [ ] alert on queue depth');
    expect(issue?.description).toContain('- [ ] add a canary stage &amp; a soak to the payment pipeline');
  });

  it('adopts the issue a create made although GitLab answered 500, rather than filing a second one', async () => {
    const r = await rig({ RETRO_GITLAB_PROJECT: RETRO_PROJECT });
    r.gitlab.script('createIssue', { status: 500, body: { message: '500 Internal Server Error' }, afterEffect: true });
    const incident = await openIncident(r);
    await slash(r, '/incident', `resolve INC-${incident.id}`, 'U0BOB');
    const [draft] = await drafts(r, incident, 1);
    expect(r.gitlab.callsTo('createIssue')).toHaveLength(1);
    expect(r.gitlab.issues.get(RETRO_PROJECT)).toHaveLength(1);
    expect(String(draft?.params.text)).toContain(`${RETRO_PROJECT}#1`);
  });

  it("is filed in the service's own gitlab.retro_project rather than RETRO_GITLAB_PROJECT", async () => {
    const r = await rig({ RETRO_GITLAB_PROJECT: RETRO_PROJECT });
    const incident = await openIncident(r, { service: 'ledger' });
    await slash(r, '/incident', `resolve INC-${incident.id}`, 'U0BOB');
    const [draft] = await drafts(r, incident, 1);
    expect(String(draft?.params.text)).toContain('shop/ledger-postmortems#1');
    expect(r.gitlab.callsTo('createIssue').map((c) => c.project)).toEqual(['shop/ledger-postmortems']);
  });

  it('is uploaded into the thread as a Markdown file when longer than a message shows', async () => {
    const r = await rig();
    const incident = await openIncident(r);
    const long = 'x'.repeat(400);
    for (let i = 0; i < 12; i += 1) await slash(r, '/incident', `followup INC-${incident.id} step ${i} ${long}`, 'U0ALICE');
    await slash(r, '/incident', `resolve INC-${incident.id}`, 'U0BOB');
    const file = await found(() => r.slack.uploads.find((u) => u.thread_ts === incident.ts && u.filename.endsWith('.md')), {
      timeoutMs: 15_000,
      message: 'no retrospective file uploaded into the thread',
    });
    expect(file).toMatchObject({ channel_id: incident.channel, filename: `retrospective-inc-${incident.id}.md` });
    expect(file.initial_comment).toContain(`Retrospective draft of INC-${incident.id}`);
    const text = file.bytes.toString('utf8');
    expect(text).toMatch(/^# Retrospective draft: INC-\d+ [\s\S]*\n## Follow-ups\n[\s\S]*\n- \[ \] step 11 /);
    // Slack shows a file's text as it is: people and links are written in Markdown, not Slack's markup.
    expect(text).toContain('`@U0ALICE`');
    expect(text).not.toMatch(/<@U|<https?:/);
    expect(draftsIn(r, incident)).toHaveLength(0);
    // Without RETRO_GITLAB_PROJECT or gitlab.retro_project nothing is filed.
    expect(r.gitlab.callsTo('createIssue')).toHaveLength(0);
  });
});
