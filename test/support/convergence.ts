/**
 * Whether Slack shows what Redis holds, for the fault tests: each incident has exactly one
 * message, which last showed the incident's state in Redis, and its thread holds each
 * thread-worthy timeline entry exactly once, in order. Read from the fake Slack's recorded
 * calls and from Redis with the bot's own store, rendered with the bot's own functions.
 */
import type { Redis } from 'ioredis';
import type { WebhookPayload } from '../../src/alerts/schema.js';
import { renderActionMessage } from '../../src/slack/render/action-message.js';
import { renderActionEntry } from '../../src/slack/render/timeline.js';
import { RedisActionStore } from '../../src/store/redis-action-store.js';
import { threadWorthy } from '../../src/slack/incident-publisher.js';
import { renderIncidentMessage } from '../../src/slack/render/incident-message.js';
import { renderThreadReply } from '../../src/slack/render/thread-reply.js';
import { RedisStore } from '../../src/store/redis-store.js';
import type { FakeSlack, SlackCall } from './fake-slack.js';
import { isPostedDraft, POSTED_DRAFT } from './retro-draft.js';
import { found } from './wait.js';

/** A call Slack carried out (a scripted failure or a 429 has no result). */
export const succeeded = (call: SlackCall): boolean => call.result?.ok === true;

/** The bot's store over `redis` and `prefix`, with the test bot's windows. */
export function storeOf(redis: Redis, prefix: string): RedisStore {
  return new RedisStore(redis, { keyPrefix: prefix, reopenWindowMs: 30 * 60_000, retentionMs: 60 * 60_000 });
}

/** The bot's action store over `redis` and `prefix`. */
export function actionStoreOf(redis: Redis, prefix: string): RedisActionStore {
  return new RedisActionStore(redis, { keyPrefix: prefix, retentionMs: 60 * 60_000 });
}

/** The text each top-level message last showed, by "channel ts". */
function lastShown(slack: FakeSlack): Map<string, string> {
  const shown = new Map<string, string>();
  for (const call of slack.calls.filter(succeeded)) {
    if (call.method === 'chat.update') shown.set(`${String(call.params.channel)} ${String(call.params.ts)}`, String(call.params.text));
    if (call.method === 'chat.postMessage' && call.params.thread_ts === undefined)
      shown.set(`${String(call.result?.channel)} ${String(call.result?.ts)}`, String(call.params.text));
  }
  return shown;
}

/**
 * What is wrong between Slack and Redis for these incidents, one line each; [] when Slack
 * shows what Redis holds. A message that stays stale, a second message for one incident, a
 * thread reply lost or sent twice all show here.
 */
export async function slackBehindRedis(slack: FakeSlack, store: RedisStore, incidentIds: Iterable<string>): Promise<string[]> {
  const shown = lastShown(slack);
  const posts = slack.callsTo('chat.postMessage').filter(succeeded);
  const problems: string[] = [];
  for (const id of incidentIds) {
    const incident = await store.get(id);
    if (!incident) {
      problems.push(`INC-${id}: not in Redis`);
      continue;
    }
    const messages = posts.filter((c) => c.params.thread_ts === undefined && String(c.params.text).includes(`INC-${id} `));
    if (messages.length !== 1) problems.push(`INC-${id}: ${messages.length} messages in Slack`);
    const ref = await store.getMessageRef(id);
    const want = renderIncidentMessage(incident).text;
    const got = ref ? shown.get(`${ref.channel} ${ref.ts}`) : undefined;
    if (got !== want) problems.push(`INC-${id}: Slack shows ${JSON.stringify(got ?? '(no message)')}, Redis says ${JSON.stringify(want)}`);
    if (ref && ref.version !== incident.version) problems.push(`INC-${id}: its reference records version ${ref.version}, Redis holds ${incident.version}`);
    for (const message of messages.filter((m) => String(m.result?.ts) !== ref?.ts)) {
      const stale = shown.get(`${String(message.result?.channel)} ${String(message.result?.ts)}`);
      if (stale !== want) problems.push(`INC-${id}: a second message ${String(message.result?.ts)} shows ${JSON.stringify(stale)}`);
    }
    // A `retro` entry is delivered as the retrospective draft: one post, named here by its first words.
    const expected = (await store.timeline(id)).flatMap((entry) =>
      entry.kind === 'retro' ? [POSTED_DRAFT] : threadWorthy([entry]).map((worthy) => renderThreadReply([worthy], id)),
    );
    const replied = ref
      ? posts
          .filter((c) => c.params.thread_ts === ref.ts && c.params.channel === ref.channel)
          .flatMap((c) => (isPostedDraft(c.params.text) ? [POSTED_DRAFT] : String(c.params.text).split('\n')))
      : [];
    if (replied.join('\n') !== expected.join('\n'))
      problems.push(`INC-${id}: thread has ${JSON.stringify(replied)}, the timeline wants ${JSON.stringify(expected)}, each once`);
  }
  return problems;
}

/**
 * What is wrong between Slack and Redis for one action whose approval message is in its
 * service's channel: one approval message, showing the action's state in Redis, and its
 * thread holding each step after the request once, in order.
 */
export async function actionBehindRedis(slack: FakeSlack, store: RedisActionStore, actionId: string): Promise<string[]> {
  const action = await store.getAction(actionId);
  if (!action) return [`ACT-${actionId}: not in Redis`];
  const problems: string[] = [];
  const posts = slack.callsTo('chat.postMessage').filter(succeeded);
  const messages = posts.filter((c) => new RegExp(`^\\[[A-Z]+\\] ACT-${actionId} `).test(String(c.params.text)));
  if (messages.length !== 1) problems.push(`ACT-${actionId}: ${messages.length} approval messages in Slack`);
  const ref = await store.getActionMessage(actionId);
  const want = renderActionMessage(action).text;
  const got = ref ? lastShown(slack).get(`${ref.channel} ${ref.ts}`) : undefined;
  if (got !== want) problems.push(`ACT-${actionId}: Slack shows ${JSON.stringify(got ?? '(no message)')}, Redis says ${JSON.stringify(want)}`);
  if (ref && ref.version !== action.version) problems.push(`ACT-${actionId}: its reference records version ${ref.version}, Redis holds ${action.version}`);
  const expected = (await store.actionTimeline(actionId)).slice(1).map(renderActionEntry);
  const replied = ref
    ? posts.filter((c) => c.params.thread_ts === ref.ts && c.params.channel === ref.channel).flatMap((c) => String(c.params.text).split('\n'))
    : [];
  if (replied.join('\n') !== expected.join('\n'))
    problems.push(`ACT-${actionId}: thread has ${JSON.stringify(replied)}, the timeline wants ${JSON.stringify(expected)}, each once`);
  return problems;
}

export interface Delivered {
  /** The incident the bot answered with. */
  incident: string;
  /** Answers other than 2xx (or none) before it: each was sent again, as Alertmanager does. */
  refused: number;
}

/** Sends `body` until the bot answers 2xx, as Alertmanager retries a notification. */
export async function sendUntilAccepted(
  post: (body: WebhookPayload) => Promise<Response>,
  body: WebhookPayload,
  opts: { timeoutMs: number; intervalMs?: number; onRefused?: () => void },
): Promise<Delivered> {
  let refused = 0;
  const incident = await found(
    async () => {
      const answer = await post(body).then(
        async (res) => {
          if (res.ok) return (await res.json()) as { incident: string | null };
          await res.body?.cancel();
          return undefined;
        },
        () => undefined,
      );
      if (!answer) {
        refused += 1;
        opts.onRefused?.();
      }
      return answer?.incident ?? undefined;
    },
    { timeoutMs: opts.timeoutMs, intervalMs: opts.intervalMs ?? 100, message: `notification for ${body.groupLabels.alertname} never accepted` },
  );
  return { incident, refused };
}
