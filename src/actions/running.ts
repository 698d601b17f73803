/**
 * Running an approved action exactly once: re-check it, claim it, start it, and poll it to
 * its end; at start-up and on each sweep, take over what nobody tracks, and settle a start
 * that was lost. Safe on several replicas: the claim and the finish are compare-and-sets,
 * the start is held under a lease, and the tracking under a lease renewed at each poll.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { attachRun, displayActionId, expire, finish, hold, isExpired, isHeldBy, type Action, type ActionKind } from './action.js';
import { claimRun } from './claim.js';
import type { ActionContext } from './context.js';
import { ExecutorRefusal, type ExecutionPlan, type Executor, type RunContext, type RunHandle } from './executor.js';
import { planRequestOf } from './requesting.js';
import type { KillSwitch, RenewableLease } from './store.js';
import type { ActionStep, RunDetail } from '../timeline/action-step.js';
import type { Verifying } from './verifying.js';

export interface RunningOptions {
  /** One executor per kind of action; the actions layer never learns more of them. */
  executors: Readonly<Record<ActionKind, Executor>>;
  cooldownMs: number;
  pollIntervalMs: number;
  /** Watches succeeded rollbacks of services with health checks; without it they end as they did before. */
  verifying?: Pick<Verifying, 'finishWatched'>;
}

/** Longer than the slowest start (GitLab retries included). */
const START_LEASE_MS = 10 * 60_000;
const MAX_POLL_BACKOFF_MS = 60_000;
/**
 * The tracking lease lasts until the next poll plus two poll intervals (at least 2 s, so that a
 * pause of the event loop does not hand it over), so a slow status call keeps it; a tracker
 * that died or hung loses it that long after its last poll, and the next sweep of another
 * replica takes the action over. With the defaults (5 s poll and sweep): within about
 * 15 s + 5 s + one poll of the tracker's death.
 */
const TRACK_LEASE_SPARE_POLLS = 2;
const MIN_TRACK_LEASE_SPARE_MS = 2_000;

export class Running {
  private readonly tracking = new Map<string, Promise<void>>();
  /** Executions under way in this process; concurrent clicks need not all re-plan. */
  private readonly executing = new Set<string>();
  private readonly shutdown = new AbortController();

  constructor(
    private readonly ctx: ActionContext,
    private readonly o: RunningOptions,
  ) {}

  /** Runs an approved action in the background, once per process however often it is asked. */
  start(id: string): void {
    if (this.executing.has(id)) return;
    this.executing.add(id);
    this.execute(id)
      .catch((error: unknown) => this.ctx.log.error({ err: error, actionId: id }, 'action execution failed'))
      .finally(() => this.executing.delete(id));
  }

  /** Re-checks everything, claims the run atomically, starts it and tracks it to the end. */
  async execute(id: string): Promise<void> {
    const action = await this.ctx.require(id);
    if (action.state !== 'approved') return;
    const paused = await this.ctx.store.killSwitch();
    if (paused) {
      await this.hold(action, paused);
      return;
    }
    if (isExpired(action, this.ctx.now())) {
      await this.ctx.commit(expire(action, this.ctx.now()), action.version);
      return;
    }
    const executor = this.o.executors[action.kind];
    let fresh: ExecutionPlan;
    try {
      fresh = await executor.plan(planRequestOf(action));
    } catch (error) {
      await this.ctx.commit(finish(action, { succeeded: false, detail: `not run: ${(error as Error).message}` }, this.ctx.now()), action.version);
      return;
    }
    if (JSON.stringify(fresh.params) !== JSON.stringify(action.plan.params)) {
      const detail = `not run: the plan changed since it was approved (now ${fresh.summary.join('; ')}). Request it again.`;
      await this.ctx.commit(finish(action, { succeeded: false, detail }, this.ctx.now()), action.version);
      return;
    }
    // Held from the claim until the run is attached, so that a replica starting up meanwhile
    // does not take this action for one whose start was lost (see resume).
    const releaseStart = await this.ctx.store.lease(`action-start:${id}`, START_LEASE_MS);
    if (!releaseStart) return;
    try {
      if (!(await claimRun(this.ctx, action, this.o.cooldownMs))) return;
      let running = await this.ctx.require(id);
      if (running.incidentId)
        await this.ctx.incidents
          .beginMitigation(running.incidentId, id)
          .catch((e: unknown) => this.ctx.log.warn({ err: e, id }, 'incident not marked mitigating'));
      try {
        const handle = await executor.run(running.plan, this.runContext(running));
        const attached = attachRun(running, handle, this.ctx.now());
        if (!(await this.ctx.commit(attached, running.version))) throw new Error(`${displayActionId(id)} changed while starting`);
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
   * An approved action that may not run while automation is paused: held, with who paused
   * it and why, so that its message says so; approving it again after a resume runs it.
   * The timeline says why once per pause.
   */
  async hold(action: Action, paused: KillSwitch): Promise<Action> {
    const step: ActionStep = { kind: 'held', actionId: action.id, pausedBy: paused.by, pauseReason: paused.reason };
    if (isHeldBy(action, paused)) {
      await this.ctx.note(action, 'bot', step);
      return action;
    }
    const held = { action: hold(action, paused), entry: { at: this.ctx.now().toISOString(), actor: 'bot', step } };
    if (await this.ctx.commit(held, action.version)) return { ...held.action, version: action.version + 1 };
    return this.ctx.require(action.id);
  }

  /**
   * Polls a running action to its end, unless another replica tracks it (holds its tracking
   * lease); `resumed` when this replica did not start it.
   */
  track(id: string, resumed = false): Promise<void> {
    const existing = this.tracking.get(id);
    if (existing) return existing;
    const job = this.trackLeased(id, resumed)
      .catch((error: unknown) => this.ctx.log.error({ err: error, actionId: id }, 'tracking stopped; the next sweep takes it over'))
      .finally(() => this.tracking.delete(id));
    this.tracking.set(id, job);
    return job;
  }

  /** At start-up and on each sweep: track every running action nobody tracks, settle lost starts. */
  async resume(): Promise<void> {
    for (const id of await this.ctx.store.runningActionIds()) {
      if (this.tracking.has(id) || this.executing.has(id)) continue;
      const action = await this.ctx.store.getAction(id);
      if (!action) continue;
      if (!action.run) {
        await this.resolveLostStart(action);
        continue;
      }
      void this.track(id, true);
    }
  }

  /** Stops polling loops; running actions stay marked running and resume at next start. */
  async stop(): Promise<void> {
    this.shutdown.abort();
    await Promise.allSettled(Object.values(this.o.executors).map((executor) => executor.stop?.()));
    await Promise.allSettled([...this.tracking.values()]);
  }

  /**
   * A running action without a run: either another replica is starting it right now (it
   * holds the start lease), or the process that claimed it died before GitLab answered.
   */
  private async resolveLostStart(action: Action): Promise<void> {
    const release = await this.ctx.store.lease(`action-start:${action.id}`, START_LEASE_MS);
    // Held: the sweep looks again after the start lease lapsed.
    if (!release) return;
    let recovering = false;
    try {
      const latest = await this.ctx.require(action.id);
      if (latest.state !== 'running' || latest.run) return;
      const executor = this.o.executors[latest.kind];
      const recover = executor.recover?.bind(executor);
      if (recover) {
        // Looking may take the executor's whole lookup window: in the background, under the start lease.
        recovering = true;
        void this.recoverLostStart(latest, recover)
          .catch((error: unknown) => this.ctx.log.error({ err: error, actionId: latest.id }, 'lost start not settled'))
          .then(release)
          .catch((error: unknown) => this.ctx.log.warn({ err: error, actionId: latest.id }, 'start lease not released'));
        return;
      }
      // We cannot know whether the start reached GitLab; running it again could run it twice.
      const detail =
        latest.kind === 'fleet'
          ? 'the bot restarted before the rollout was confirmed started; Continue runs the hosts without a result'
          : 'the bot restarted before the run was confirmed started; check GitLab before requesting again';
      await this.finishRun(latest, { succeeded: false, detail, resumable: latest.kind === 'fleet' });
    } finally {
      if (!recovering) await release();
    }
  }

  /** Tracks the run the executor found for a lost start; else ends the action with the executor's reason. */
  private async recoverLostStart(action: Action, recover: NonNullable<Executor['recover']>): Promise<void> {
    let handle: RunHandle;
    try {
      handle = await recover(action.plan, this.runContext(action), new Date(action.startedAt ?? action.requestedAt));
    } catch (error) {
      const detail =
        error instanceof ExecutorRefusal
          ? error.message
          : `the bot restarted before the run was confirmed started, and looking for it failed (${(error as Error).message}); check GitLab before requesting again`;
      await this.finishRun(action, { succeeded: false, detail });
      return;
    }
    if (!(await this.ctx.commit(attachRun(action, handle, this.ctx.now()), action.version))) return;
    this.ctx.log.info({ actionId: action.id, run: handle.id }, 'found the run of a start that was never confirmed; tracking it');
    void this.track(action.id);
  }

  private async trackLeased(id: string, resumed: boolean): Promise<void> {
    const spareMs = Math.max(TRACK_LEASE_SPARE_POLLS * this.o.pollIntervalMs, MIN_TRACK_LEASE_SPARE_MS);
    const lease = await this.ctx.store.renewableLease(`track:${id}`, this.o.pollIntervalMs + spareMs);
    if (!lease) return;
    try {
      if (resumed) this.ctx.log.info({ actionId: id }, 'resuming tracking of a running action');
      await this.poll(id, lease, spareMs);
    } finally {
      await lease.release();
    }
  }

  /** Until the action ends, the lease is lost, or the process stops. */
  private async poll(id: string, lease: RenewableLease, spareMs: number): Promise<void> {
    let wait = this.o.pollIntervalMs;
    while (!this.shutdown.signal.aborted) {
      const action = await this.ctx.store.getAction(id);
      if (action?.state !== 'running' || !action.run) return;
      try {
        const status = await this.o.executors[action.kind].status(action.plan, action.run, this.runContext(action));
        if (status.state !== 'running') {
          await this.finishRun(action, {
            succeeded: status.state === 'succeeded',
            detail: status.detail,
            resumable: status.state === 'failed' && status.resumable === true,
          });
          return;
        }
        wait = this.o.pollIntervalMs;
      } catch (error) {
        if (error instanceof ExecutorRefusal) {
          await this.finishRun(action, { succeeded: false, detail: error.message });
          return;
        }
        wait = Math.min(wait * 2, MAX_POLL_BACKOFF_MS);
        this.ctx.log.warn({ err: error, actionId: id, retryInMs: wait }, 'status check failed; retrying');
      }
      if (!(await lease.renew(wait + spareMs))) {
        this.ctx.log.warn({ actionId: id }, 'tracking lease lapsed; another replica tracks the action now');
        return;
      }
      await this.sleep(wait);
    }
  }

  /** Where an executor's steps go: the action's timeline, and so its thread. */
  private runContext(action: Action): RunContext {
    return {
      actionId: action.id,
      report: (step) => this.ctx.note(action, 'bot', step),
      stoppedByPause: ({ by, reason }) => this.ctx.note(action, 'bot', { kind: 'stopped_by_pause', actionId: action.id, pausedBy: by, pauseReason: reason }),
    };
  }

  private async finishRun(action: Action, outcome: { succeeded: boolean; detail: RunDetail; resumable?: boolean }): Promise<void> {
    const ended = finish(action, outcome, this.ctx.now());
    // A watched rollback's incident stays mitigating (and shows "monitoring") until the verdict.
    if (outcome.succeeded && (await this.o.verifying?.finishWatched(ended, action.version))) return;
    if (!(await this.ctx.commit(ended, action.version))) return;
    if (action.incidentId)
      await this.ctx.incidents.endMitigation(action.incidentId).catch((e: unknown) => this.ctx.log.warn({ err: e }, 'incident mitigation not ended'));
  }

  /** Ends early on stop(); timers/promises removes its abort listener, so long runs do not pile them up. */
  private async sleep(ms: number): Promise<void> {
    await delay(ms, undefined, { signal: this.shutdown.signal }).catch(() => undefined);
  }
}
