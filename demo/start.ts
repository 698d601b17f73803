/**
 * The whole demo in one process: the real bot (startApp, the same listeners, its keys in
 * Redis under the demo's prefix) between a Slack stand-in that is also a web page and a
 * GitLab stand-in whose jobs finish. Nothing leaves this machine.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { DestinationStream } from 'pino';
import { startApp, type RunningApp } from '../src/app.js';
import { notificationOf, SCENARIOS, type SampleGroup } from './alerts/scenarios.js';
import { DemoGitlab } from './gitlab.js';
import { clearPrefix } from './redis.js';
import { Interactions } from './slack/interactions.js';
import { DemoSlack } from './slack/server.js';
import { Workspace } from './slack/workspace.js';

export const DEMO_KEY_PREFIX = 'demo:';

export interface DemoOptions {
  redisUrl: string;
  /** The page's port; 0 for any free one. */
  port: number;
  /** Where the bot's Redis keys go; everything under it is deleted first. */
  keyPrefix?: string;
  logLevel?: string;
  logDestination?: DestinationStream;
  /** Called when the bot calls a Web API method the demo Slack does not answer; logged by default. */
  onUnknownMethod?: (method: string) => void;
}

export interface RunningDemo {
  /** The page to open. */
  url: string;
  bot: RunningApp;
  slack: DemoSlack;
  workspace: Workspace;
  gitlab: DemoGitlab;
  stop(): Promise<void>;
}

export const DEMO_USERS = [
  { id: 'U0ALICE', name: 'alice' },
  { id: 'U0BOB', name: 'bob' },
];

const DEMO_CHANNELS = [
  { id: 'C0INCIDENTS', name: 'incidents' },
  { id: 'C0PAYMENTS', name: 'payments' },
  { id: 'C0CHECKOUT', name: 'checkout' },
];

/** Newest first; the newest deployment of each is the bad one a rollback leaves. */
const DEMO_PROJECTS = [
  {
    path: 'shop/payment-service',
    environment: 'production',
    shas: ['c0ffee1d2e3f405162738495a6b7c8d9e0f1a2b3', 'b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f80', 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678'],
  },
  { path: 'shop/checkout', environment: 'production', shas: ['d00dfeed11223344556677889900aabbccddeeff', '5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed'] },
];

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

export async function startDemo(options: DemoOptions): Promise<RunningDemo> {
  const keyPrefix = options.keyPrefix ?? DEMO_KEY_PREFIX;
  const signingSecret = randomBytes(16).toString('hex');
  const alertmanagerToken = randomBytes(16).toString('hex');
  const workspace = new Workspace(
    DEMO_USERS,
    DEMO_CHANNELS.map((c) => ({ ...c })),
  );
  workspace.groups.set(
    'S0ONCALL',
    DEMO_USERS.map((u) => u.id),
  );
  let bot: RunningApp | undefined;
  const botUrl = () => `http://127.0.0.1:${bot?.port ?? 0}`;
  let interactions: Interactions | undefined;
  const slack = await DemoSlack.start(workspace, () => interactions as Interactions, {
    port: options.port,
    onUnknownMethod:
      options.onUnknownMethod ??
      ((method) => process.stderr.write(`The bot called ${method}, which the demo Slack does not answer: teach it in demo/slack/workspace.ts.\n`)),
  });
  interactions = new Interactions(workspace, { signingSecret, botUrl, ownUrl: () => slack.url });
  const gitlab = await DemoGitlab.start(DEMO_PROJECTS, () => slack.notify());

  await clearPrefix(options.redisUrl, keyPrefix);
  bot = await startApp(
    {
      SLACK_BOT_TOKEN: `xoxb-demo-${randomBytes(6).toString('hex')}`,
      SLACK_SIGNING_SECRET: signingSecret,
      SLACK_API_URL: slack.apiUrl,
      PORT: '0',
      REDIS_URL: options.redisUrl,
      REDIS_KEY_PREFIX: keyPrefix,
      ALERTMANAGER_TOKEN: alertmanagerToken,
      INCIDENT_CHANNEL: 'C0INCIDENTS',
      SERVICES_FILE: here('./services.yaml'),
      RUNBOOKS_DIR: here('./runbooks'),
      GITLAB_URL: gitlab.url,
      GITLAB_TOKEN: 'demo-gitlab-token',
      // Warnings of a bot set up for a real workspace (no SSH key, say) mean nothing in the demo.
      LOG_LEVEL: options.logLevel ?? 'error',
      // The stand-ins have no rate limits and answer at once: no need to keep Slack's pace or poll slowly.
      SLACK_MESSAGE_INTERVAL: '100ms',
      SLACK_UPDATES_PER_MINUTE: '600',
      GITLAB_POLL_INTERVAL: '1s',
      SWEEP_INTERVAL: '1s',
    },
    options.logDestination ? { logDestination: options.logDestination } : {},
  );

  const fired = new Map<string, { group: SampleGroup; startsAt: string }>();
  const post = async (body: Record<string, unknown>) => {
    const res = await fetch(`${botUrl()}/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${alertmanagerToken}`, 'user-agent': 'Alertmanager/0.25.0' },
      body: JSON.stringify(body),
    });
    await res.body?.cancel();
    return res.status;
  };
  slack.hooks = {
    extraState: () => ({
      scenarios: [...Object.entries(SCENARIOS).map(([name, s]) => ({ name, title: s.title })), { name: 'resolve', title: 'Resolve every alert fired' }],
      gitlab: { url: gitlab.url, runs: gitlab.started() },
    }),
    fire: async (name) => {
      const statuses: number[] = [];
      if (name === 'resolve') {
        for (const { group, startsAt } of fired.values()) statuses.push(await post(notificationOf(group, 'resolved', startsAt)));
        fired.clear();
      } else {
        const scenario = SCENARIOS[name as keyof typeof SCENARIOS];
        if (!scenario) return `no scenario ${name}`;
        for (const group of scenario.groups) {
          const key = JSON.stringify(group.by);
          const startsAt = fired.get(key)?.startsAt ?? new Date().toISOString();
          fired.set(key, { group, startsAt });
          statuses.push(await post(notificationOf(group, 'firing', startsAt)));
        }
      }
      const failed = statuses.filter((s) => s !== 200).length;
      return failed === 0 ? `${statuses.length} notification(s) sent` : `${failed} of ${statuses.length} notification(s) refused; see the terminal`;
    },
  };

  const running = bot;
  return {
    url: slack.url,
    bot: running,
    slack,
    workspace,
    gitlab,
    stop: async () => {
      await running.stop();
      await slack.close();
      await gitlab.close();
    },
  };
}
