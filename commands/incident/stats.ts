import { z } from 'zod';
import { parseDuration } from '../../src/config/duration.js';
import { STATS_INDEX_MS } from '../../src/incidents/store.js';
import { parseAlternatives, verb } from './verb.js';

const HOUR_MS = 3_600_000;
/** As far back as the stores index incidents and actions by time. */
const STATS_WINDOW_MAX_MS = STATS_INDEX_MS;
const STATS_WINDOW_DEFAULT_MS = 7 * 24 * HOUR_MS;

const StatsWindow = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined || ms < HOUR_MS || ms > STATS_WINDOW_MAX_MS) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a window from 1h to 90d, such as 7d` });
    return z.NEVER;
  }
  return ms;
});

const Words = z.union([z.tuple([]), z.tuple([StatsWindow])]);

export const stats = verb({
  name: 'stats',
  parse: (words) => parseAlternatives(Words, words, '`stats` takes an optional window, such as `stats 30d`'),
  run: async ([windowMs = STATS_WINDOW_DEFAULT_MS], _ctx, { stats: source }) => {
    if (!source) return { kind: 'text', text: 'Incident numbers are not available on this bot.' };
    return { kind: 'incident_stats', stats: await source.last(windowMs) };
  },
});
