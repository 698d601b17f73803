import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { formatDuration } from '../config/duration.js';
import {
  abort,
  ActionRefused,
  approve,
  attachRun,
  AutomationPaused,
  cancel,
  continued,
  deny,
  displayActionId,
  expire,
  finish,
  isExpired,
  requestAction,
  start,
  type Action,
  type ActionKind,
  type ActionOutcome,
} from './action.js';
import type { ActionStep } from '../timeline/action-step.js';
import { ExecutorRefusal, type ExecutionPlan, type Executor, type FleetRequest, type PlanRequest, type Rehearsal } from './executor.js';
import type { ActionStore, KillSwitch } from './store.js';

/** Who may approve: resolves user group membership behind the scenes. */
export interface ApproverDirectory {
  isApprover(userId: string, approverIds: readonly string[]): Promise<boolean>;
}

/** What the actions layer needs to know of a service. */
export interface ServicePolicy {
  approvers: readonly string[];
  approvals: number;
  channel: string;
}

/** What the actions layer needs of the incidents layer. */
export interface IncidentLink {
  /** The open incident of a service and the thread of its message, if any. */
  openIncidentFor(service: string): Promise<{ incidentId: string; threadTs?: string } | undefined>;
  /** The thread of an incident's message, once it is posted. */
  threadOf(incidentId: string): Promise<string | undefined>;
  beginMitigation(incidentId: string, actionId: string): Promise<void>;
  endMitigation(incidentId: string): Promise<void>;
  /** The incident's timeline grew (an action step), so its thread should show it. */
  timelineChanged(incidentId: string): void;
}

export interface ActionServiceOptions {
  store: ActionStore;
  /** One executor per kind of action; the actions layer never learns more of them. */
  executors: Readonly<Record<ActionKind, Executor>>;
  approvers: ApproverDirectory;
  policyOf: (service: string) => ServicePolicy | undefined;
  knownServices: () => string[];
  incidents: IncidentLink;
  log: Logger;
  expiryMs: number;
  cooldownMs: number;
  pollIntervalMs: number;
  /** Who may pause and resume automation; empty means anyone who approves some service. */
  killSwitchAdmins: readonly string[];
  now?: () => Date;
}

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

function planRequestOf(req: Pick<ActionRequest, 'kind' | 'service'> & { target?: string; fleet?: FleetRequest }): PlanRequest {
  if (req.kind === 'rollback') return { kind: 'rollback', service: req.service ?? '', ...(req.target ? { target: req.target } : {}) };
  if (!req.fleet) throw new ActionRefused('This fleet action was stored without its request and cannot be re-planned; request it again.');
  return { kind: 'fleet', ...(req.service ? { service: req.service } : {}), fleet: req.fleet };
}

const MAX_COMMIT_ATTEMPTS = 20;
/** Longer than the slowest dry run (a host's timeout is at most 1h, but dry runs are short). */
const PREPARE_LEASE_MS = 10 * 60_000;
/** Longer than the slowest start (GitLab retries included). */
const START_LEASE_MS = 10 * 60_000;
const MAX_POLL_BACKOFF_MS = 60_000;

/**
 * Use cases on actions: request, approve, deny, cancel, run exactly once, track to the end.
 * Every change is a compare-and-set in the store, so concurrent clicks and replicas agree.
 */
export class ActionService {
  private readonly listeners: Array<(actionId: string) => void> = [];
  private readonly now: () => Date;
  private readonly tracking = new Map<string, Promise<void>>();
  /** Executions under way in this process; concurrent clicks need not all re-plan. */
  private readonly executing = new Set<string>();
  private readonly shutdown = new AbortController();

  constructor(private readonly o: ActionServiceOptions) {
    this.now = o.now ?? (() => new Date());
  }

  onChange(listener: (actionId: string) => void): void {
    this.listeners.push(listener);
  }

  get(id: string): Promise<Action | undefined> {
    return this.o.store.getAction(id);
  }

  /**
   * Plans the request, dry-runs it when its executor can (the result goes to approvers),
   * and stores it awaiting approval, or runs it when no approval is needed.
   */
  async request(req: ActionRequest): Promise<Action> {
    if (req.kind === 'rollback') return this.requestPrepared(req);
    // Held while the dry run runs: until the request is stored, the open-action check cannot see it.
    const key = `fleet-request:${req.fleet.runbookId}:${req.fleet.actionId}`;
    const release = await this.o.store.lease(key, PREPARE_LEASE_MS);
    if (!release) {
      throw new ActionRefused(`Another request of ${req.fleet.runbookId} / ${req.fleet.actionId} is being prepared (its dry run is running); look for it in the thread before asking again.`);
    }
    try {
      return await this.requestPrepared(req);
    } finally {
      await release();
    }
  }

  private async requestPrepared(req: ActionRequest): Promise<Action> {
    let recent: string | undefined;
    if (req.kind === 'rollback') {
      this.requirePolicy(req.service);
      recent = await this.o.store.cooldownOf(req.service);
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
      ? { incidentId: req.incidentId, threadTs: await this.o.incidents.threadOf(req.incidentId) }
      : await this.o.incidents.openIncidentFor(plan.service);
    const outcome = requestAction({
      id: await this.o.store.nextActionId(),
      kind: req.kind,
      service: plan.service,
      plan,
      requestedBy: req.userId,
      requesterIsApprover: await this.o.approvers.isApprover(req.userId, policy.approvers),
      reason: req.reason,
      approvals: policy.approvals,
      expiresInMs: this.o.expiryMs,
      forced: req.kind === 'rollback' && req.force,
      ...(recent ? { warning: `Inside the cooldown: ${displayActionId(recent)} rolled ${plan.service} back recently (--force).` } : {}),
      ...(req.kind === 'rollback' && req.target ? { target: req.target } : {}),
      ...(req.kind === 'fleet' ? { fleet: req.fleet } : {}),
      ...(rehearsal ? { rehearsal: { ok: rehearsal.ok, summary: rehearsal.summary } } : {}),
      ...(link?.incidentId ? { incidentId: link.incidentId } : {}),
      channel: policy.channel,
      ...(link?.threadTs ? { threadTs: link.threadTs } : {}),
      now: this.now(),
    });
    await this.commit(outcome, 0);
    if (rehearsal) await this.note(outcome.action, 'bot', { kind: 'dry_run', actionId: outcome.action.id, summary: rehearsal.summary, details: rehearsal.details });
    if (outcome.action.state === 'approved') this.runInBackground(outcome.action.id);
    return outcome.action;
  }

  /** Only the dry run: what the request would do, with nothing stored and nothing changed. */
  async dryRun(req: FleetActionRequest): Promise<{ plan: ExecutionPlan; rehearsal: Rehearsal | undefined }> {
    const prepared = await this.prepare(req);
    this.requirePolicy(prepared.plan.service);
    return prepared;
  }

  private async prepare(req: ActionRequest): Promise<{ plan: ExecutionPlan; rehearsal: Rehearsal | undefined }> {
    const executor = this.o.executors[req.kind];
    if (req.kind === 'fleet') {
      // Touching no host at all while paused, not even for a read-only dry run.
      const paused = await this.o.store.killSwitch();
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
    const ids = [...(await this.o.store.awaitingApprovalIds()), ...(await this.o.store.runningActionIds())];
    for (const id of ids) {
      const open = await this.o.store.getAction(id);
      if (open?.kind !== 'fleet' || open.fleet?.runbookId !== fleet.runbookId || open.fleet.actionId !== fleet.actionId) continue;
      if (open.state !== 'requested' && open.state !== 'running') continue;
      const shared = (open.plan.targets ?? []).filter((host) => plan.targets?.includes(host));
      if (shared.length > 0) {
        throw new ActionRefused(`${displayActionId(id)} (${open.state}) already does this on ${shared.join(', ')}; approve, cancel or wait for it rather than asking twice.`);
      }
    }
  }

  private requirePolicy(service: string): ServicePolicy {
    const policy = this.o.policyOf(service);
    if (policy) return policy;
    const known = this.o.knownServices();
    throw new ActionRefused(`Unknown service "${service}". Known services: ${known.length > 0 ? known.join(', ') : '(none configured)'}.`);
  }

  /**
   * Continues a halted fleet rollout as a new action over the same plan, approved again;
   * it shares the per-host results, so the hosts that succeeded are skipped.
   */
  async continueRollout(id: string, userId: string): Promise<Action> {
    const previous = await this.require(id);
    if (previous.kind !== 'fleet' || !previous.fleet || previous.state !== 'failed' || !previous.resumable) {
      throw new ActionRefused(`${displayActionId(id)} is ${previous.state}${previous.state === 'failed' ? ' and was already continued or aborted' : ''}; there is nothing to continue.`);
    }
    const next = await this.request({
      kind: 'fleet',
      service: previous.service,
      userId,
      reason: `continues ${displayActionId(id)}`,
      ...(previous.incidentId ? { incidentId: previous.incidentId } : {}),
      fleet: { ...previous.fleet, continues: previous.fleet.continues ?? id },
    });
    const handedOver = await this.commit(continued(previous, { userId, now: this.now() }, next.id), previous.version);
    if (!handedOver) {
      // Someone else continued or aborted it first: this request must not run beside theirs.
      await this.cancel(next.id, userId).catch((error: unknown) => this.o.log.warn({ err: error, actionId: next.id }, 'duplicate continuation not cancelled'));
      throw new ActionRefused(`${displayActionId(id)} was continued or aborted by someone else just now.`);
    }
    return next;
  }

  abort(id: string, userId: string): Promise<Action> {
    return this.decide(id, userId, (current, isApprover) => abort(current, { userId, isApprover, now: this.now() }));
  }

  /** A step an executor reports while it runs (a batch's results), for the timeline and the thread. */
  async remark(id: string, text: string): Promise<void> {
    await this.note(await this.require(id), 'bot', { kind: 'remark', actionId: id, text });
  }

  async approve(id: string, userId: string): Promise<Action> {
    const action = await this.decide(id, userId, (current, isApprover) => {
      // An approved action that could not run (automation paused) runs on a later approval.
      if (current.state === 'approved' && isApprover) return undefined;
      return approve(current, { userId, isApprover, now: this.now() });
    });
    if (action.state === 'approved') this.runInBackground(id);
    return action;
  }

  deny(id: string, userId: string): Promise<Action> {
    return this.decide(id, userId, (current, isApprover) => deny(current, { userId, isApprover, now: this.now() }));
  }

  cancel(id: string, userId: string): Promise<Action> {
    return this.decide(id, userId, (current, isApprover) => cancel(current, { userId, isApprover, now: this.now() }));
  }

  /** Applies a person's decision; an expired request is marked so and refused. */
  private async decide(
    id: string,
    userId: string,
    decision: (current: Action, isApprover: boolean) => ActionOutcome | undefined,
  ): Promise<Action> {
    for (let attempt = 0; attempt < MAX_COMMIT_ATTEMPTS; attempt += 1) {
      const current = await this.require(id);
      if (current.state === 'requested' && isExpired(current, this.now())) {
        await this.commit(expire(current, this.now()), current.version);
        throw new ActionRefused(`${displayActionId(id)} expired at ${current.expiresAt} without enough approvals; request it again.`);
      }
      const policy = this.o.policyOf(current.service);
      const isApprover = await this.o.approvers.isApprover(userId, policy?.approvers ?? []);
      let outcome: ActionOutcome | undefined;
      try {
        outcome = decision(current, isApprover);
      } catch (error) {
        if (error instanceof ActionRefused) await this.note(current, userId, { kind: 'refused', actionId: id, reason: error.message });
        throw error;
      }
      if (!outcome) return current;
      if (await this.commit(outcome, current.version)) return { ...outcome.action, version: current.version + 1 };
    }
    throw new Error(`Gave up deciding on ${displayActionId(id)} after ${MAX_COMMIT_ATTEMPTS} conflicting writes`);
  }

  /** Re-checks everything, claims the run atomically, starts it and tracks it to the end. */
  async execute(id: string): Promise<void> {
    const action = await this.require(id);
    if (action.state !== 'approved') return;
    const paused = await this.o.store.killSwitch();
    if (paused) {
      await this.note(action, 'bot', { kind: 'held', actionId: id, pausedBy: paused.by, pauseReason: paused.reason });
      return;
    }
    if (isExpired(action, this.now())) {
      await this.commit(expire(action, this.now()), action.version);
      return;
    }
    const executor = this.o.executors[action.kind];
    let fresh;
    try {
      fresh = await executor.plan(planRequestOf(action));
    } catch (error) {
      await this.commit(finish(action, { succeeded: false, detail: `not run: ${(error as Error).message}` }, this.now()), action.version);
      return;
    }
    if (JSON.stringify(fresh.params) !== JSON.stringify(action.plan.params)) {
      const detail = `not run: the plan changed since it was approved (now ${fresh.summary.join('; ')}). Request it again.`;
      await this.commit(finish(action, { succeeded: false, detail }, this.now()), action.version);
      return;
    }
    // Held from the claim until the run is attached, so that a replica starting up meanwhile
    // does not take this action for one whose start was lost (see resume).
    const releaseStart = await this.o.store.lease(`action-start:${id}`, START_LEASE_MS);
    if (!releaseStart) return;
    try {
      if (!(await this.claim(action))) return;
      let running = await this.require(id);
      if (running.incidentId) await this.o.incidents.beginMitigation(running.incidentId, id).catch((e: unknown) => this.o.log.warn({ err: e, id }, 'incident not marked mitigating'));
      try {
        const handle = await executor.run(running.plan, id);
        const attached = attachRun(running, handle, this.now());
        await this.commitOrThrow(attached, running.version);
        running = { ...attached.action, version: running.version + 1 };
      } catch (error) {
        const detail = error instanceof ExecutorRefusal ? error.message : `could not start: ${(error as Error).message}`;
        await this.finishRun(running, { succeeded: false, detail });
        return;
      }
    } finally {
      await releaseStart();
    }
    await this.track(id);
  }

  /**
   * Moves approved -> running and starts the service's cooldown, atomically; the store
   * refuses while another action holds the cooldown, unless this one was forced.
   */
  private async claim(action: Action): Promise<boolean> {
    if (action.kind !== 'rollback') {
      return this.commit(start(action, this.now()), action.version);
    }
    const holder = await this.o.store.cooldownOf(action.service);
    if (holder && holder !== action.id && !action.forced) {
      const detail = `not run: ${displayActionId(holder)} rolled ${action.service} back less than ${formatDuration(this.o.cooldownMs)} ago. Request again with --force if it is still needed.`;
      await this.commit(finish(action, { succeeded: false, detail }, this.now()), action.version);
      return false;
    }
    const started = start(action, this.now());
    const claimed = await this.o.store.commitAction({
      action: started.action,
      expectedVersion: action.version,
      entry: started.entry,
      cooldownMs: this.o.cooldownMs,
      ...(action.forced ? {} : { cooldownMustBeFree: true }),
    });
    if (claimed) {
      this.announce(started.action);
      return true;
    }
    const now = await this.require(action.id);
    // Still approved: the cooldown was taken between our check and the claim.
    if (now.state === 'approved') return this.claim(now);
    return false;
  }

  /** Polls a running action to its end; safe to run on several replicas (the finish is a CAS). */
  track(id: string): Promise<void> {
    const existing = this.tracking.get(id);
    if (existing) return existing;
    const job = this.poll(id).finally(() => this.tracking.delete(id));
    this.tracking.set(id, job);
    return job;
  }

  /** Marks expired every request whose time ran out unapproved, so its buttons stop inviting clicks. */
  async expireDue(): Promise<number> {
    let expired = 0;
    for (const id of await this.o.store.expiredRequestIds(this.now())) {
      const action = await this.o.store.getAction(id);
      if (action?.state !== 'requested' || !isExpired(action, this.now())) continue;
      if (await this.commit(expire(action, this.now()), action.version)) expired += 1;
    }
    return expired;
  }

  /** After a restart: pick up every action that was running. */
  async resume(): Promise<void> {
    for (const id of await this.o.store.runningActionIds()) {
      const action = await this.o.store.getAction(id);
      if (!action) continue;
      if (!action.run) {
        await this.resolveLostStart(action);
        continue;
      }
      this.o.log.info({ actionId: id }, 'resuming tracking of a running action');
      void this.track(id);
    }
  }

  /**
   * A running action without a run: either another replica is starting it right now (it
   * holds the start lease), or the process that claimed it died before GitLab answered.
   */
  private async resolveLostStart(action: Action): Promise<void> {
    const release = await this.o.store.lease(`action-start:${action.id}`, START_LEASE_MS);
    if (!release) {
      setTimeout(() => void this.resume().catch(() => undefined), START_LEASE_MS).unref();
      return;
    }
    try {
      const latest = await this.require(action.id);
      if (latest.state !== 'running' || latest.run) return;
      // We cannot know whether the start reached GitLab; running it again could run it twice.
      const detail =
        latest.kind === 'fleet'
          ? 'the bot restarted before the rollout was confirmed started; Continue runs the hosts without a result'
          : 'the bot restarted before the run was confirmed started; check GitLab before requesting again';
      await this.finishRun(latest, { succeeded: false, detail, resumable: latest.kind === 'fleet' });
    } finally {
      await release();
    }
  }

  async pause(userId: string, reason: string): Promise<KillSwitch> {
    await this.requireKillSwitchAdmin(userId);
    const state = { by: userId, reason: reason || 'no reason given', at: this.now().toISOString() };
    await this.o.store.setKillSwitch(state);
    this.o.log.warn(state, 'automation paused');
    return state;
  }

  async resumeAutomation(userId: string): Promise<void> {
    await this.requireKillSwitchAdmin(userId);
    await this.o.store.setKillSwitch(undefined);
    this.o.log.warn({ by: userId }, 'automation resumed');
  }

  killSwitch(): Promise<KillSwitch | undefined> {
    return this.o.store.killSwitch();
  }

  /** Stops polling loops; running actions stay marked running and resume at next start. */
  async stop(): Promise<void> {
    this.shutdown.abort();
    await Promise.allSettled(Object.values(this.o.executors).map((executor) => executor.stop?.()));
    await Promise.allSettled([...this.tracking.values()]);
  }

  private async requireKillSwitchAdmin(userId: string): Promise<void> {
    const admins = this.o.killSwitchAdmins.length > 0 ? this.o.killSwitchAdmins : this.allApprovers();
    if (!(await this.o.approvers.isApprover(userId, admins))) {
      throw new ActionRefused('Only automation admins (AUTOMATION_ADMINS, or any service approver when unset) may pause or resume automation.');
    }
  }

  private allApprovers(): string[] {
    return [...new Set(this.o.knownServices().flatMap((s) => this.o.policyOf(s)?.approvers ?? []))];
  }

  private async poll(id: string): Promise<void> {
    let delay = this.o.pollIntervalMs;
    while (!this.shutdown.signal.aborted) {
      const action = await this.o.store.getAction(id);
      if (!action || action.state !== 'running' || !action.run) return;
      try {
        const status = await this.o.executors[action.kind].status(action.plan, action.run, id);
        if (status.state !== 'running') {
          await this.finishRun(action, { succeeded: status.state === 'succeeded', detail: status.detail, resumable: status.state === 'failed' && status.resumable === true });
          return;
        }
        delay = this.o.pollIntervalMs;
      } catch (error) {
        if (error instanceof ExecutorRefusal) {
          await this.finishRun(action, { succeeded: false, detail: error.message });
          return;
        }
        delay = Math.min(delay * 2, MAX_POLL_BACKOFF_MS);
        this.o.log.warn({ err: error, actionId: id, retryInMs: delay }, 'status check failed; retrying');
      }
      await this.sleep(delay);
    }
  }

  private async finishRun(action: Action, outcome: { succeeded: boolean; detail: string; resumable?: boolean }): Promise<void> {
    if (!(await this.commit(finish(action, outcome, this.now()), action.version))) return;
    if (action.incidentId) await this.o.incidents.endMitigation(action.incidentId).catch((e: unknown) => this.o.log.warn({ err: e }, 'incident mitigation not ended'));
  }

  /** Ends early on stop(); timers/promises removes its abort listener, so long runs do not pile them up. */
  private async sleep(ms: number): Promise<void> {
    await delay(ms, undefined, { signal: this.shutdown.signal }).catch(() => undefined);
  }

  private runInBackground(id: string): void {
    if (this.executing.has(id)) return;
    this.executing.add(id);
    this.execute(id)
      .catch((error: unknown) => this.o.log.error({ err: error, actionId: id }, 'action execution failed'))
      .finally(() => this.executing.delete(id));
  }

  private async require(id: string): Promise<Action> {
    const action = await this.o.store.getAction(id);
    if (!action) throw new ActionRefused(`No action ${displayActionId(id)} is stored (it may be older than the retention period).`);
    return action;
  }

  private async note(action: Action, actor: string, step: ActionStep): Promise<void> {
    await this.o.store.appendActionEntry(action, { at: this.now().toISOString(), actor, step });
    this.announce(action);
  }

  private async commit(outcome: ActionOutcome, expectedVersion: number, cooldownMs?: number): Promise<boolean> {
    const ok = await this.o.store.commitAction({ action: outcome.action, expectedVersion, entry: outcome.entry, ...(cooldownMs ? { cooldownMs } : {}) });
    if (ok) this.announce(outcome.action);
    return ok;
  }

  private announce(action: Action): void {
    for (const listener of this.listeners) listener(action.id);
    if (action.incidentId) this.o.incidents.timelineChanged(action.incidentId);
  }

  private async commitOrThrow(outcome: ActionOutcome, expectedVersion: number): Promise<void> {
    if (!(await this.commit(outcome, expectedVersion))) throw new Error(`${displayActionId(outcome.action.id)} changed while starting`);
  }
}
