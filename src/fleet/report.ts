/**
 * What a fleet run says in the Slack thread and the timeline. Pure: plain text in Slack
 * mrkdwn, host outputs in code blocks, each cut so that a chatty host cannot push the
 * others out of the message.
 */
import type { Batch } from './rollout.js';
import type { HostOutcome } from './rollout-runner.js';

const OUTPUT_MAX = 800;

function clip(output: string): string {
  const text = output.trim() === '' ? '(no output)' : output.trimEnd();
  // Backticks would close the code block the output is shown in.
  const safe = text.replaceAll('```', "'''");
  return safe.length > OUTPUT_MAX ? `${safe.slice(0, OUTPUT_MAX)}… (cut; ${safe.length} characters)` : safe;
}

function mark(outcome: HostOutcome): string {
  if (outcome.ok) return `${outcome.host} ok`;
  return `${outcome.host} FAILED${outcome.exitCode === null ? '' : ` (exit ${outcome.exitCode})`}`;
}

/** One host's result with its output. */
export function hostDetail(outcome: HostOutcome): string {
  return `• ${mark(outcome)}, ${(outcome.durationMs / 1000).toFixed(1)}s\n\`\`\`${clip(outcome.output)}\`\`\``;
}

/** Hosts whose output a message shows: enough to act on, well under Slack's 40 000 characters. */
const DETAILED_HOSTS = 20;

/** Each host's result with its output, failures first, the first 20 of them. */
export function hostDetails(outcomes: readonly HostOutcome[]): string {
  const ordered = [...outcomes.filter((o) => !o.ok), ...outcomes.filter((o) => o.ok)];
  const shown = ordered.slice(0, DETAILED_HOSTS).map(hostDetail);
  const rest = ordered.length - shown.length;
  return rest > 0 ? `${shown.join('\n')}\n… and ${rest} more host(s): ${ordered.slice(DETAILED_HOSTS).map(mark).join(', ')}` : shown.join('\n');
}

export function rehearsalSummary(outcomes: readonly HostOutcome[], withCommand: boolean): string {
  const failed = outcomes.filter((o) => !o.ok);
  const what = withCommand ? 'dry run' : 'reachability check (no dry_run_command, so the command itself was not tried)';
  if (failed.length === 0) return `${what} ok on all ${outcomes.length} host(s)`;
  return `${what} FAILED on ${failed.length} of ${outcomes.length} host(s): ${failed.map((o) => o.host).join(', ')}`;
}

export function batchReport(batch: Batch, of: number, outcomes: readonly HostOutcome[]): string {
  const name = batch.canary ? `Canary (batch 1 of ${of})` : `Batch ${batch.index + 1} of ${of}`;
  const failed = outcomes.filter((o) => !o.ok);
  const head = `${name}: ${outcomes.map(mark).join(', ')}`;
  return failed.length === 0 ? head : `${head}\n${hostDetails(failed)}`;
}

export function haltReport(reason: string, failed: readonly HostOutcome[]): string {
  return `${reason}\nFailed hosts:\n${hostDetails(failed)}\nContinue (approved again) runs the hosts without a success; Abort ends it here.`;
}

export function successReport(outcomes: readonly HostOutcome[], skipped: number): string {
  const note = skipped > 0 ? ` (${skipped} had already succeeded and were skipped)` : '';
  return `all ${outcomes.length} host(s) succeeded${note}`;
}
