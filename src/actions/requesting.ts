/**
 * Asking for an action: plan it, dry-run it when its executor can (the result goes to the
 * approvers), refuse what would overlap an open action, and store it awaiting approval. A
 * halted rollout is continued the same way, as a new request over the same plan.
 */
import { formatDuration } from '../config/duration.js';
import { rehearsalBrief, storedHostResult, type Rehearsal } from '../timeline/fleet-facts.js';
import { ActionRefused, AutomationPaused, continued, displayActionId, requestAction, type Action, type ActionKind } from './action.js';
import type { ActionContext } from './context.js';
import type { ExecutionPlan, Executor, FleetRequest, PlanRequest } from './executor.js';
import { retried, toleratedFailuresOf } from './fleet-outcome.js';
import type { ServicePolicy } from './ports.js';

export interface RollbackRequest {
  kind: 'rollback';
  service: string;
  userId: string;
  target?: string;
  force: boolean;
  reason: string;
  /** A runbook button on an incident message links the request to that incident. */
  incidentId?: string;
}

export interface FleetActionRequest {
  kind: 'fleet';
  /** The service the alert names, if any; the plan decides which service's approvers decide. */
  service?: string;
  userId: string;
  reason: string;
  incidentId?: string;
  fleet: FleetRequest;
}

export type ActionRequest = RollbackRequest | FleetActionRequest;

/** What an action asks its executor to plan; the running use case re-plans a stored action the same way. */
export function planRequestOf(req: Pick<ActionRequest, 'kind' | 'service'> & { target?: string; fleet?: FleetRequest }): PlanRequest {
  if (req.kind === 'rollback') return { kind: 'rollback', service: req.service ?? '', ...(req.target ? { target: req.target } : {}) };
  if (!req.fleet) throw new ActionRefused('This fleet action was stored without its request and cannot be re-planned; request it again.');
  return { kind: 'fleet', ...(req.service ? { service: req.service } : {}), fleet: req.fleet };
}

export interface RequestingOptions {
  executors: Readonly<Record<ActionKind, Executor>>;
  expiryMs: number;
  cooldownMs: number;
  /** Runs an action that needs no (more) approval, in the background. */
  start(id: string): void;
  /** Withdraws a request this use case made in vain (a continuation someone else made first). */
  cancel(id: string, userId: string): Promise<Action>;
}

/** Longer than the slowest dry run (a host's timeout is at most 1h, but dry runs are short). */
const PREPARE_LEASE_MS = 10 * 60_000;

export class Requesting {
  constructor(
    private readonly ctx: ActionContext,
    private readonly o: RequestingOptions,
  ) {}

  /**
   * Plans the request, dry-runs it when its executor can (the result goes to approvers),
   * and stores it awaiting approval, or runs it when no approval is needed.
   */
  async request(req: ActionRequest): Promise<Action> {
    if (req.kind === 'rollback') return this.requestPrepared(req);
    // Held while the dry run runs: until the request is stored, the open-action check cannot see it.
    const key = `fleet-request:${req.fleet.runbookId}:${req.fleet.actionId}`;
    const release = await this.ctx.store.lease(key, PREPARE_LEASE_MS);
    if (!release) {
      throw new ActionRefused(
        `Another request of ${req.fleet.runbookId} / ${req.fleet.actionId} is being prepared (its dry run is running); look for it in the thread before asking again.`,
      );
    }
    try {
      return await this.requestPrepared(req);
    } finally {
      await release();
    }
  }

  /** Only the dry run: what the request would do, with nothing stored and nothing changed. */
  async dryRun(req: FleetActionRequest): Promise<{ plan: ExecutionPlan; rehearsal: Rehearsal | undefined }> {
    const prepared = await this.prepare(req);
    this.requirePolicy(prepared.plan.service);
    return prepared;
  }

  /**
   * Continues a halted fleet rollout as a new action over the same plan, approved again;
   * it shares the per-host results, so the hosts that succeeded are skipped.
   */
  async continueRollout(id: string, userId: string): Promise<Action> {
    const previous = await this.ctx.require(id);
    if (previous.kind !== 'fleet' || !previous.fleet || previous.state !== 'failed' || !previous.resumable) {
      throw new ActionRefused(
        `${displayActionId(id)} is ${previous.state}${previous.state === 'failed' ? ' and was already continued or aborted' : ''}; there is nothing to continue.`,
      );
    }
    const next = await this.request({
      kind: 'fleet',
      service: previous.service,
      userId,
      reason: `continues ${displayActionId(id)}`,
      ...(previous.incidentId ? { incidentId: previous.incidentId } : {}),
      fleet: { ...previous.fleet, continues: previous.fleet.continues ?? id },
    });
    const handedOver = await this.ctx.commit(continued(previous, { userId, now: this.ctx.now() }, next.id), previous.version);
    if (!handedOver) {
      // Someone else continued or aborted it first: this request must not run beside theirs.
      await this.o
        .cancel(next.id, userId)
        .catch((error: unknown) => this.ctx.log.warn({ err: error, actionId: next.id }, 'duplicate continuation not cancelled'));
      throw new ActionRefused(`${displayActionId(id)} was continued or aborted by someone else just now.`);
    }
    return next;
  }

  /**
   * Asks again for the hosts a rollout that succeeded with failures tolerated as failed: a
   * new action over just those hosts (`FleetRequest.hosts` narrows the targets), dry-run
   * and approved like any other. Done once per rollout.
   */
  async retryFailed(id: string, userId: string): Promise<Action> {
    const previous = await this.ctx.require(id);
    // Refuses what cannot be retried before the dry run, which would run for nothing.
    retried(previous, { userId, now: this.ctx.now() }, '');
    if (!previous.fleet) throw new ActionRefused(`${displayActionId(id)} was stored without its request and cannot be retried; request it again.`);
    const hosts = toleratedFailuresOf(previous).map((f) => f.host);
    // Its own rollout: the hosts failed, so nothing of the one before is skipped.
    const { continues: _continues, ...fleet } = previous.fleet;
    const next = await this.request({
      kind: 'fleet',
      service: previous.service,
      userId,
      reason: `retries the failed hosts of ${displayActionId(id)}`,
      ...(previous.incidentId ? { incidentId: previous.incidentId } : {}),
      fleet: { ...fleet, hosts },
    });
    if (!(await this.ctx.commit(retried(previous, { userId, now: this.ctx.now() }, next.id), previous.version))) {
      await this.o.cancel(next.id, userId).catch((error: unknown) => this.ctx.log.warn({ err: error, actionId: next.id }, 'duplicate retry not cancelled'));
      throw new ActionRefused(`The failed hosts of ${displayActionId(id)} were asked for again by someone else just now.`);
    }
    return next;
  }

  /**
   * A rollback the service's settings approve in advance (deploy_guard mode auto): stored
   * approved and started at once, through the same claim, kill switch, cooldown and audit.
   */
  requestPreApproved(req: RollbackRequest): Promise<Action> {
    return this.requestPrepared(req, true);
  }

  private async requestPrepared(req: ActionRequest, preApproved = false): Promise<Action> {
    let recent: string | undefined;
    if (req.kind === 'rollback') {
      this.requirePolicy(req.service);
      recent = await this.ctx.store.cooldownOf(req.service);
      if (recent && !req.force) {
        throw new ActionRefused(
          `${req.service} was rolled back by ${displayActionId(recent)} less than ${formatDuration(this.o.cooldownMs)} ago. Add --force to request another rollback anyway.`,
        );
      }
    }
    const { plan, rehearsal } = await this.prepare(req);
    const policy = this.requirePolicy(plan.service);
    if (req.kind === 'fleet') await this.refuseOverlapping(req.fleet, plan);
    const link = req.incidentId
      ? { incidentId: req.incidentId, threadTs: await this.ctx.incidents.threadOf(req.incidentId) }
      : await this.ctx.incidents.openIncidentFor(plan.service);
    const outcome = requestAction({
      id: await this.ctx.store.nextActionId(),
      kind: req.kind,
      service: plan.service,
      plan,
      requestedBy: req.userId,
      requesterIsApprover: preApproved || (await this.ctx.isApprover(req.userId, policy.approvers)),
      ...(preApproved ? { preApproved } : {}),
      reason: req.reason,
      approvals: policy.approvals,
      expiresInMs: this.o.expiryMs,
      forced: req.kind === 'rollback' && req.force,
      ...(recent ? { warning: `Inside the cooldown: ${displayActionId(recent)} rolled ${plan.service} back recently (--force).` } : {}),
      ...(req.kind === 'rollback' && req.target ? { target: req.target } : {}),
      ...(req.kind === 'fleet' ? { fleet: req.fleet } : {}),
      ...(rehearsal ? { rehearsal: rehearsalBrief(rehearsal) } : {}),
      ...(link?.incidentId ? { incidentId: link.incidentId } : {}),
      channel: policy.channel,
      ...(link?.threadTs ? { threadTs: link.threadTs } : {}),
      now: this.ctx.now(),
    });
    await this.ctx.commit(outcome, 0);
    if (rehearsal) {
      const stored = { ...rehearsal, hosts: rehearsal.hosts.map(storedHostResult) };
      await this.ctx.note(outcome.action, 'bot', { kind: 'rehearsed', actionId: outcome.action.id, rehearsal: stored });
    }
    if (outcome.action.state === 'approved') this.o.start(outcome.action.id);
    return outcome.action;
  }

  private async prepare(req: ActionRequest): Promise<{ plan: ExecutionPlan; rehearsal: Rehearsal | undefined }> {
    const executor = this.o.executors[req.kind];
    if (req.kind === 'fleet') {
      // Touching no host at all while paused, not even for a read-only dry run.
      const paused = await this.ctx.store.killSwitch();
      if (paused) throw new AutomationPaused(paused.by, paused.reason);
    }
    const plan = await executor.plan(planRequestOf(req));
    const rehearsal = executor.rehearse ? await executor.rehearse(plan) : undefined;
    return { plan, rehearsal };
  }

  /**
   * Never the same action twice: a fleet request is refused while an open action (awaiting
   * approval or running) of the same runbook action targets one of its hosts.
   */
  private async refuseOverlapping(fleet: FleetRequest, plan: ExecutionPlan): Promise<void> {
    const ids = [...(await this.ctx.store.awaitingApprovalIds()), ...(await this.ctx.store.runningActionIds())];
    for (const id of ids) {
      const open = await this.ctx.store.getAction(id);
      if (open?.kind !== 'fleet' || open.fleet?.runbookId !== fleet.runbookId || open.fleet.actionId !== fleet.actionId) continue;
      if (open.state !== 'requested' && open.state !== 'running') continue;
      const shared = (open.plan.targets ?? []).filter((host) => plan.targets?.includes(host));
      if (shared.length > 0) {
        throw new ActionRefused(
          `${displayActionId(id)} (${open.state}) already does this on ${shared.join(', ')}; approve, cancel or wait for it rather than asking twice.`,
        );
      }
    }
  }

  private requirePolicy(service: string): ServicePolicy {
    const policy = this.ctx.policyOf(service);
    if (policy) return policy;
    const known = this.ctx.knownServices();
    throw new ActionRefused(`Unknown service "${service}". Known services: ${known.length > 0 ? known.join(', ') : '(none configured)'}.`);
  }
}
