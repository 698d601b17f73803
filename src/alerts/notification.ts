import { toTracked, type AlertNotification } from '../incidents/notification.js';
import type { WebhookPayload } from './schema.js';

/** What an incident needs of a validated Alertmanager webhook body. */
export function notificationOf(payload: WebhookPayload): AlertNotification {
  return {
    groupKey: payload.groupKey,
    truncatedAlerts: payload.truncatedAlerts,
    groupLabels: payload.groupLabels,
    commonLabels: payload.commonLabels,
    commonAnnotations: payload.commonAnnotations,
    externalURL: payload.externalURL,
    alerts: payload.alerts.map(toTracked),
  };
}
