/**
 * How often the App Home tab is published (src/slack/views/home-tab.ts): once per person per
 * minimum interval; opens within it publish nothing, clicks within it share one publish at
 * its end, which carries the latest answer.
 */
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { HomeView } from '../../src/slack/render/home-view.js';
import { HomeTab, type HomeSources } from '../../src/slack/views/home-tab.js';

const INTERVAL = 10_000;

const sources: HomeSources = {
  incidents: { listOpen: async () => ({ incidents: [], total: 0 }) },
  messageOf: async () => undefined,
  actionStore: {
    runningActionIds: async () => [],
    awaitingApprovalIds: async () => [],
    getAction: async () => undefined,
    actionTimeline: async () => [],
    killSwitch: async () => undefined,
  },
  actions: { awaitsApprovalOf: async () => false, mayPause: async () => false },
};

function rig() {
  const published: Array<{ userId: string; view: HomeView; at: number }> = [];
  const home = new HomeTab(sources, async (userId, view) => void published.push({ userId, view, at: Date.now() }), pino({ level: 'silent' }), {
    minIntervalMs: INTERVAL,
  });
  const notices = () => published.map((p) => JSON.stringify(p.view.blocks[1]));
  return { home, published, notices };
}

beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2026-11-22T12:00:00Z') });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('HomeTab', () => {
  it('publishes an open at once, drops opens within the interval, and publishes again once it is over', async () => {
    const { home, published } = rig();
    await home.opened('U0BOB');
    await home.opened('U0BOB');
    await home.opened('U0CAROL');
    expect(published.map((p) => p.userId)).toEqual(['U0BOB', 'U0CAROL']);
    await vi.advanceTimersByTimeAsync(INTERVAL);
    await home.opened('U0BOB');
    expect(published.map((p) => p.userId)).toEqual(['U0BOB', 'U0CAROL', 'U0BOB']);
  });

  it('shares one publish among the clicks within the interval, at its end, with the latest answer', async () => {
    const { home, published, notices } = rig();
    await home.opened('U0BOB');
    await vi.advanceTimersByTimeAsync(2_000);
    await home.clicked('U0BOB', 'first answer');
    await home.clicked('U0BOB', 'second answer');
    await home.opened('U0BOB');
    expect(published).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(INTERVAL - 2_000 - 1);
    expect(published).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(published).toHaveLength(2);
    expect(published[1]?.at).toBe((published[0]?.at ?? 0) + INTERVAL);
    expect(notices()[1]).toContain('second answer');
    expect(JSON.stringify(published[1]?.view)).not.toContain('first answer');
  });

  it('publishes a click at once when the interval is over, and nothing after stop', async () => {
    const { home, published, notices } = rig();
    await home.clicked('U0BOB', 'answer');
    expect(notices()).toEqual([expect.stringContaining('answer')]);
    await home.clicked('U0BOB', 'later');
    home.stop();
    await vi.advanceTimersByTimeAsync(INTERVAL * 2);
    expect(published).toHaveLength(1);
  });
});
