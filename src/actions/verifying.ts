/**
 * Verified rollbacks: a rollback whose GitLab run succeeded is watched against its service's
 * health checks for `verify_after`, and ends verified or not verified. The watch lives in
 * the store beside the action, and a scheduler job evaluates the due ones, so that a bot
 * that restarts mid-window goes on watching and any replica may take a round; each round is
 * taken under a lease and recorded with a compare-and-set, so it runs once.
 */
import type { HealthCheck } from '../services/schema.js';
import { checksNamed, type EvaluateRound } from '../verify/checks.js';
import { afterRound, firstWatch, monitoring, uncheckable, type Verification, type Watch } from '../verify/rollback-verification.js';
import type { Action, ActionOutcome } from './action.js';
import type { ActionContext } from './context.js';
import { endVerification, finishWatched, isMonitoring } from './verification.js';
import type { WatchStore } from './watch-store.js';

/** What a service's verification needs; undefined for a service without health checks (its rollbacks end as before). */
export interface VerificationSettings {
  checks: readonly HealthCheck[];
  verifyAfterMs: number;
  intervalMs: number;
}

/** What verification needs of the incidents layer. */
export interface VerificationIncidents {
  /** Shows the verification on the incident ("monitoring", then the verdict); a verdict also ends its mitigation. */
  showVerification(incidentId: string, actionId: string, verification: Verification): Promise<void>;
}

export interface VerifyingOptions {
  watches: WatchStore;
  evaluate: EvaluateRound;
  settingsOf: (service: string) => VerificationSettings | undefined;
  incidents: VerificationIncidents;
  /** Told once, by the replica whose write ended it, that a verification reached its verdict (its graphs follow it). */
  verdictReached?: (action: Action) => void;
}

/** Longer than a round of queries with their retries; released as soon as the round is recorded. */
const ROUND_LEASE_MS = 2 * 60_000;
/** Watches looked at per tick; more than any team rolls back at once. */
const DUE_PER_TICK = 100;

export class Verifying {
  constructor(
    private readonly ctx: ActionContext,
    private readonly o: VerifyingOptions,
  ) {}

  /**
   * Writes the finish of a succeeded rollback together with the start of its verification;
   * false, having written nothing, when the service has no checks to watch.
   */
  async finishWatched(ended: ActionOutcome, expectedVersion: number): Promise<boolean> {
    const { action } = ended;
    const settings = action.kind === 'rollback' && action.state === 'succeeded' ? this.o.settingsOf(action.service) : undefined;
    if (!settings || settings.checks.length === 0) return false;
    const verification = monitoring({
      checks: settings.checks.map((check) => check.name),
      intervalMs: settings.intervalMs,
      verifyAfterMs: settings.verifyAfterMs,
      now: this.ctx.now(),
    });
    const { outcome, started } = finishWatched(ended, verification);
    // The watch first: a crash after it leaves a watch that its first round drops (the action
    // is not monitoring); a crash before the finish's write leaves the run to be finished again.
    await this.o.watches.addWatch(firstWatch(action.id, verification));
    if (!(await this.ctx.commit(outcome, expectedVersion))) return true;
    const written = { ...outcome.action, version: expectedVersion + 1 };
    await this.ctx.note(written, 'bot', started);
    await this.show(written);
    return true;
  }

  /** The scheduler's job: one round of every due watch; a round that throws is tried again at the next tick. */
  async evaluateDue(): Promise<void> {
    const due = await this.o.watches.dueWatches(this.ctx.now().getTime(), DUE_PER_TICK);
    await Promise.all(
      due.map((watch) =>
        this.evaluate(watch).catch((error: unknown) =>
          this.ctx.log.error({ err: error, actionId: watch.actionId }, 'verification round failed; it is tried again at the next tick'),
        ),
      ),
    );
  }

  private async evaluate(due: Watch): Promise<void> {
    const release = await this.ctx.store.lease(`verify-round:${due.actionId}:${due.rounds}`, ROUND_LEASE_MS);
    if (!release) return;
    try {
      const watch = await this.o.watches.getWatch(due.actionId);
      // Another replica recorded this round between our read and the lease.
      if (watch?.rounds !== due.rounds) return;
      const action = await this.ctx.store.getAction(watch.actionId);
      if (!action || !isMonitoring(action)) {
        await this.settled(watch.actionId, action);
        return;
      }
      const checks = checksNamed(this.o.settingsOf(action.service)?.checks, action.verification.checks);
      if (checks.length === 0) {
        await this.end(action, uncheckable(action.verification, watch));
        return;
      }
      const round = await this.o.evaluate(action.service, checks);
      const next = afterRound(watch, action.verification, round, this.ctx.now());
      if (next.kind === 'watching') await this.o.watches.saveWatch(next.watch, watch.rounds);
      else await this.end(action, next.verification);
    } finally {
      await release();
    }
  }

  private async end(action: Action & { verification: Verification }, verification: Verification): Promise<void> {
    const outcome = endVerification(action, verification, this.ctx.now());
    const won = await this.ctx.commit(outcome, action.version);
    const written = won ? { ...outcome.action, version: action.version + 1 } : await this.ctx.store.getAction(action.id);
    if (won) this.o.verdictReached?.(outcome.action);
    // Changed under us and still monitoring: the watch stays, and the next tick evaluates this round again.
    if (written && isMonitoring(written)) return;
    await this.settled(action.id, written);
  }

  /**
   * The watch of an action that is no longer monitored: gone. Its verdict is shown on the
   * incident again first, in case the process that wrote it died before showing it.
   */
  private async settled(actionId: string, action: Action | undefined): Promise<void> {
    if (action?.verification && !isMonitoring(action)) await this.show(action);
    await this.o.watches.removeWatch(actionId);
  }

  private async show(action: Action): Promise<void> {
    const { incidentId, verification } = action;
    if (!incidentId || !verification) return;
    await this.o.incidents
      .showVerification(incidentId, action.id, verification)
      .catch((error: unknown) => this.ctx.log.warn({ err: error, actionId: action.id, incidentId }, 'verification not shown on the incident'));
  }
}
