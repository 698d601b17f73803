/** Durations in YAML files (runbooks, services.yaml): kept as written, so that messages quote them as the author wrote them. */
import { z } from 'zod';
import { DURATION_UNITS, parseDuration } from './duration.js';

/** Milliseconds of a duration the schema accepted, such as "30s", "5m" or "1h30m"; throws on anything else. */
export function durationMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new RangeError(`not a duration: ${JSON.stringify(text)} (expected e.g. "30s", "5m", "1h30m")`);
  return ms;
}

/** A duration string, kept as written; `durationMs` converts it. */
export function Duration(bounds: { min: number; max: number; minText: string; maxText: string }) {
  return z.string({ error: 'expected a duration such as "30s", "5m" or "1h30m"' }).superRefine((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected a duration such as "30s", "5m" or "1h30m" (units: ${DURATION_UNITS})` });
      return;
    }
    if (ms < bounds.min || ms > bounds.max) ctx.addIssue({ code: 'custom', message: `expected a duration from ${bounds.minText} to ${bounds.maxText}` });
  });
}
