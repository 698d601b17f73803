/**
 * Silences as incident decisions. Pure: each returns the incident after it and the facts to
 * record, or undefined when the incident already shows it.
 */
import type { FactEntry, Incident, IncidentSilence, Outcome } from './incident.js';
import { retroDue } from './retro.js';

/** The choices of the Silence menu; "until resolved" is a long silence the bot expires when the incident resolves. */
export const SILENCE_CHOICES = ['1h', '4h', '24h', 'until_resolved'] as const;
export type SilenceChoice = (typeof SILENCE_CHOICES)[number];

const HOUR_MS = 3_600_000;
/** Long enough to outlast any incident; short enough that a silence the bot failed to expire does not mute the group for good. */
export const UNTIL_RESOLVED_MS = 7 * 24 * HOUR_MS;

const CHOICE_MS: Record<SilenceChoice, number> = { '1h': HOUR_MS, '4h': 4 * HOUR_MS, '24h': 24 * HOUR_MS, until_resolved: UNTIL_RESOLVED_MS };

/** A silence's length: one of the menu's choices, or a span typed in `/incident silence`. */
export type SilenceLength = SilenceChoice | { ms: number };

export function silenceEnd(length: SilenceLength, now: Date): Date {
  return new Date(now.getTime() + (typeof length === 'string' ? CHOICE_MS[length] : length.ms));
}

export function isSilenceChoice(text: string): text is SilenceChoice {
  return (SILENCE_CHOICES as readonly string[]).includes(text);
}

/** The incident now shows `silence` (made by a person, or found in Alertmanager). */
export function showSilence(current: Incident, silence: IncidentSilence, now: Date): Outcome | undefined {
  if (current.silence?.id === silence.id && current.silence.endsAt === silence.endsAt) return undefined;
  const at = now.toISOString();
  const entries: FactEntry[] = [];
  if (current.silence && current.silence.id !== silence.id)
    entries.push({ at, actor: silence.by, kind: 'silence', verb: 'unsilenced', silenceId: current.silence.id });
  entries.push({
    at,
    actor: silence.by,
    kind: 'silence',
    verb: 'silenced',
    silenceId: silence.id,
    endsAt: silence.endsAt,
    untilResolved: silence.untilResolved,
  });
  return { incident: { ...current, silence, updatedAt: at }, entries, changed: true };
}

/** The incident's silence ended: expired by `actor`, run out, or expired in Alertmanager. */
export function clearSilence(current: Incident, actor: string, now: Date): Outcome | undefined {
  if (!current.silence) return undefined;
  const at = now.toISOString();
  const { silence, ...rest } = current;
  return { incident: { ...rest, updatedAt: at }, entries: [{ at, actor, kind: 'silence', verb: 'unsilenced', silenceId: silence.id }], changed: true };
}

/** Alertmanager holds no firing alert of the silenced group: it sends no resolved notification for those, so the poll resolves it. */
export function resolveSilenced(current: Incident, actor: string, now: Date): Outcome | undefined {
  if (current.state === 'resolved' || !current.silence) return undefined;
  const at = now.toISOString();
  const alerts = Object.fromEntries(
    Object.entries(current.alerts).map(([k, a]) => [k, a.status === 'firing' ? { ...a, status: 'resolved' as const, endsAt: at } : a]),
  );
  const incident: Incident = {
    ...current,
    alerts,
    state: 'resolved',
    resolvedAt: at,
    resolvedBy: actor,
    firstResolvedAt: current.firstResolvedAt ?? at,
    updatedAt: at,
  };
  return { incident, entries: [{ at, actor, kind: 'resolved', whileSilenced: true }, ...retroDue(current, at)], changed: true };
}
