/**
 * The deploy guard in words: the reason its rollback requests carry, and what it tells the
 * service's channel when it acts, or would have and did not, with each check's value,
 * threshold and graph link.
 */
import { displayActionId } from '../../actions/action.js';
import type { CheckResult } from '../../verify/checks.js';
import type { GuardNotice, GuardTrigger } from '../../verify/deploy-guard-acting.js';
import { escapeText } from './escape.js';
import { mention } from './mention.js';
import { formatValue, thresholdText, verdictLines } from './verdict.js';

/** "deployment 304 (c0ffee00, main)", unescaped. */
function deployName({ deploy }: GuardTrigger): string {
  const facts = [deploy.sha, deploy.ref].filter(Boolean);
  return `deployment ${deploy.deploymentId}${facts.length > 0 ? ` (${facts.join(', ')})` : ''}`;
}

function times(n: number): string {
  return n === 1 ? 'once' : `${n} evaluations in a row`;
}

/** A failing check in plain words, as the action's reason (escaped where the action is shown). */
function failedCheck(result: CheckResult): string {
  const value = result.value === undefined || Number.isNaN(result.value) ? 'no data' : formatValue(result.value);
  return `${result.check} ${value}, expected ${thresholdText(result.threshold)}`;
}

/** Plain text: the action message escapes it as any reason. */
export function deployGuardReason(trigger: GuardTrigger): string {
  const failing = trigger.round.results.filter((r) => r.verdict !== 'pass').map(failedCheck);
  return `deploy guard: ${deployName(trigger)} of ${trigger.deploy.service} failed ${times(trigger.failures)} (${failing.join('; ')}); back to the deploy before`;
}

function headline(trigger: GuardTrigger): string {
  return `:rotating_light: *Deploy guard*: ${escapeText(deployName(trigger))} of *${escapeText(trigger.deploy.service)}* failed its checks ${times(trigger.failures)}.`;
}

function outcome(notice: GuardNotice): string {
  switch (notice.kind) {
    case 'proposed':
      return `Rollback to the deploy before requested as ${displayActionId(notice.actionId)}; an approver of the service approves it as usual.`;
    case 'rolled_back':
      return `Rolling back to the deploy before now, without approval (\`deploy_guard.mode: auto\`): ${displayActionId(notice.actionId)}.`;
    case 'paused': {
      const would = notice.trigger.mode === 'auto' ? 'rolled it back' : 'asked for a rollback';
      return `The guard would have ${would} and did not: automation is paused by ${mention(notice.pausedBy)} (${escapeText(notice.pauseReason)}). Roll back by hand if it is still needed.`;
    }
    case 'refused':
      return `The guard could not request the rollback: ${escapeText(notice.reason)}`;
  }
}

export function renderDeployGuardNotice(notice: GuardNotice): string {
  return `${headline(notice.trigger)} ${outcome(notice)}\n${verdictLines(notice.trigger.round.results)}`;
}
