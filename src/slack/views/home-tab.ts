/**
 * Publishes a person's App Home tab: gathers the facts, renders them (render/home-view.ts)
 * and sends the view, never more often than once per person per minimum interval.
 *
 * views.publish is Tier 4 (100+ a minute for the workspace). A person who opens the tab
 * again within the interval already sees a view that recent, so that open publishes
 * nothing; a click on the tab must show its outcome, so it is published at the interval's
 * end, and every click until then shares that one publish. The interval is kept per
 * replica: a few replicas multiply it by their number at most.
 */
import type { Logger } from 'pino';
import { isExpired, type Action } from '../../actions/action.js';
import type { ActionService } from '../../actions/service.js';
import type { ActionStore } from '../../actions/store.js';
import type { IncidentService } from '../../incidents/service.js';
import type { SlackMessageRef } from '../../incidents/store.js';
import { HOME_LIMITS, renderHomeView, type HomeFacts, type HomeView } from '../render/home-view.js';

/** At most one views.publish per person this often (see the module comment). */
export const HOME_MIN_INTERVAL_MS = 10_000;
/** Past this many people remembered, those whose interval is over are forgotten. */
const REMEMBERED_TABS = 1_000;

export interface HomeSources {
  incidents: Pick<IncidentService, 'listOpen'>;
  messageOf(incidentId: string): Promise<SlackMessageRef | undefined>;
  actionStore: Pick<ActionStore, 'runningActionIds' | 'awaitingApprovalIds' | 'getAction' | 'actionTimeline' | 'killSwitch'>;
  actions: Pick<ActionService, 'awaitsApprovalOf' | 'mayPause'>;
}

export type PublishView = (userId: string, view: HomeView) => Promise<void>;

interface Tab {
  /** When the last publish started (ms). */
  lastAt?: number;
  running?: Promise<void>;
  /** A publish waiting for the interval's end. */
  timer?: NodeJS.Timeout;
  notice?: string;
}

export interface HomeTabOptions {
  minIntervalMs?: number;
  now?: () => number;
}

export class HomeTab {
  private readonly tabs = new Map<string, Tab>();
  private readonly minIntervalMs: number;
  private readonly now: () => number;
  private stopped = false;

  constructor(
    private readonly sources: HomeSources,
    private readonly publish: PublishView,
    private readonly log: Logger,
    options: HomeTabOptions = {},
  ) {
    this.minIntervalMs = options.minIntervalMs ?? HOME_MIN_INTERVAL_MS;
    this.now = options.now ?? Date.now;
  }

  /** The person opened the tab: published unless a view this recent is shown or on its way. */
  opened(userId: string): Promise<void> {
    const tab = this.tab(userId);
    if (tab.running) return tab.running;
    if (tab.timer || (tab.lastAt !== undefined && this.now() - tab.lastAt < this.minIntervalMs)) return Promise.resolve();
    return this.publishNow(userId, tab);
  }

  /** The person clicked on the tab: it is published again with the bot's answer, at the interval's end if need be. */
  clicked(userId: string, notice: string | undefined): Promise<void> {
    const tab = this.tab(userId);
    tab.notice = notice;
    if (tab.timer) return Promise.resolve();
    const wait = tab.lastAt === undefined ? 0 : tab.lastAt + this.minIntervalMs - this.now();
    if (!tab.running && wait <= 0) return this.publishNow(userId, tab);
    tab.timer = setTimeout(
      () => {
        tab.timer = undefined;
        if (!this.stopped) void this.publishNow(userId, tab);
      },
      Math.max(wait, 0),
    );
    return Promise.resolve();
  }

  /** Drops the publishes waiting for their interval: the next open shows the state anyway. */
  stop(): void {
    this.stopped = true;
    for (const tab of this.tabs.values()) clearTimeout(tab.timer);
  }

  /** The facts of one person's tab, as the render needs them. */
  async facts(userId: string): Promise<HomeFacts> {
    const { incidents, messageOf, actionStore, actions } = this.sources;
    const [open, runningIds, awaitingIds, killSwitch, mayPause] = await Promise.all([
      incidents.listOpen(HOME_LIMITS.incidents),
      actionStore.runningActionIds(),
      actionStore.awaitingApprovalIds(),
      actionStore.killSwitch(),
      actions.mayPause(userId),
    ]);
    const now = new Date(this.now());
    const present = (list: (Action | undefined)[]) => list.filter((a): a is Action => a !== undefined);
    const awaiting = present(await Promise.all(awaitingIds.map((id) => actionStore.getAction(id)))).filter((a) => !isExpired(a, now));
    const mine = await Promise.all(awaiting.map(async (a) => ((await actions.awaitsApprovalOf(a, userId)) ? a : undefined)));
    const running = present(await Promise.all(runningIds.map((id) => actionStore.getAction(id))));
    return {
      userId,
      incidents: await Promise.all(
        open.incidents.map(async (incident) => {
          const ref = await messageOf(incident.id);
          return ref ? { incident, message: { channel: ref.channel, ts: ref.ts } } : { incident };
        }),
      ),
      totalIncidents: open.total,
      running: await Promise.all(running.map(async (action) => ({ action, step: (await actionStore.actionTimeline(action.id)).at(-1) }))),
      approvals: present(mine).sort((a, b) => Date.parse(a.requestedAt) - Date.parse(b.requestedAt)),
      killSwitch,
      mayPause,
    };
  }

  private publishNow(userId: string, tab: Tab): Promise<void> {
    tab.lastAt = this.now();
    const notice = tab.notice;
    tab.notice = undefined;
    const run = (async () => {
      const facts = await this.facts(userId);
      await this.publish(userId, renderHomeView(notice ? { ...facts, notice } : facts, new Date(this.now())));
    })()
      .catch((error: unknown) => this.log.error({ err: error, user: userId }, 'home tab not published'))
      .finally(() => {
        tab.running = undefined;
      });
    tab.running = run;
    return run;
  }

  private tab(userId: string): Tab {
    if (this.tabs.size > REMEMBERED_TABS) {
      const now = this.now();
      for (const [id, t] of this.tabs) {
        if (!t.running && !t.timer && (t.lastAt === undefined || now - t.lastAt >= this.minIntervalMs)) this.tabs.delete(id);
      }
    }
    let tab = this.tabs.get(userId);
    if (!tab) {
      tab = {};
      this.tabs.set(userId, tab);
    }
    return tab;
  }
}
