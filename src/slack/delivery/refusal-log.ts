import type { Logger } from 'pino';
import { SlackPermanentError } from '../chat-api.js';

/**
 * Runs one delivery and, when Slack refuses it for good, logs the method, channel, service
 * and incident (what a person needs to fix it) before the queue ends the delivery.
 */
export async function namingRefusals(
  log: Logger,
  context: () => { channel?: string; service?: string; incidentId?: string; actionId?: string },
  deliver: () => Promise<void>,
): Promise<void> {
  try {
    await deliver();
  } catch (error) {
    if (error instanceof SlackPermanentError)
      log.error({ method: error.method, reason: error.reason, ...context() }, `Slack refused ${error.method}: ${error.message}`);
    throw error;
  }
}
