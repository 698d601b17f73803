/**
 * Durations as people write them, in the environment (REOPEN_WINDOW=30m) and in runbooks
 * (timeout: 1h30m), and as the bot writes them back in messages. One grammar and one
 * spelling, so that every setting takes the same forms.
 */

const UNITS_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type Unit = keyof typeof UNITS_MS;

/** One or more amounts, each with a unit: "250ms", "90s", "1h30m", "7d". */
const DURATION = /^(?:\d+(?:ms|s|m|h|d))+$/;
const PART = /(\d+)(ms|s|m|h|d)/g;

/** For messages that list what the grammar takes. */
export const DURATION_UNITS = 'ms, s, m, h, d';

/** Milliseconds of "250ms", "90s", "30m", "1h30m", "7d"; undefined when malformed or too large. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART)) total += Number(amount) * UNITS_MS[unit as Unit];
  return Number.isSafeInteger(total) ? total : undefined;
}

const LARGE_UNITS = [
  ['day', 86_400],
  ['hour', 3_600],
  ['minute', 60],
  ['second', 1],
] as const;

const plural = (count: number, unit: string) => `${count} ${unit}${count === 1 ? '' : 's'}`;

/**
 * For people: "300 ms", "1.5 seconds", "42 seconds", "10 minutes", "1 hour 30 minutes".
 * Under a minute a tenth of a second still tells something (a timeout, a host's run);
 * above it, the two largest units say enough.
 */
export function formatDuration(ms: number): string {
  if (Math.round(ms) < 1_000) return `${Math.round(ms)} ms`;
  const tenths = Math.round(ms / 100);
  if (tenths < 600) return plural(tenths / 10, 'second');
  const parts: string[] = [];
  let rest = Math.round(ms / 1000);
  for (const [unit, seconds] of LARGE_UNITS) {
    const count = Math.floor(rest / seconds);
    if (count > 0) parts.push(plural(count, unit));
    rest -= count * seconds;
  }
  return parts.slice(0, 2).join(' ');
}
