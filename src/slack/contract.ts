import { z } from 'zod';

/**
 * Button action_ids and value shapes are a public contract: messages stay in Slack for
 * years and their buttons stay clickable. Never reuse an id with another meaning; add a
 * new one (or a new value version) instead, and keep answering the old ones.
 */
export const ACTION_IDS = {
  incidentAck: 'incident.ack',
  incidentResolve: 'incident.resolve',
} as const;

export const KNOWN_ACTION_IDS: ReadonlySet<string> = new Set(Object.values(ACTION_IDS));

export const IncidentButtonValue = z.object({ v: z.literal(1), incident: z.string().regex(/^\d+$/) });
export type IncidentButtonValue = z.output<typeof IncidentButtonValue>;

export function incidentButtonValue(incidentId: string): string {
  return JSON.stringify({ v: 1, incident: incidentId } satisfies IncidentButtonValue);
}

/** The incident a button points at, or undefined for a value this version does not know. */
export function parseIncidentButtonValue(value: string | undefined): IncidentButtonValue | undefined {
  if (!value) return undefined;
  try {
    const parsed = IncidentButtonValue.safeParse(JSON.parse(value));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
