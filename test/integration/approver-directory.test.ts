import { pino } from 'pino';
import { afterAll, beforeAll, afterEach, describe, expect, it } from 'vitest';
import { SlackApproverDirectory } from '../../src/slack/approver-directory.js';
import { FakeSlack } from '../support/fake-slack.js';

let slack: FakeSlack;
beforeAll(async () => {
  slack = await FakeSlack.start();
});
afterAll(async () => {
  await slack?.close();
});
afterEach(() => slack.reset());

const directory = () => new SlackApproverDirectory('xoxb-test', slack.apiUrl, pino({ level: 'silent' }));

describe('SlackApproverDirectory', () => {
  it('accepts listed users, and members of listed user groups, asking Slack once per group while cached', async () => {
    slack.script('usergroups.users.list', { status: 200, body: { ok: true, users: ['U0DAVE', 'U0ERIN'] } });
    const approvers = directory();
    expect(await approvers.isApprover('U0ALICE', ['U0ALICE', 'S0SRE'])).toBe(true);
    expect(await approvers.isApprover('U0DAVE', ['U0ALICE', 'S0SRE'])).toBe(true);
    expect(await approvers.isApprover('U0ERIN', ['U0ALICE', 'S0SRE'])).toBe(true);
    expect(await approvers.isApprover('U0MALLORY', ['U0ALICE', 'S0SRE'])).toBe(false);
    expect(slack.callsTo('usergroups.users.list').map((c) => c.params.usergroup)).toEqual(['S0SRE']);
  });

  it('fails closed when Slack cannot list a group, and asks again next time', async () => {
    slack.script('usergroups.users.list', { status: 200, body: { ok: false, error: 'no_such_subteam' } });
    const approvers = directory();
    expect(await approvers.isApprover('U0DAVE', ['S0GONE'])).toBe(false);
    slack.script('usergroups.users.list', { status: 200, body: { ok: true, users: ['U0DAVE'] } });
    expect(await approvers.isApprover('U0DAVE', ['S0GONE'])).toBe(true);
  });

  it('remembers at most 100 groups, however many approver lists name', async () => {
    const groups = Array.from({ length: 150 }, (_, i) => `S0GROUP${i}`);
    slack.script('usergroups.users.list', { status: 200, body: { ok: true, users: ['U0DAVE'] } }, groups.length);
    const approvers = directory();
    for (const group of groups) expect(await approvers.isApprover('U0DAVE', [group])).toBe(true);
    expect(approvers.cachedGroups).toBe(100);
  });
});
