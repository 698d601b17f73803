import { AutomationPaused } from '../../actions/action.js';
import { BotError, CommandUsageError, InvalidTransitionError, type TransitionRefusal } from '../../errors.js';
import { renderMisuse } from './command-usage.js';
import { escapeMrkdwn } from './limits.js';
import { mention } from './mention.js';

export function renderTransitionRefusal({ incidentId, state, to, acknowledgedBy }: TransitionRefusal): string {
  if (acknowledgedBy === undefined) return `Incident ${incidentId} is ${state}; it cannot become ${to}`;
  return `Incident ${incidentId} is already acknowledged by ${mention(acknowledgedBy)}`;
}

/** The one place that turns any thrown value into a sentence for a Slack user. */
export function userMessage(error: unknown): string {
  if (error instanceof InvalidTransitionError) return renderTransitionRefusal(error.refusal);
  if (error instanceof CommandUsageError) return renderMisuse(error.misuse);
  if (error instanceof AutomationPaused) {
    return `Automation is paused by ${mention(error.pausedBy)} (${escapeMrkdwn(error.pauseReason)}); nothing was run. Resume it with /automation resume first.`;
  }
  if (error instanceof BotError) return error.message;
  return 'Something went wrong on our side; the error is logged. Try again, or check the bot logs.';
}
