/**
 * A rollback's verification in words: "monitoring" while its window runs, then
 * "verified: error-rate 0.004 <= 0.05" or "not verified" with the values, in the thread, on
 * the action's message and on the incident's.
 */
import { displayActionId } from '../../actions/action.js';
import { formatDuration } from '../../config/duration.js';
import type { Verification } from '../../verify/rollback-verification.js';
import { escapeText } from './escape.js';
import { verdictLines, verdictSummary } from './verdict.js';

/** A time each reader sees in their own zone. */
function slackTime(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? `<!date^${Math.floor(ms / 1000)}^{time}|${new Date(ms).toISOString()}>` : escapeText(iso);
}

function checkNames(verification: Verification): string {
  return verification.checks.map(escapeText).join(', ');
}

/** Why it is not verified, before the values: "error-rate still fails at the end of the window". */
function notVerifiedWhy(verification: Verification): string {
  const round = verification.round;
  switch (verification.reason) {
    case 'failing':
      return 'a check still fails at the end of the window';
    case 'no_data':
      return 'no data at the end of the window, so nothing vouches for the rollback';
    case 'relapsed':
      return `a check failed again after it had passed${round ? ` (at ${slackTime(round.at)})` : ''}, though the last round passed`;
    case 'no_checks':
      return `services.yaml no longer lists the checks it was watched with (${checkNames(verification)})`;
    case undefined:
      return 'no verdict was recorded';
  }
}

/** In a sentence, without links: "verified: error-rate 0.004 <= 0.05". */
export function verificationSummary(verification: Verification): string {
  const values = verification.round ? verdictSummary(verification.round.results) : '';
  if (verification.state === 'monitoring') return `monitoring ${checkNames(verification)} until ${slackTime(verification.until)}`;
  if (verification.state === 'verified') return `verified: ${values}`;
  return `not verified: ${notVerifiedWhy(verification)}${values ? `: ${values}` : ''}`;
}

/** The thread's line when the watch starts. */
export function verificationStartedText(actionId: string, verification: Verification): string {
  const window = formatDuration(Date.parse(verification.until) - Date.parse(verification.since));
  return `Verifying ${displayActionId(actionId)}: watching ${checkNames(verification)} every ${formatDuration(verification.intervalMs)} for ${window}, until ${slackTime(verification.until)}`;
}

/** The thread's line when the watch ends: the verdict, then each check with its value, threshold and graph link. */
export function verificationEndedText(actionId: string, verification: Verification): string {
  const rounds = verification.rounds === undefined ? '' : ` (${verification.rounds} round${verification.rounds === 1 ? '' : 's'})`;
  const head = `${verificationLine(actionId, verification)}${rounds}`;
  return verification.round ? `${head}\n${verdictLines(verification.round.results)}` : head;
}

const ICON = { monitoring: ':eyes:', verified: ':white_check_mark:', not_verified: ':warning:' } as const;

/** After "succeeded" on the action's message: "(verified)", or "monitoring … until 12:05". */
export function verificationLabel(verification: Verification): string {
  const state = verification.state === 'not_verified' ? 'not verified' : verification.state;
  return verification.state === 'monitoring' ? `${ICON.monitoring} monitoring until ${slackTime(verification.until)}` : `(${state})`;
}

/** The fallback text's word for it: "VERIFIED". */
export function verificationTag(verification: Verification): string {
  return verification.state.replace('_', ' ').toUpperCase();
}

/** The line on the incident's and the action's message: ":white_check_mark: ACT-4 verified: error-rate 0.004 <= 0.05". */
export function verificationLine(actionId: string, verification: Verification): string {
  return `${ICON[verification.state]} ${displayActionId(actionId)} ${verificationSummary(verification)}`;
}
