import type { Logger } from 'pino';
import { BotError, InvalidTransitionError, type TransitionRefusal } from '../../errors.js';
import type { IncidentService } from '../../incidents/service.js';
import { userMessage } from '../render/error-text.js';

export interface Interaction {
  actor: string;
  action: string;
  incidentId?: string;
  detail?: string;
}

/**
 * Runs what a person asked for and writes the audit entry whatever happens; returns the
 * sentence to show them when it failed. A refusal we expect (BotError) is a warning, any
 * other failure an error.
 */
export async function audited(incidents: IncidentService, log: Logger, interaction: Interaction, work: () => Promise<void>): Promise<string | undefined> {
  let outcome: 'ok' | 'refused' | 'error' = 'ok';
  let failure: string | undefined;
  let refusal: TransitionRefusal | undefined;
  try {
    await work();
  } catch (error) {
    // Only a refused transition belongs on the incident's timeline: an id that is not
    // stored must not grow a timeline for a later incident that gets the same id.
    if (error instanceof InvalidTransitionError) refusal = error.refusal;
    outcome = error instanceof BotError ? 'refused' : 'error';
    failure = userMessage(error);
    const fields = { err: error, actor: interaction.actor, action: interaction.action, incidentId: interaction.incidentId };
    if (outcome === 'refused') log.warn(fields, 'interaction refused');
    else log.error(fields, 'interaction failed');
  }
  try {
    await incidents.audit({ ...interaction, outcome, ...(failure ? { error: failure } : {}) });
    if (interaction.incidentId && refusal) {
      await incidents.note(interaction.incidentId, { kind: 'command', verb: 'refused', actor: interaction.actor, attempted: interaction.action, refusal });
    }
  } catch (error) {
    log.error({ err: error, ...interaction }, 'audit entry not written');
  }
  return failure;
}
