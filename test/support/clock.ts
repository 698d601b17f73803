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
