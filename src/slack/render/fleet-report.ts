/**
 * What a fleet run found, in words: host outputs in code blocks, each cut so that a chatty
 * host cannot push the others out of the message, failures first.
 */
import type { RunReport } from '../../timeline/action-step.js';
import {
  rehearsalBrief,
  toleratedFailures,
  type FleetEnd,
  type HaltReason,
  type HostResult,
  type Rehearsal,
  type RehearsalBrief,
  type SampledRound,
  type VerifiedBatch,
} from '../../timeline/fleet-facts.js';
import { escapeText } from './escape.js';
import { truncatePlain } from './limits.js';
import { verdictLines } from './verdict.js';

/** Characters of one host's output a message shows. */
const OUTPUT_MAX = 800;

/** Hosts whose output a message shows: enough to act on, well under Slack's 40 000 characters. */
const DETAILED_HOSTS = 20;

function clip({ output, outputChars }: HostResult): string {
  const text = output.trim() === '' ? '(no output)' : output.trimEnd();
  // Backticks would close the code block the output is shown in.
  const safe = text.replaceAll('```', "'''");
  const whole = outputChars ?? safe.length;
  // What a host printed is outside text like any other: it may hold anyone's mention.
  return whole > OUTPUT_MAX ? `${escapeText(truncatePlain(safe, OUTPUT_MAX, ''))} (cut; ${whole} characters)` : escapeText(safe);
}

function mark(result: HostResult): string {
  const host = escapeText(result.host);
  if (result.ok) return `${host} ok`;
  return `${host} FAILED${result.exitCode === null ? '' : ` (exit ${result.exitCode})`}`;
}

/** One host's result with its output. */
export function hostDetail(result: HostResult): string {
  return `• ${mark(result)}, ${(result.durationMs / 1000).toFixed(1)}s\n\`\`\`${clip(result)}\`\`\``;
}

/** Each host's result with its output, failures first, the first 20 of them. */
export function hostDetails(results: readonly HostResult[]): string {
  const ordered = [...results.filter((r) => !r.ok), ...results.filter((r) => r.ok)];
  const shown = ordered.slice(0, DETAILED_HOSTS).map(hostDetail);
  const rest = ordered.length - shown.length;
  return rest > 0 ? `${shown.join('\n')}\n… and ${rest} more host(s): ${ordered.slice(DETAILED_HOSTS).map(mark).join(', ')}` : shown.join('\n');
}

/** The hosts a continued rollout's dry run left out, and why; empty when none. */
function skippedText(skipped: readonly string[] | undefined): string {
  if (!skipped || skipped.length === 0) return '';
  return `; not dry-run on ${skipped.map(escapeText).join(', ')}: they succeeded in the rollout this one continues and will not run again`;
}

/** The dry run in one line, for the approval message and above its details. */
export function rehearsalSummary({ check, hosts, failed, skipped }: RehearsalBrief): string {
  const what = check === 'dry_run_command' ? 'dry run' : 'reachability check (no dry_run_command, so the command itself was not tried)';
  if (failed.length === 0) return `${what} ok on all ${hosts} host(s)${skippedText(skipped)}`;
  return `${what} FAILED on ${failed.length} of ${hosts} host(s): ${failed.map(escapeText).join(', ')}${skippedText(skipped)}`;
}

/** Failed hosts named with their reason in the approval request's headline; the rest only counted. */
const HEADLINE_HOSTS = 10;

function exitText(exitCode: number | null): string {
  return exitCode === null ? 'no exit code' : `exit ${exitCode}`;
}

/**
 * A failed dry run, for the top of the approval request: on how many hosts, which, and why
 * (each host's exit and first line of output), then what the approver may do about it.
 */
export function rehearsalFailureHeadline(brief: RehearsalBrief): string {
  const why = new Map((brief.failures ?? []).map((f) => [f.host, f]));
  const named = brief.failed.slice(0, HEADLINE_HOSTS).map((host) => {
    const failure = why.get(host);
    if (!failure) return escapeText(host);
    const line = failure.firstLine ? `: ${escapeText(failure.firstLine.replaceAll('`', "'"))}` : '';
    return `${escapeText(host)} (${exitText(failure.exitCode)}${line})`;
  });
  const more = brief.failed.length > HEADLINE_HOSTS ? ` and ${brief.failed.length - HEADLINE_HOSTS} more` : '';
  const what = brief.check === 'dry_run_command' ? 'dry run' : 'reachability check';
  return `The ${what} FAILED on ${brief.failed.length} of ${hostCount(brief.hosts)}: ${named.join('; ')}${more}.`;
}

/** The summary line, then each host's result. */
export function renderRehearsal(rehearsal: Rehearsal): string {
  return `${rehearsalSummary(rehearsalBrief(rehearsal))}\n${hostDetails(rehearsal.hosts)}`;
}

function hostCount(n: number): string {
  return `${n} host${n === 1 ? '' : 's'}`;
}

/** "the canary (batch 1 of 3)", "batch 2 of 3". */
function batchName({ batch, of, canary }: VerifiedBatch): string {
  return canary ? `the canary (batch ${batch} of ${of})` : `batch ${batch} of ${of}`;
}

function sampleCount(n: number): string {
  return `${n} sample${n === 1 ? '' : 's'}`;
}

/** Why a rollout halted, in plain words (not yet escaped: it names hosts). */
export function haltText(reason: HaltReason): string {
  switch (reason.kind) {
    case 'checks_failed':
      if (reason.verdict === 'no-data') {
        return `Halted after ${batchName(reason)}: no data for a health check whose no_data is pause, so a person decides; the next batch did not start.`;
      }
      return `Halted after ${batchName(reason)}: health checks failed in ${reason.failedSamples} of ${sampleCount(reason.samples)}, more than failure_limit (${reason.failureLimit}); the next batch did not start.`;
    case 'canary_failed':
      return `Halted: the canary batch failed on ${hostCount(reason.failures)}; no other host was touched.`;
    case 'too_many_failures':
      return `Halted after batch ${reason.batch}: ${hostCount(reason.failures)} failed, more than max_failures (${reason.maxFailures}).`;
    case 'interrupted':
      return `Halted: the bot restarted while ${reason.hosts.join(', ')} ran; check ${reason.hosts.length === 1 ? 'it' : 'them'} before continuing.`;
  }
}

/** Each round with its checks' values, thresholds and graph links. */
function roundsText(rounds: readonly SampledRound[], samples: number): string {
  return rounds.map((round) => `Sample ${round.sample} of ${samples} (${round.at.slice(11, 19)} UTC):\n${verdictLines(round.results)}`).join('\n');
}

function renderHalt(report: Extract<RunReport, { kind: 'halted' }>): string {
  const { reason, failed } = report;
  const evidence = reason.kind === 'checks_failed' ? `\n${roundsText(reason.rounds, reason.samples)}` : '';
  const hosts = failed.length > 0 ? `\nFailed hosts:\n${hostDetails(failed)}` : '';
  return `${escapeText(haltText(reason))}${evidence}${hosts}\nContinue (approved again) runs the hosts without a success; Abort ends it here.`;
}

/** The checks held after a batch: the last round in full, and any round that failed within failure_limit. */
function renderVerified(report: Extract<RunReport, { kind: 'verified' }>): string {
  const failing = report.rounds.filter((round) => round.verdict !== 'pass');
  const head = `Health checks after ${batchName(report)} held: ${report.rounds.length - failing.length} of ${sampleCount(report.rounds.length)} passed (failure_limit ${report.failureLimit}).`;
  const last = report.rounds.at(-1);
  const shown = last && !failing.includes(last) ? [...failing, last] : failing;
  return `${head}\n${roundsText(shown, report.samples)}`;
}

/** What a rollout reported while it ran: a batch's results (output only for the hosts that failed), its checks, or why it halted. */
export function renderRunReport(report: RunReport): string {
  if (report.kind === 'halted') return renderHalt(report);
  if (report.kind === 'verified') return renderVerified(report);
  const name = report.canary ? `Canary (batch ${report.batch} of ${report.of})` : `Batch ${report.batch} of ${report.of}`;
  const failed = report.hosts.filter((h) => !h.ok);
  const head = `${name}: ${report.hosts.map(mark).join(', ')}`;
  return failed.length === 0 ? head : `${head}\n${hostDetails(failed)}`;
}

/** How a rollout ended, in plain words (not yet escaped: the pause reason is what a person typed). */
export function fleetEndText(end: FleetEnd): string {
  switch (end.kind) {
    case 'fleet_succeeded': {
      const skipped = end.skipped > 0 ? ` (${end.skipped} had already succeeded and were skipped)` : '';
      const failed = toleratedFailures(end);
      if (failed.length === 0) return `all ${end.hosts} host(s) succeeded${skipped}`;
      const named = failed.map(({ host, exitCode }) => `${host} (${exitText(exitCode)})`).join(', ');
      return `${end.hosts - failed.length} of ${end.hosts} host(s) succeeded${skipped}; ${failed.length} FAILED, within max_failures: ${named}`;
    }
    case 'fleet_halted':
      return end.failed.length > 0 ? `${haltText(end.reason)} Failed: ${end.failed.join(', ')}.` : haltText(end.reason);
    case 'fleet_paused':
      return `stopped before the next batch: automation paused (${end.pauseReason})`;
  }
}
