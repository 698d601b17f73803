/**
 * Fleet remediation behind the actions layer's Executor port. `plan` resolves the hosts,
 * renders the command and splits the hosts into batches, so that approvers approve
 * exactly that; `rehearse` is the dry run; `run` starts the rollout in this process under
 * a renewed claim; `status` reads the rollout's state from Redis and, when the process
 * that ran it is gone (its claim lapsed), resumes it here.
 */
import type { Logger } from 'pino';
import { displayActionId } from '../actions/action.js';
import { ExecutorRefusal, type ExecutionPlan, type Executor, type PlanRequest, type RunContext, type RunHandle, type RunStatus } from '../actions/executor.js';
import type { FleetAction, Runbook } from '../runbooks/schema.js';
import { durationMs } from '../config/duration-field.js';
import type { HealthCheck } from '../services/schema.js';
import { storedHostResult, type Rehearsal } from '../timeline/fleet-facts.js';
import type { EvaluateRound } from '../verify/checks.js';
import { readParams, writeParams, type FleetParams } from './plan-params.js';
import { planRollout, type Batch } from './rollout.js';
import { alreadySucceeded, succeededEnd } from './rollout-end.js';
import { runDryRun, runRollout, type BatchRun, type HostOutcome, type HostResultStore, type Pause, type RolloutEnd } from './rollout-runner.js';
import type { RolloutState, RolloutStateStore } from './rollout-state.js';
import { resolveTargets, type FleetInventory } from './targets.js';
import { renderCommand } from './template.js';
import { describeVerify, resolveVerifyChecks, samplingOf } from './verify-plan.js';

export const FLEET_EXECUTOR = 'fleet';

/** What a rollout tells the metrics. */
export interface FleetObserver {
  hostsRan(outcomes: readonly HostOutcome[]): void;
  /** `succeeded_with_failures`: it ran to its end with failures `max_failures` tolerated. */
  rolloutEnded(end: 'succeeded' | 'succeeded_with_failures' | 'halted' | 'paused'): void;
}

export interface FleetExecutorOptions {
  runbooks: readonly Runbook[];
  inventory: FleetInventory;
  /** How the action's commands reach its hosts (SSH, a pipeline); `addresses` maps host names to SSH addresses. */
  runnerFor(action: FleetAction, addresses: ReadonlyMap<string, string>): BatchRun;
  results: HostResultStore;
  rollouts: RolloutStateStore;
  /** The kill switch: who paused automation and why, or undefined. */
  pausedBy(): Promise<Pause | undefined>;
  log: Logger;
  observer?: FleetObserver;
  /** How long a claim outlives a process that stopped renewing it. */
  claimTtlMs?: number;
  /** One round of a service's health checks (PROMETHEUS_URL); without it, an action with `verify` is refused. */
  rounds?: EvaluateRound;
  /** A service's `health` checks from the services file: what a runbook's `verify` names. */
  healthOf?: (service: string) => readonly HealthCheck[] | undefined;
}

const DEFAULT_CLAIM_TTL_MS = 30_000;

function describeBatches(batches: readonly Batch[]): string {
  return batches.map((b) => `${b.canary ? 'canary' : `batch ${b.index + 1}`}: ${b.hosts.join(', ')}`).join(' | ');
}

/**
 * A parameter read from a label the alerts disagree on would silently take its default
 * (cleaning "/" when one host's alert said "/data"): refused, so a person picks per host.
 */
function refuseDisagreeingLabels(action: FleetAction, disagreeing: readonly string[]): void {
  for (const [param, spec] of Object.entries(action.params)) {
    const label = spec.name ?? param;
    if (spec.from === 'label' && disagreeing.includes(label)) {
      throw new ExecutorRefusal(
        `Refused: parameter "${param}" reads label ${label}, and the alerts of this incident disagree on it, so no one value fits every host. Nothing was run; run it from an incident of a single host.`,
      );
    }
  }
}

export class FleetExecutor implements Executor {
  private readonly running = new Map<string, Promise<void>>();
  private readonly shutdown = new AbortController();
  private readonly claimTtlMs: number;

  constructor(private readonly o: FleetExecutorOptions) {
    this.claimTtlMs = o.claimTtlMs ?? DEFAULT_CLAIM_TTL_MS;
  }

  async plan(request: PlanRequest): Promise<ExecutionPlan> {
    if (request.kind !== 'fleet') throw new ExecutorRefusal(`The fleet executor cannot run a ${request.kind} action`);
    const { runbookId, actionId } = request.fleet;
    const action = this.actionOf(runbookId, actionId);
    const { service, hosts } = resolveTargets(
      action.targets,
      { ...(request.service ? { service: request.service } : {}), instances: request.fleet.instances, hosts: request.fleet.hosts },
      this.o.inventory,
    );
    // Refuses now, not after approval, when the action's way to its hosts is not configured.
    this.o.runnerFor(action, new Map(hosts.map((h) => [h.name, h.address])));
    refuseDisagreeingLabels(action, request.fleet.disagreeing ?? []);
    const sources = { labels: request.fleet.labels, args: request.fleet.args };
    const command = renderCommand(action.command, action.params, sources);
    const dryRun = action.dry_run_command === undefined ? undefined : renderCommand(action.dry_run_command, action.params, sources);
    const batches = planRollout(
      hosts.map((h) => h.name),
      action.rollout,
    );
    const { rollout } = action;
    const checks = action.verify ? resolveVerifyChecks(action.verify, service, this.o.healthOf, this.o.rounds !== undefined) : [];
    const summary = [
      `runbook: ${runbookId} / ${actionId} (${action.title})${action.readonly ? ', read-only' : ''}`,
      `service: ${service}`,
      `hosts (${hosts.length}): ${hosts.map((h) => h.name).join(', ')}`,
      `batches: ${describeBatches(batches)}`,
      `halts when more than ${rollout.max_failures} host(s) fail; ${rollout.pause} between batches; ${action.timeout} per host`,
      ...(action.verify ? [describeVerify(action.verify, checks)] : []),
      ...Object.entries(command.values).map(([name, value]) => `param ${name}: ${value}`),
      ...(request.fleet.continues ? [`continues ${displayActionId(request.fleet.continues)}: hosts that succeeded there are skipped`] : []),
      'command:',
      command.command,
    ];
    const params: FleetParams = {
      runbook: runbookId,
      action: actionId,
      hosts,
      command: command.command,
      dryRunCommand: dryRun?.command ?? '',
      batches: batches.map((b) => b.hosts),
      continues: request.fleet.continues ?? '',
      checks,
    };
    return {
      executor: FLEET_EXECUTOR,
      service,
      title: `${action.title} on ${hosts.length} host${hosts.length === 1 ? '' : 's'}`,
      needsApproval: action.approval !== 'none',
      targets: hosts.map((h) => h.name),
      summary,
      params: writeParams(params),
    };
  }

  /**
   * The dry run on every target: `dry_run_command`, else, over SSH, a check that every host
   * answers. Without a dry_run_command a read-only action has nothing to rehearse (running
   * it is as safe), nor has a pipeline (it would only start a pipeline to run `true`).
   */
  async rehearse(plan: ExecutionPlan): Promise<Rehearsal | undefined> {
    const params = readParams(plan);
    const action = this.actionOf(params.runbook, params.action);
    if (!params.dryRunCommand && (action.readonly || action.executor.type !== 'ssh')) return undefined;
    const names = params.hosts.map((h) => h.name);
    const done = params.continues ? alreadySucceeded(await this.o.results.results(params.continues), names) : new Set<string>();
    const targets = names.filter((name) => !done.has(name));
    const outcomes =
      targets.length === 0 ? [] : await runDryRun(targets, params.dryRunCommand || 'true', durationMs(action.timeout), this.runner(action, params));
    const check = params.dryRunCommand ? 'dry_run_command' : 'reachability';
    return { ok: outcomes.every((o) => o.ok), check, hosts: outcomes, ...(done.size > 0 ? { skipped: names.filter((name) => done.has(name)) } : {}) };
  }

  async run(plan: ExecutionPlan, run: RunContext): Promise<RunHandle> {
    await this.o.rollouts.setRolloutState(run.actionId, { state: 'running', detail: 'started' });
    this.launch(plan, run, false);
    return { id: run.actionId, url: '', params: {} };
  }

  async status(plan: ExecutionPlan, _handle: RunHandle, run: RunContext): Promise<RunStatus> {
    const state = await this.o.rollouts.rolloutState(run.actionId);
    if (!state || state.state === 'running') {
      // A no-op when this process runs it or another process holds the claim.
      this.launch(plan, run, true);
      return { state: 'running' };
    }
    if (state.state === 'succeeded') return { state: 'succeeded', detail: state.detail };
    return { state: 'failed', detail: state.detail, resumable: true };
  }

  async stop(): Promise<void> {
    this.shutdown.abort();
    await Promise.allSettled([...this.running.values()]);
  }

  private launch(plan: ExecutionPlan, run: RunContext, resumed: boolean): void {
    const { actionId } = run;
    if (this.running.has(actionId) || this.shutdown.signal.aborted) return;
    const job = this.runClaimed(plan, run, resumed)
      .catch((error: unknown) => this.o.log.error({ err: error, actionId }, 'fleet rollout failed; another status check resumes it'))
      .finally(() => this.running.delete(actionId));
    this.running.set(actionId, job);
  }

  private async runClaimed(plan: ExecutionPlan, run: RunContext, resumed: boolean): Promise<void> {
    const { actionId } = run;
    const claim = await this.o.rollouts.claimRollout(actionId, this.claimTtlMs);
    if (!claim) return;
    const lost = new AbortController();
    const heartbeat = setInterval(() => {
      claim.renew().then(
        (held) => held || lost.abort(),
        (error: unknown) => this.o.log.warn({ err: error, actionId }, 'rollout claim not renewed'),
      );
    }, this.claimTtlMs / 3);
    try {
      if (resumed) this.o.log.info({ actionId }, 'resuming a fleet rollout');
      const end = await this.rollout(plan, run, resumed, AbortSignal.any([this.shutdown.signal, lost.signal]));
      if (end) await this.o.rollouts.setRolloutState(actionId, end);
    } finally {
      clearInterval(heartbeat);
      await claim.release();
    }
  }

  /** Runs what is left of the rollout; undefined when it stopped for another process to go on. */
  private async rollout(plan: ExecutionPlan, run: RunContext, resumed: boolean, signal: AbortSignal): Promise<RolloutState | undefined> {
    const params = readParams(plan);
    const action = this.actionOf(params.runbook, params.action);
    const resultsId = params.continues || run.actionId;
    const before = (await this.o.results.results(resultsId)).filter((o) => o.ok).length;
    const { rounds } = this.o;
    // The checks approved with the plan; a plan stored before `verify` existed has none.
    const sampling = action.verify && params.checks.length > 0 ? samplingOf(action.verify) : undefined;
    const end: RolloutEnd = await runRollout(
      {
        id: resultsId,
        plan: params.batches.map((hosts, index) => ({ index, canary: index === 0 && action.rollout.canary > 0, hosts })),
        command: params.command,
        timeoutMs: durationMs(action.timeout),
        pauseMs: durationMs(action.rollout.pause),
        maxFailures: action.rollout.max_failures,
        resumed,
        ...(sampling ? { verify: sampling } : {}),
      },
      {
        run: this.runner(action, params),
        store: this.o.results,
        pausedBy: () => this.o.pausedBy(),
        onBatch: (batch, outcomes, of) => {
          this.o.observer?.hostsRan(outcomes);
          return run.report({
            kind: 'batch_ran',
            actionId: run.actionId,
            batch: batch.index + 1,
            of,
            canary: batch.canary,
            hosts: outcomes.map(storedHostResult),
          });
        },
        ...(rounds && sampling ? { round: () => rounds(plan.service, params.checks) } : {}),
        onVerified: (batch, sampled, of, facts) =>
          run.report({ kind: 'verified', actionId: run.actionId, batch: batch.index + 1, of, canary: batch.canary, rounds: sampled, ...facts }),
        signal,
      },
    );
    if (end.state !== 'stopped' && end.state !== 'succeeded') this.o.observer?.rolloutEnded(end.state);
    switch (end.state) {
      case 'stopped':
        return undefined;
      case 'succeeded': {
        const detail = succeededEnd(await this.o.results.results(resultsId), params.batches.flat(), before);
        this.o.observer?.rolloutEnded(detail.failed ? 'succeeded_with_failures' : 'succeeded');
        return { state: 'succeeded', detail };
      }
      case 'paused':
        await run.stoppedByPause(end.pause);
        return { state: 'paused', detail: { kind: 'fleet_paused', pauseReason: end.pause.reason } };
      case 'halted':
        await run.report({ kind: 'halted', actionId: run.actionId, reason: end.reason, failed: end.failed.map(storedHostResult) });
        return { state: 'halted', detail: { kind: 'fleet_halted', reason: end.reason, failed: end.failed.map((o) => o.host) } };
    }
  }

  private runner(action: FleetAction, params: FleetParams): BatchRun {
    return this.o.runnerFor(action, new Map(params.hosts.map((h) => [h.name, h.address])));
  }

  private actionOf(runbookId: string, actionId: string): FleetAction {
    const runbook = this.o.runbooks.find((r) => r.id === runbookId);
    if (!runbook) throw new ExecutorRefusal(`No runbook "${runbookId}" is loaded. Runbooks: ${this.o.runbooks.map((r) => r.id).join(', ') || '(none)'}.`);
    const action = runbook.actions.find((a) => a.id === actionId);
    if (!action) throw new ExecutorRefusal(`Runbook ${runbookId} has no action "${actionId}". Its actions: ${runbook.actions.map((a) => a.id).join(', ')}.`);
    if (action.kind !== 'fleet') throw new ExecutorRefusal(`${runbookId} / ${actionId} is a ${action.kind} action, not a fleet action.`);
    return action;
  }
}
