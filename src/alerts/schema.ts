import { z } from 'zod';

/**
 * Alertmanager webhook payload, version 4. Only the fields the bot uses are declared;
 * unknown fields (newer Alertmanagers add notification_reason, routeLabels...) are ignored.
 */
const LabelSet = z.record(z.string(), z.string());

export const WebhookAlert = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: LabelSet,
  annotations: LabelSet.default({}),
  startsAt: z.string().min(1),
  endsAt: z.string().default(''),
  generatorURL: z.string().default(''),
  fingerprint: z.string().min(1),
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
