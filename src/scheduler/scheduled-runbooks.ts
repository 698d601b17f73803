/**
 * Runbooks on a clock: each runbook with a `schedule` becomes one scheduler job, so one
 * replica runs each tick. A tick goes through the actions layer like a click would (kill
 * switch, dry run, approval, batches), as the user `scheduler`.
 *
 * A dry run that nobody asked for must not flood the channel: it is posted when it fails
 * or when its per-host results differ from the previous run's. Applied runs are posted by
 * the action's own messages, as any change to production is.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { ExecutionPlan } from '../actions/executor.js';
import type { ActionService, FleetActionRequest } from '../actions/service.js';
import { BotError, type ErrorCode } from '../errors.js';
import type { FleetAction, Runbook, Schedule } from '../runbooks/schema.js';
import type { ServiceCatalog } from '../services/catalog.js';
import type { Rehearsal } from '../timeline/fleet-facts.js';
import type { ScheduledJob } from './scheduler.js';

/** The requester of every scheduled run, as actions and their messages show it. */
export const SCHEDULER_USER = 'scheduler';

/** What a scheduled run last found, per runbook action, so that an unchanged result stays quiet. */
export interface ScheduleMemory {
  /**
   * Saves this run's digest and returns the previous run's, in one step: ticks of one
   * runbook may overlap on two replicas, and both must not see the same previous digest.
   */
  swapDigest(runbookId: string, actionId: string, digest: string): Promise<string | undefined>;
}

export interface ScheduledRunbookDeps {
  actions: Pick<ActionService, 'dryRun' | 'request' | 'killSwitch'>;
  memory: ScheduleMemory;
  services: Pick<ServiceCatalog, 'channelFor' | 'group'>;
  /** Posts what a run found in the background; `key` is unique per message, so that no message replaces another. */
  post(key: string, message: { channel: string; finding: Finding }): void;
  log: Logger;
}

/** What a scheduled run did, as facts for src/slack/render to say. */
export type ScheduledOutcome =
  /** A dry run; without `rehearsal` (a read-only action without dry_run_command) the plan is what there is to show. */
  | { kind: 'dry_run'; plan: Pick<ExecutionPlan, 'title' | 'summary'>; rehearsal: Rehearsal | undefined }
  /** The real run was requested as action `requested`, which posts its own messages. */
  | { kind: 'requested'; title: string; requested: string }
  /** Refused with what a person must fix (a parameter, the inventory, a pause). */
  | { kind: 'refused'; mode: Schedule['mode']; title: string; refusal: BotError };

/** What one scheduled run of an action found, and when it deserves a message. */
export interface Finding {
  /** Whose channel hears about it; undefined for the default channel. */
  service: string | undefined;
  ok: boolean;
  runbookId: string;
  actionId: string;
  outcome: ScheduledOutcome;
  /** What is compared with the previous run. */
  fingerprint: string;
  /**
   * `always`: a failing dry run, which needs someone however often it repeats; `on-change`:
   * only when the fingerprint differs from the previous run's; `never`: an applied action,
   * which posts its own messages.
   */
  post: 'always' | 'on-change' | 'never';
}

interface Tick {
  runbook: Runbook;
  schedule: Schedule;
  action: FleetAction;
  firedAt: Date;
}

/** Adds one job per scheduled runbook: `runbook:<id>`, on the runbook's cron and time zone. */
export function scheduleRunbooks(scheduler: { add(job: ScheduledJob): void }, runbooks: readonly Runbook[], deps: ScheduledRunbookDeps): void {
  for (const runbook of runbooks) {
    const { schedule } = runbook;
    if (!schedule) continue;
    const actions = scheduledActions(runbook, schedule);
    scheduler.add({
      name: `runbook:${runbook.id}`,
      cron: schedule.cron,
      ...(schedule.timezone ? { timezone: schedule.timezone } : {}),
      run: async (firedAt) => {
        for (const action of actions) await runScheduled({ runbook, schedule, action, firedAt }, deps);
      },
    });
  }
}

/** The fleet actions a schedule names, in its order, else every fleet action of the runbook. */
function scheduledActions(runbook: Runbook, schedule: Schedule): FleetAction[] {
  const fleet = runbook.actions.filter((action): action is FleetAction => action.kind === 'fleet');
  if (!schedule.actions) return fleet;
  return [...new Set(schedule.actions)].flatMap((id) => fleet.filter((action) => action.id === id));
}

/** One action of one tick; nothing it throws reaches the scheduler, which would only log it less precisely. */
async function runScheduled(tick: Tick, deps: ScheduledRunbookDeps): Promise<void> {
  const log = deps.log.child({ runbook: tick.runbook.id, action: tick.action.id, firedAt: tick.firedAt.toISOString(), mode: tick.schedule.mode });
  try {
    const paused = await deps.actions.killSwitch();
    if (paused) {
      // A paused bot stays quiet: the pause itself was announced when someone set it.
      log.warn({ pausedBy: paused.by, pauseReason: paused.reason }, 'scheduled run skipped: automation is paused');
      return;
    }
    await report(tick, await findingOf(tick, deps, log), deps, log);
  } catch (error) {
    log.error({ err: error }, 'scheduled run failed');
  }
}

async function findingOf(tick: Tick, deps: ScheduledRunbookDeps, log: Logger): Promise<Finding> {
  try {
    return tick.schedule.mode === 'apply' ? await apply(tick, deps, log) : await dryRun(tick, deps);
  } catch (error) {
    if (isRefusal(error)) return refusalFinding(tick, error, deps);
    throw error;
  }
}

function requestOf(tick: Tick): FleetActionRequest {
  return {
    kind: 'fleet',
    userId: SCHEDULER_USER,
    reason: `schedule ${tick.runbook.id}`,
    fleet: { runbookId: tick.runbook.id, actionId: tick.action.id, labels: {}, args: {}, instances: [], hosts: [] },
  };
}

async function dryRun(tick: Tick, deps: ScheduledRunbookDeps): Promise<Finding> {
  const { plan, rehearsal } = await deps.actions.dryRun(requestOf(tick));
  return dryRunFinding(tick.runbook, tick.action, plan, rehearsal);
}

async function apply(tick: Tick, deps: ScheduledRunbookDeps, log: Logger): Promise<Finding> {
  const action = await deps.actions.request(requestOf(tick));
  log.info({ actionId: action.id, state: action.state }, 'scheduled run requested');
  return {
    service: action.service,
    ok: true,
    runbookId: tick.runbook.id,
    actionId: tick.action.id,
    outcome: { kind: 'requested', title: action.plan.title, requested: action.id },
    // Recorded so that a refusal after a good run is news again.
    fingerprint: 'requested',
    post: 'never',
  };
}

/** Refusals are what a person must fix (a parameter, the inventory, SSH settings); other errors are ours, and logged. */
const REFUSALS: ReadonlySet<ErrorCode> = new Set(['ACTION_REFUSED', 'AUTOMATION_PAUSED', 'TEMPLATE_REFUSED', 'EXECUTOR_REFUSED', 'GITLAB_OUTCOME_UNKNOWN']);

function isRefusal(error: unknown): error is BotError {
  return error instanceof BotError && REFUSALS.has(error.code);
}

export function dryRunFinding(runbook: Runbook, action: FleetAction, plan: ExecutionPlan, rehearsal: Rehearsal | undefined): Finding {
  // A read-only action without dry_run_command has no dry run: running it is as safe.
  const ok = rehearsal?.ok ?? true;
  // Each host's result without its duration, which differs every run.
  const hosts = (rehearsal?.hosts ?? []).map(({ host, ok: hostOk, output }) => ({ host, ok: hostOk, output }));
  return {
    service: plan.service,
    ok,
    runbookId: runbook.id,
    actionId: action.id,
    outcome: { kind: 'dry_run', plan: { title: plan.title, summary: plan.summary }, rehearsal },
    fingerprint: JSON.stringify({ ok, hosts, plan: rehearsal ? undefined : plan.summary }),
    post: ok ? 'on-change' : 'always',
  };
}

function refusalFinding(tick: Tick, error: BotError, deps: ScheduledRunbookDeps): Finding {
  const { targets } = tick.action;
  return {
    service: targets.from === 'service-hosts' ? targets.service : targets.from === 'group' ? deps.services.group(targets.group)?.service : undefined,
    ok: false,
    runbookId: tick.runbook.id,
    actionId: tick.action.id,
    outcome: { kind: 'refused', mode: tick.schedule.mode, title: tick.action.title, refusal: error },
    // The same refusal every tick is one problem, posted once.
    fingerprint: `refused\n${error.message}`,
    post: 'on-change',
  };
}

export function digestOf(fingerprint: string): string {
  return createHash('sha256').update(fingerprint).digest('hex');
}

export function worthPosting(finding: Finding, previousDigest: string | undefined): boolean {
  if (finding.post !== 'on-change') return finding.post === 'always';
  return digestOf(finding.fingerprint) !== previousDigest;
}

async function report(tick: Tick, finding: Finding, deps: ScheduledRunbookDeps, log: Logger): Promise<void> {
  const previous = await deps.memory.swapDigest(tick.runbook.id, tick.action.id, digestOf(finding.fingerprint));
  if (!worthPosting(finding, previous)) {
    log.debug({ ok: finding.ok }, 'scheduled run unchanged; not posted');
    return;
  }
  const channel = deps.services.channelFor(finding.service);
  deps.post(`schedule:${tick.runbook.id}:${tick.action.id}:${tick.firedAt.toISOString()}`, { channel, finding });
  log.info({ channel, ok: finding.ok }, 'scheduled run posted');
}
