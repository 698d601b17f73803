/**
 * What happened to an action, as facts: who did it is the entry's actor, the words are
 * written by src/slack/render. Shared by the action's own timeline and the incident's,
 * which carries a copy of each step of an action linked to it.
 */
export type ActionStep =
  /** Asked for; `approval` says why it runs without waiting, when it does. */
  | { kind: 'requested'; actionId: string; title: string; service: string; reason: string; approval: 'needed' | 'read_only' | 'self_approved' }
  | { kind: 'approved'; actionId: string; count: number; required: number }
  | { kind: 'denied' | 'cancelled' | 'expired' | 'started' | 'aborted'; actionId: string }
  /** A halted rollout handed over to a new action. */
  | { kind: 'continued'; actionId: string; successorId: string }
  | { kind: 'run_attached'; actionId: string; url: string }
  /** `detail` is what the executor reported. */
  | { kind: 'finished'; actionId: string; succeeded: boolean; seconds: number; detail: string }
  /** A person's decision the action refused; `reason` is the refusal they were shown. */
  | { kind: 'refused'; actionId: string; reason: string }
  /** What the dry run found, as the executor reported it. */
  | { kind: 'dry_run'; actionId: string; summary: string; details: string }
  /** Approved, but not run because automation is paused. */
  | { kind: 'held'; actionId: string; pausedBy: string; pauseReason: string }
  /** The kill switch stopped a running rollout before its next batch. */
  | { kind: 'stopped_by_pause'; actionId: string; pausedBy: string; pauseReason: string }
  /** A step an executor reported while it ran (a batch's results), in its own words. */
  | { kind: 'remark'; actionId: string; text: string };
