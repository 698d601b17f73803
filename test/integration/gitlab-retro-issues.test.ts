/**
 * The retrospective's GitLab issue against the fake GitLab's issue endpoints: made once with
 * the `postmortem` label, edited by iid afterwards, adopted when a create GitLab did not
 * confirm turns out to have made it, and never made again blindly after an ambiguous answer.
 * Only an issue carrying the incident's hidden comment is adopted, and an edit keeps what
 * people wrote around the bot's section.
 */
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGitlabApi, GitlabUnavailableError } from '../../src/gitlab/client.js';
import { GitlabRetroIssues } from '../../src/gitlab/retro-issues.js';
import { retroSectionMarkers, withRetroSection } from '../../src/gitlab/retro-section.js';
import { FakeGitlab } from '../support/fake-gitlab.js';

const PROJECT = 'shop/postmortems';
const ONE_TRY = { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 };
let gitlab: FakeGitlab;
let issues: GitlabRetroIssues;

beforeEach(async () => {
  gitlab = await FakeGitlab.start();
  gitlab.addProject(PROJECT, []);
  issues = new GitlabRetroIssues(createGitlabApi({ url: gitlab.url, token: 'x' }), pino({ level: 'silent' }), ONE_TRY);
});

afterEach(async () => {
  await gitlab.close();
});

const KEY = 'chatops:/4/2026-11-22T09:58:00.000Z';
const content = (description: string) => ({ marker: 'INC-4', key: KEY, title: 'INC-4: retrospective of HighErrorRate', description });
const { begin, end } = retroSectionMarkers(KEY);

describe('the retrospective issue', () => {
  it('is made once with the postmortem label, then edited by its iid', async () => {
    // An issue of another incident whose id starts the same is not taken for this one's.
    gitlab.issues.set(PROJECT, []);
    const other = await issues.file(
      PROJECT,
      { ...content('other'), marker: 'INC-42', key: 'chatops:/42/2026-11-22T09:58:00.000Z', title: 'INC-42: retrospective of X' },
      undefined,
    );
    const made = await issues.file(PROJECT, content('- [ ] first'), undefined);
    expect(made).toEqual({ project: PROJECT, iid: other.iid + 1, url: `${gitlab.url}/${PROJECT}/-/issues/${other.iid + 1}` });
    expect(gitlab.callsTo('createIssue').at(-1)?.body).toMatchObject({ title: 'INC-4: retrospective of HighErrorRate', labels: 'postmortem' });

    const edited = await issues.file(PROJECT, content('- [ ] first\n- [ ] second'), made.iid);
    expect(edited).toEqual(made);
    expect(gitlab.callsTo('createIssue')).toHaveLength(2);
    expect(gitlab.issues.get(PROJECT)?.[1]?.description).toBe(`${begin}\n- [ ] first\n- [ ] second\n${end}`);
  });

  it('is not taken from another deployment, or from before a Redis reset, for its title alone', async () => {
    // Same title, same project: another deployment's INC-4 (another key prefix), and this one's INC-4 of before a reset.
    const foreign = withRetroSection(undefined, 'staging:/4/2026-11-22T09:58:00.000Z', 'their draft');
    const older = withRetroSection(undefined, 'chatops:/4/2026-01-01T00:00:00.000Z', 'old draft');
    const someoneElse = createGitlabApi({ url: gitlab.url, token: 'y' });
    for (const description of [foreign, older])
      await someoneElse.Issues.create(PROJECT, 'INC-4: retrospective of HighErrorRate', { description, labels: 'postmortem' });

    const made = await issues.file(PROJECT, content('new draft'), undefined);
    expect(made.iid).toBe(3);
    expect(gitlab.issues.get(PROJECT)?.map((i) => i.description)).toEqual([foreign, older, `${begin}\nnew draft\n${end}`]);
    expect(gitlab.callsTo('editIssue')).toHaveLength(0);
  });

  it("on a regenerate, keeps what people wrote around the bot's section", async () => {
    const made = await issues.file(PROJECT, content('- [ ] first'), undefined);
    const issue = gitlab.issues.get(PROJECT)?.[0];
    if (!issue) throw new Error('no issue made');
    issue.description = `Root cause: the cache.\n\n${issue.description}\n\nDiscussed on Monday.`;

    await issues.file(PROJECT, content('- [ ] first\n- [ ] second'), made.iid);
    expect(issue.description).toBe(`Root cause: the cache.\n\n${begin}\n- [ ] first\n- [ ] second\n${end}\n\nDiscussed on Monday.`);
    // Found again by its comment too, when the iid was not kept.
    await issues.file(PROJECT, content('third'), undefined);
    expect(issue.description).toBe(`Root cause: the cache.\n\n${begin}\nthird\n${end}\n\nDiscussed on Monday.`);
    expect(gitlab.issues.get(PROJECT)).toHaveLength(1);
  });

  it('after a 500 that made nothing, is not created again until a later try has looked', async () => {
    gitlab.script('createIssue', { status: 500, body: { message: '500 Internal Server Error' } });
    await expect(issues.file(PROJECT, content('draft'), undefined)).rejects.toBeInstanceOf(GitlabUnavailableError);
    expect(gitlab.callsTo('createIssue')).toHaveLength(1);
    expect(gitlab.callsTo('issues')).toHaveLength(2);

    const made = await issues.file(PROJECT, content('draft'), undefined);
    expect(made.iid).toBe(1);
    expect(gitlab.callsTo('createIssue')).toHaveLength(2);
    expect(gitlab.issues.get(PROJECT)).toHaveLength(1);
  });

  it('adopts the issue a dropped create made', async () => {
    gitlab.script('createIssue', { drop: true, afterEffect: true });
    const made = await issues.file(PROJECT, content('draft'), undefined);
    expect(made.iid).toBe(1);
    expect(gitlab.callsTo('createIssue')).toHaveLength(1);
    expect(gitlab.callsTo('editIssue')).toHaveLength(1);
    expect(gitlab.issues.get(PROJECT)).toHaveLength(1);
  });
});
