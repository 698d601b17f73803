import { AutomationPaused } from '../../actions/action.js';
import { BotError, CommandUsageError, InvalidTransitionError, type TransitionRefusal } from '../../errors.js';
import { renderMisuse } from './command-usage.js';
import { escapeText } from './escape.js';
import { mention } from './mention.js';

export function renderTransitionRefusal({ incidentId, state, to, acknowledgedBy }: TransitionRefusal): string {
  if (acknowledgedBy === undefined) return `Incident ${escapeText(incidentId)} is ${state}; it cannot become ${to}`;
  return `Incident ${escapeText(incidentId)} is already acknowledged by ${mention(acknowledgedBy)}`;
}

/** The one place that turns any thrown value into a sentence for a Slack user. */
export function userMessage(error: unknown): string {
  if (error instanceof InvalidTransitionError) return renderTransitionRefusal(error.refusal);
  if (error instanceof CommandUsageError) return renderMisuse(error.misuse);
  if (error instanceof AutomationPaused) {
    return `Automation is paused by ${mention(error.pausedBy)} (${escapeText(error.pauseReason)}); nothing was run. Resume it with /automation resume first.`;
  }
  // A refusal may quote what came in (a label, a GitLab answer, a runbook's words).
  if (error instanceof BotError) return escapeText(error.message);
  return 'Something went wrong on our side; the error is logged. Try again, or check the bot logs.';
}
