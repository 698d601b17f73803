import { z } from 'zod';
import { SLUG } from '../names.js';

/**
 * Button action_ids and value shapes are a public contract: messages stay in Slack for
 * years and their buttons stay clickable. Never reuse an id with another meaning; add a
 * new one (or a new value version) instead, and keep answering the old ones.
 */
export const ACTION_IDS = {
  incidentAck: 'incident.ack',
  incidentResolve: 'incident.resolve',
  actionApprove: 'action.approve',
  actionDeny: 'action.deny',
  actionCancel: 'action.cancel',
  actionContinue: 'action.continue',
  actionAbort: 'action.abort',
  /** Approves a request whose dry run failed, where `action.approve` is refused. */
  actionApproveAnyway: 'action.approve_anyway',
  /** On a rollout that succeeded with failures: a new request over just the failed hosts. */
  actionRetryFailed: 'action.retry_failed',
  runbookRun: 'runbook.run',
  /** On the App Home tab: the kill switch, as `/automation pause` and `/automation resume` do. */
  automationPause: 'automation.pause',
  automationResume: 'automation.resume',
  /** The Silence… menu on an incident message; each option's value is a SilenceOptionValue. */
  incidentSilence: 'incident.silence',
  /** Expires the incident's silence; its value is an IncidentButtonValue. */
  incidentUnsilence: 'incident.unsilence',
  /** Opens the incident's war room (a channel of its own); its value is an IncidentButtonValue. */
  incidentRoom: 'incident.room',
  /** "I'll lead": the clicker becomes the incident's commander; its value is an IncidentButtonValue. */
  incidentLead: 'incident.lead',
} as const;

/** Shortcuts' callback_ids, as public as action ids: the Slack app's configuration names them. */
export const SHORTCUT_IDS = {
  /** The message shortcut "Add to incident timeline", on a message in an incident's thread or war room. */
  timelineAdd: 'incident.timeline_add',
} as const;

export const KNOWN_ACTION_IDS: ReadonlySet<string> = new Set(Object.values(ACTION_IDS));

export const IncidentButtonValue = z.object({ v: z.literal(1), incident: z.string().regex(/^\d+$/) });
export type IncidentButtonValue = z.output<typeof IncidentButtonValue>;

export const ActionButtonValue = z.object({ v: z.literal(1), action: z.string().regex(/^\d+$/) });
export type ActionButtonValue = z.output<typeof ActionButtonValue>;

/** The kill switch buttons carry nothing but their version: what they do is their action_id. */
export const AutomationButtonValue = z.object({ v: z.literal(1) });
export type AutomationButtonValue = z.output<typeof AutomationButtonValue>;

/**
 * Runbook and action ids as the runbook schema accepts them, so every Run button the bot
 * renders reads back. Every value rendered so far holds such ids (the schema has always
 * had this rule), so old buttons read back too.
 */
const Slug = z.string().regex(SLUG);
export const RunbookButtonValue = z.object({ v: z.literal(1), incident: z.string().regex(/^\d+$/), runbook: Slug, action: Slug });
export type RunbookButtonValue = z.output<typeof RunbookButtonValue>;

export const SilenceOptionValue = z.object({
  v: z.literal(1),
  incident: z.string().regex(/^\d+$/),
  for: z.enum(['1h', '4h', '24h', 'until_resolved']),
});
export type SilenceOptionValue = z.output<typeof SilenceOptionValue>;

export function silenceOptionValue(incidentId: string, choice: SilenceOptionValue['for']): string {
  return JSON.stringify({ v: 1, incident: incidentId, for: choice } satisfies SilenceOptionValue);
}

export function incidentButtonValue(incidentId: string): string {
  return JSON.stringify({ v: 1, incident: incidentId } satisfies IncidentButtonValue);
}

export function actionButtonValue(actionId: string): string {
  return JSON.stringify({ v: 1, action: actionId } satisfies ActionButtonValue);
}

export function automationButtonValue(): string {
  return JSON.stringify({ v: 1 } satisfies AutomationButtonValue);
}

export function runbookButtonValue(incidentId: string, runbookId: string, actionId: string): string {
  return JSON.stringify({ v: 1, incident: incidentId, runbook: runbookId, action: actionId } satisfies RunbookButtonValue);
}

/** A button's value in a shape this version knows, or undefined (an old or foreign button). */
export function parseButtonValue<T>(schema: z.ZodType<T>, value: string | undefined): T | undefined {
  if (!value) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(value));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export function parseIncidentButtonValue(value: string | undefined): IncidentButtonValue | undefined {
  return parseButtonValue(IncidentButtonValue, value);
}
