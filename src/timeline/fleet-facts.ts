/**
 * What a run on hosts found, as facts: each host's result, what a dry run checked, why a
 * rollout halted and how it ended. Stored with actions and in timelines; the words are
 * written by src/slack/render.
 */
import type { Round } from '../verify/checks.js';

/** One host's result. Stored ones carry their output cut to `STORED_OUTPUT_MAX` characters. */
export interface HostResult {
  host: string;
  ok: boolean;
  exitCode: number | null;
  output: string;
  /** Set when `output` was cut for storage: how many characters the whole output had. */
  outputChars?: number;
  durationMs: number;
}

/**
 * A runner keeps 64 KiB of each output stream, too much to store per host in every
 * timeline entry; a message shows less than this of it anyway.
 */
export const STORED_OUTPUT_MAX = 1000;

/** The result as a timeline stores it: trailing whitespace dropped, the output cut to a bounded size. */
export function storedHostResult({ host, ok, exitCode, output, durationMs }: HostResult): HostResult {
  const text = output.trimEnd();
  if (text.length <= STORED_OUTPUT_MAX) return { host, ok, exitCode, output: text, durationMs };
  return { host, ok, exitCode, output: text.slice(0, STORED_OUTPUT_MAX), outputChars: text.length, durationMs };
}

/** What a dry run ran: the action's `dry_run_command`, or, without one, only a check that each host answers. */
export type RehearsalCheck = 'dry_run_command' | 'reachability';

/** What a dry run found on each target. */
export interface Rehearsal {
  ok: boolean;
  check: RehearsalCheck;
  hosts: HostResult[];
  /** A continued rollout's targets that succeeded in the rollout it continues: not dry-run, they will not run. */
  skipped?: string[];
}

/** A host the dry run failed on, and why in brief: its exit code and the first line it printed. */
export interface RehearsalFailure {
  host: string;
  exitCode: number | null;
  firstLine: string;
}

/** Characters of a failed host's first line of output the approval request keeps. */
export const FAILURE_LINE_MAX = 160;

/** Failed hosts whose reason the brief keeps: enough to decide on, bounded on a large fleet (all are named in `failed`). */
export const FAILURES_KEPT = 20;

/** A dry run in brief, as the action keeps it for its approval message: the details are in its timeline. */
export interface RehearsalBrief {
  ok: boolean;
  check: RehearsalCheck;
  /** How many hosts it ran on. */
  hosts: number;
  failed: string[];
  /** Why each of `failed` failed; absent in briefs stored by earlier releases. */
  failures?: RehearsalFailure[];
  /** See Rehearsal; absent when none were skipped. */
  skipped?: string[];
}

function failureOf({ host, exitCode, output }: HostResult): RehearsalFailure {
  const firstLine = output.split('\n').find((line) => line.trim() !== '') ?? '';
  return { host, exitCode, firstLine: firstLine.trim().slice(0, FAILURE_LINE_MAX) };
}

export function rehearsalBrief({ ok, check, hosts, skipped }: Rehearsal): RehearsalBrief {
  const failed = hosts.filter((h) => !h.ok);
  return {
    ok,
    check,
    hosts: hosts.length,
    failed: failed.map((h) => h.host),
    ...(failed.length > 0 ? { failures: failed.slice(0, FAILURES_KEPT).map(failureOf) } : {}),
    ...(skipped && skipped.length > 0 ? { skipped } : {}),
  };
}

/** A host a rollout ran without success, and its exit code (null: no exit code, e.g. unreachable). */
export interface FailedHost {
  host: string;
  exitCode: number | null;
}

/** One round of a batch's health checks; `sample` counts from 1. */
export interface SampledRound extends Round {
  sample: number;
}

/** Which batch a verification followed: `batch` counts from 1 (the canary is batch 1), `of` is the plan's number of batches. */
export interface VerifiedBatch {
  batch: number;
  of: number;
  canary: boolean;
}

/** How a batch's checks were sampled, as the runbook's `verify` said. */
export interface SamplingFacts {
  samples: number;
  failureLimit: number;
  intervalMs: number;
}

/** Why a rollout stopped short of its last batch. */
export type HaltReason =
  /** Any failure in the canary batch halts, whatever `max_failures` says. */
  | { kind: 'canary_failed'; failures: number }
  /** `batch` counts from 1; `failures` are those of every batch so far. */
  | { kind: 'too_many_failures'; batch: number; failures: number; maxFailures: number }
  /** The bot stopped while these hosts ran: whether their command completed is unknown. */
  | { kind: 'interrupted'; hosts: string[] }
  /**
   * The health checks after a batch said stop: `fail` when more than `failureLimit` samples
   * failed, `no-data` when a check with `no_data: pause` had no data, so a person decides.
   * `rounds` are the failing (or no-data) rounds, with each check's value and threshold.
   */
  | ({ kind: 'checks_failed'; verdict: 'fail' | 'no-data'; failedSamples: number; rounds: SampledRound[] } & VerifiedBatch & SamplingFacts);

/** How a fleet rollout ended, as the action keeps it. */
export type FleetEnd =
  /**
   * `skipped` of the `hosts` had succeeded in the rollout this one continues; `failed` are
   * hosts that failed within `max_failures` (absent in ends stored by earlier releases).
   */
  | { kind: 'fleet_succeeded'; hosts: number; skipped: number; failed?: FailedHost[] }
  | { kind: 'fleet_halted'; reason: HaltReason; failed: string[] }
  /** The kill switch stopped it before its next batch. */
  | { kind: 'fleet_paused'; pauseReason: string };

/** The hosts a rollout that succeeded tolerated as failed; none for other ends and older stored ends. */
export function toleratedFailures(end: FleetEnd): FailedHost[] {
  return end.kind === 'fleet_succeeded' ? (end.failed ?? []) : [];
}
