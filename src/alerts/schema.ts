import { z } from 'zod';

/**
 * Alertmanager webhook payload, version 4. Only the fields the bot uses are declared;
 * unknown fields (newer Alertmanagers add notification_reason, routeLabels...) are ignored.
 */
const LabelSet = z.record(z.string(), z.string());

/**
 * Go's time.Time as JSON: RFC 3339 with any fraction of a second and a Z or an offset.
 * Alertmanager sends the zero time, 0001-01-01T00:00:00Z, for an alert with no end yet.
 * Anything else would be compared and shown as "Invalid Date" later on.
 */
const Timestamp = z.iso.datetime({ offset: true, error: 'expected an RFC 3339 timestamp such as 2026-11-21T23:15:32Z' });

export const WebhookAlert = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: LabelSet,
  annotations: LabelSet.default({}),
  startsAt: Timestamp,
  /** '' when absent (zod does not check a default). */
  endsAt: Timestamp.default(''),
  generatorURL: z.string().default(''),
  // Alerts are kept in an object keyed by fingerprint, where "__proto__" would set the
  // prototype instead of adding the alert: the incident would open with no alert, resolved.
  fingerprint: z
    .string()
    .min(1)
    .refine((fingerprint) => fingerprint !== '__proto__', 'expected an alert fingerprint such as 69c2e62f0b0aec37'),
});
export type WebhookAlert = z.output<typeof WebhookAlert>;

export const WebhookPayload = z.object({
  version: z.literal('4', { error: 'only Alertmanager webhook version "4" is supported' }),
  groupKey: z.string().min(1),
  truncatedAlerts: z.number().int().min(0).default(0),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().default(''),
  groupLabels: LabelSet.default({}),
  commonLabels: LabelSet.default({}),
  commonAnnotations: LabelSet.default({}),
  externalURL: z.string().default(''),
  alerts: z.array(WebhookAlert).min(1, 'a notification carries at least one alert'),
});
export type WebhookPayload = z.output<typeof WebhookPayload>;
