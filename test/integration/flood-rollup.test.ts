/**
 * A flood of new incidents into one channel, through the bot's real webhook, Redis and
 * delivery, at Slack's own pace (one post per second per channel) against the fake Slack:
 * the channel gets one roll-up that comes to count every incident, critical incidents
 * still get a message of their own, and an incident left to the roll-up is still there for
 * `/incident show`.
 */
import { describe, expect, it } from 'vitest';
import type { SlackCall } from '../support/fake-slack.js';
import { notification, uniqueGroup } from '../support/fixtures.js';
import { rigForFile, slash, topLevelPosts } from '../support/slack-session.js';
import { found } from '../support/wait.js';

const GROUPS = 40;
const THRESHOLD = 5;
const r = rigForFile({ env: { FLOOD_THRESHOLD: String(THRESHOLD), SLACK_MESSAGE_INTERVAL: '1s', SLACK_UPDATES_PER_MINUTE: '50' } });

async function openGroup(severity: string): Promise<string> {
  const group = uniqueGroup();
  const res = await r.bot.postWebhook(notification({ group, alerts: [{ fingerprint: `${group}-a`, severity }] }));
  expect(res.status).toBe(200);
  const { incident } = (await res.json()) as { incident: string };
  return incident;
}

const isRollup = (call: SlackCall) => String(call.params.text).startsWith('Alert flood');

/** The roll-up as it reads now: its last update, else its post. */
function rollupNow(post: SlackCall): string {
  const ts = post.result?.ts;
  const updates = r.slack.callsTo('chat.update').filter((c) => c.params.ts === ts);
  return String((updates.at(-1) ?? post).params.text);
}

describe('an alert flood into one channel', () => {
  it('gets one roll-up that counts every incident; critical ones keep their own message; every one answers /incident show', async () => {
    const ids = await Promise.all(Array.from({ length: GROUPS - 1 }, () => openGroup('warning')));
    const critical = await openGroup('critical');
    const all = [...ids, critical];

    const rollup = await found(() => topLevelPosts(r).find(isRollup), { timeoutMs: 10_000, message: 'no roll-up posted' });
    expect(rollup.params.channel).toBe('C0PAYMENTS');
    // Bound: the roll-up's updates are paced at about one a second (Slack's update tier), so 15 s is ample.
    await found(() => rollupNow(rollup).includes(`${GROUPS} new incidents`), {
      timeoutMs: 15_000,
      message: `the roll-up never counted all ${GROUPS}: it says ${rollupNow(rollup)}`,
    });
    await found(() => topLevelPosts(r).find((c) => String(c.params.text).includes(`INC-${critical} `)), {
      timeoutMs: 10_000,
      message: 'the critical incident got no message of its own',
    });

    const postedIds = new Set(topLevelPosts(r).flatMap((c) => /INC-(\d+) /.exec(String(c.params.text))?.slice(1) ?? []));
    const rolledUp = all.filter((id) => !postedIds.has(id));
    // Beyond the threshold only the critical one goes out alone; a few before the flood was seen may have too.
    expect(rolledUp.length).toBeGreaterThanOrEqual(GROUPS - THRESHOLD - 1);
    expect(topLevelPosts(r).filter(isRollup)).toHaveLength(1);

    const shown = await slash(r, '/incident', `show ${rolledUp[0]}`);
    expect(String(shown.text)).toContain(`*INC-${rolledUp[0]}*`);
  });
});
