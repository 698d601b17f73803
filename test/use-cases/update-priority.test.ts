/**
 * When the update budget is short, a message whose state changed (resolved) is updated
 * before messages whose only change is their alert counts. IncidentPublisher over the
 * memory stores, the real delivery queue and pacing, and the memory twin of the shared
 * budget, on fake timers; a recording chat port stands where Slack would be.
 */
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import type { Incident } from '../../src/incidents/incident.js';
import type { UpdateArgs } from '../../src/slack/chat-api.js';
import { DeliveryQueue } from '../../src/slack/delivery-queue.js';
import { PacedChat, slackBudgetLimits } from '../../src/slack/delivery/paced-chat.js';
import { IncidentPublisher } from '../../src/slack/incident-publisher.js';
import { MemorySlackBudget } from '../../src/store/memory/memory-slack-budget.js';
import { memoryStores } from '../../src/store/memory/index.js';
import { onFakeTimers } from '../support/clock.js';
import { entry, incidentDoc } from '../support/documents.js';
import { RecordingChat } from '../support/recording-chat.js';
import { commitIncident } from '../support/commit-incident.js';

const log = pino({ level: 'silent' });
const settle = onFakeTimers();

/** Ten updates a window: eight for alert counts, two kept for changes of state. */
const PACE = { updatesPerMinute: 10, messageIntervalMs: 1_000 };
const INCIDENTS = 12;

/** Slack's side: every update, with when it arrived. */
class TimedChat extends RecordingChat {
  readonly arrivals: Array<{ at: number; text: string }> = [];

  override async update(args: UpdateArgs): Promise<void> {
    this.arrivals.push({ at: Date.now(), text: args.text });
    await super.update(args);
  }
}

/** The incident with one more alert firing: its counts change, its state does not. */
function withAnotherAlert(incident: Incident): Incident {
  const fingerprint = `${incident.id}-b`;
  const first = Object.values(incident.alerts)[0];
  if (!first) throw new Error('incidentDoc has an alert');
  return { ...incident, alerts: { ...incident.alerts, [fingerprint]: { ...first, fingerprint } } };
}

describe('update priorities', () => {
  it('updates a resolved incident before incidents whose only change is an alert count, when the budget is short', async () => {
    const stores = memoryStores();
    const chat = new TimedChat();
    const budget = new MemorySlackBudget(slackBudgetLimits(PACE));
    const paced = new PacedChat(chat, { budget, ...PACE });
    const publisher = new IncidentPublisher(new DeliveryQueue({ log, minIntervalPerKeyMs: PACE.messageIntervalMs }), paced, stores.incidents, log);
    const ids = Array.from({ length: INCIDENTS }, (_, i) => String(i + 1));

    const opened = new Map<string, Incident>();
    for (const id of ids) {
      opened.set(id, await commitIncident(stores.incidents, incidentDoc({ id, channel: `C0SVC${id}` }), [entry('opened', 'Incident opened')]));
      publisher.incidentChanged(id);
    }
    await settle();
    expect(chat.topLevel()).toHaveLength(INCIDENTS);

    // A storm of counts: more than the budget lets through in a window.
    const counted = new Map<string, Incident>();
    for (const id of ids) {
      const incident = opened.get(id);
      if (!incident) throw new Error(`incident ${id} opened`);
      counted.set(id, await commitIncident(stores.incidents, withAnotherAlert(incident), [entry('alert_firing', '1 alert firing')]));
      publisher.incidentChanged(id);
    }
    await vi.advanceTimersByTimeAsync(2_000);
    const countsShown = chat.arrivals.length;
    expect(countsShown).toBeLessThan(INCIDENTS);

    // Two resolve: one whose counts are shown already, one whose counts still wait for the budget.
    const resolvedAt = Date.now();
    const resolving = ['1', ids.at(-1) ?? ''];
    for (const id of resolving) {
      const incident = counted.get(id);
      if (!incident) throw new Error(`incident ${id} counted`);
      await commitIncident(stores.incidents, { ...incident, state: 'resolved', resolvedAt: new Date().toISOString() }, [
        entry('resolved', 'Resolved by U0BOB', 'U0BOB'),
      ]);
      publisher.incidentChanged(id);
    }
    await settle();

    const later = chat.arrivals.slice(countsShown);
    // Both resolved first, the counts still waiting after them, and every message final in the end.
    const states = later.map((update) => /^\[(\w+)\]/.exec(update.text)?.[1]);
    expect(states).toEqual(['RESOLVED', 'RESOLVED', ...Array(INCIDENTS - countsShown - 1).fill('FIRING')]);
    // Bound: the reserve lets both go within a few seconds, not after the window (61 s) the counts wait for.
    for (const update of later.slice(0, 2)) expect(update.at - resolvedAt).toBeLessThan(5_000);
    for (const id of ids) expect((await stores.incidents.getMessageRef(id))?.version).toBe((await stores.incidents.get(id))?.version);
  });
});
