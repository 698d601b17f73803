/**
 * What a scheduled run found, as its channel reads it: the title (with a warning when
 * something failed), the summary line, then the per-host details.
 */
import { displayActionId } from '../../actions/action.js';
import type { Finding } from '../../scheduler/scheduled-runbooks.js';
import { userMessage } from './error-text.js';
import { rehearsalBrief } from '../../timeline/fleet-facts.js';
import { escapeText } from './escape.js';
import { hostDetails, rehearsalSummary } from './fleet-report.js';
import { mrkdwnCutPoint } from './limits.js';

/** Slack shows about 4,000 characters of a message; the rest of a long dry run is cut. */
const MESSAGE_MAX = 3500;

function which({ runbookId, actionId }: Finding): string {
  return `(runbook \`${runbookId}\`, action \`${actionId}\`)`;
}

/** The title, the summary line and any details. */
function parts(finding: Finding): { title: string; summary: string; details: string } {
  const { outcome } = finding;
  switch (outcome.kind) {
    case 'dry_run': {
      const title = `Scheduled dry run: ${escapeText(outcome.plan.title)} ${which(finding)}`;
      const { rehearsal } = outcome;
      if (!rehearsal)
        return { title, summary: 'nothing to dry-run (a read-only action without dry_run_command)', details: escapeText(outcome.plan.summary.join('\n')) };
      return { title, summary: rehearsalSummary(rehearsalBrief(rehearsal)), details: hostDetails(rehearsal.hosts) };
    }
    case 'requested':
      return { title: `Scheduled run: ${escapeText(outcome.title)}`, summary: `requested as ${displayActionId(outcome.requested)}`, details: '' };
    case 'refused':
      // A refusal may name who paused automation: said with a mention.
      return { title: `Scheduled ${outcome.mode} refused: ${escapeText(outcome.title)} ${which(finding)}`, summary: userMessage(outcome.refusal), details: '' };
  }
}

export function renderScheduledRun(finding: Finding, max = MESSAGE_MAX): string {
  const { title, summary, details } = parts(finding);
  const head = `${finding.ok ? '' : ':warning: '}*${title}*\n${summary}`;
  const text = details ? `${head}\n${details}` : head;
  return text.length <= max ? text : cut(text, max);
}

function cut(text: string, max: number): string {
  const note = `\n… (cut: ${text.length} characters in all)`;
  let kept = text.slice(0, mrkdwnCutPoint(text, max - note.length - 3));
  // An odd number of fences means the cut fell inside a host's output: close it.
  if ((kept.match(/```/g) ?? []).length % 2 === 1) kept += '```';
  return `${kept}${note}`;
}
