import { afterEach, beforeEach, vi } from 'vitest';

/** A clock a test moves by hand, for the memory stores and the services that read the time. */
export interface ManualClock {
  now(): number;
  date(): Date;
  advance(ms: number): void;
}

export function manualClock(start = '2026-11-22T10:00:00.000Z'): ManualClock {
  let now = Date.parse(start);
  return {
    now: () => now,
    date: () => new Date(now),
    advance: (ms) => {
      now += ms;
    },
  };
}

/**
 * Puts the test file on fake timers (each test starts and ends with them) and returns
 * `settle`, which runs every queued timer, retries included, on the fake clock.
 */
export function onFakeTimers(): () => Promise<unknown> {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  return () => vi.runAllTimersAsync();
}
