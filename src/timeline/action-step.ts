/**
 * What happened to an action, as facts: who did it is the entry's actor, the words are
 * written by src/slack/render. Shared by the action's own timeline and the incident's,
 * which carries a copy of each step of an action linked to it.
 */
import type { Verification } from '../verify/rollback-verification.js';
import type { FleetEnd, HaltReason, HostResult, Rehearsal, SampledRound, SamplingFacts, VerifiedBatch } from './fleet-facts.js';

/** How an executor said a run ended: a sentence of its own in plain words (a GitLab job's status), or facts. */
export type RunDetail = string | FleetEnd;

/** What an executor reports while it runs, for the action's timeline and thread. */
export type RunReport =
  /** A batch of a rollout ran; `batch` counts from 1 (the canary is batch 1), `of` is the plan's number of batches. */
  | { kind: 'batch_ran'; actionId: string; batch: number; of: number; canary: boolean; hosts: HostResult[] }
  /** The rollout halted; `failed` are all the hosts without a success so far. */
  | { kind: 'halted'; actionId: string; reason: HaltReason; failed: HostResult[] }
  /** A batch's health checks held: every round evaluated, so the thread shows the evidence before the next batch. */
  | ({ kind: 'verified'; actionId: string; rounds: SampledRound[] } & VerifiedBatch & SamplingFacts);

export type ActionStep =
  /** Asked for; `approval` says why it runs without waiting, when it does. */
  | { kind: 'requested'; actionId: string; title: string; service: string; reason: string; approval: 'needed' | 'read_only' | 'self_approved' }
  /** `anyway`: approved with "Approve anyway" although the dry run failed (on `failed`). */
  | { kind: 'approved'; actionId: string; count: number; required: number; anyway?: { failed: string[] } }
  | { kind: 'denied' | 'cancelled' | 'expired' | 'started' | 'aborted'; actionId: string }
  /** A halted rollout handed over to a new action. */
  | { kind: 'continued'; actionId: string; successorId: string }
  /** A rollout that succeeded with failures: its failed hosts asked for again as a new action. */
  | { kind: 'retried'; actionId: string; successorId: string; hosts: string[] }
  | { kind: 'run_attached'; actionId: string; url: string }
  | { kind: 'finished'; actionId: string; succeeded: boolean; seconds: number; detail: RunDetail }
  /** A person's decision the action refused; `reason` is the refusal they were shown. */
  | { kind: 'refused'; actionId: string; reason: string }
  /** What the dry run found on each host. */
  | { kind: 'rehearsed'; actionId: string; rehearsal: Rehearsal }
  /** Approved, but not run because automation is paused. */
  | { kind: 'held'; actionId: string; pausedBy: string; pauseReason: string }
  /** The kill switch stopped a running rollout before its next batch. */
  | { kind: 'stopped_by_pause'; actionId: string; pausedBy: string; pauseReason: string }
  | RunReport
  /** A succeeded rollback is watched: its service's checks, every interval, until the window ends. */
  | { kind: 'verification_started'; actionId: string; verification: Verification }
  /** The watch ended: verified or not, with the round the verdict rests on. */
  | { kind: 'verification_ended'; actionId: string; verification: Verification }
  /** Stored by releases before dry runs were facts: what the dry run found, in Slack's words. */
  | { kind: 'dry_run'; actionId: string; summary: string; details: string }
  /** Stored by releases before executors reported facts: a step an executor reported, in Slack's words. */
  | { kind: 'remark'; actionId: string; text: string };
