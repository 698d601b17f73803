/**
 * The deploy guard: a successful GitLab deploy of a service with `deploy_guard` arms it for
 * `window`; every `interval` its checks are evaluated (one replica per evaluation, by a claim
 * per deploy and slot), and `failure_limit` failing evaluations in a row roll the deploy
 * back or ask to (deploy-guard-acting.ts). Slots are whole intervals since the epoch, so
 * every replica computes the same slot for the same tick.
 */
import type { Logger } from 'pino';
import { durationMs } from '../config/duration-field.js';
import type { ServiceCatalog } from '../services/catalog.js';
import type { DeployGuard as DeployGuardSettings, HealthCheck } from '../services/schema.js';
import { checksNamed, type EvaluateRound } from './checks.js';
import { actOnFailedDeploy, type DeployGuardNotices, type GuardActions } from './deploy-guard-acting.js';
import type { ArmResult, DeployGuardStore, GuardState } from './deploy-guard-store.js';

/** A deploy as GitLab reported it, whatever the webhook's own shape. */
export interface DeployEvent {
  /** The project path (group/name) and numeric id: services.yaml may name either. */
  project: string;
  projectId: number;
  environment: string;
  status: string;
  deploymentId: number;
  deployableId?: number;
  sha?: string;
  ref?: string;
}

/**
 * Why a deploy armed nothing: not a success, no service with a guard matches, a rollback of
 * the service is in its cooldown (the deploy is most likely that rollback, and rolling it back
 * would return to the deploy just backed out), or the guard watches this or a newer deploy.
 */
export type IgnoredBecause = 'status' | 'no-guarded-service' | 'rolling-back' | Exclude<ArmResult, 'armed'>;

export type DeployReceipt = { armed: string[]; ignored: Array<{ service?: string; because: IgnoredBecause }> };

export interface DeployGuardDeps {
  store: DeployGuardStore;
  services: Pick<ServiceCatalog, 'names' | 'get'>;
  rounds: EvaluateRound;
  actions: GuardActions;
  /** Whether a rollback of the service started within its cooldown. */
  rollingBack(service: string): Promise<boolean>;
  notices: DeployGuardNotices;
  log: Logger;
  now?: () => number;
}

interface Guarded {
  settings: DeployGuardSettings;
  checks: HealthCheck[];
  windowMs: number;
  intervalMs: number;
}

/** How long an evaluation claim is kept past its slot: only for tidiness, each slot has its own key. */
const CLAIM_SPARE_MS = 60_000;

export class DeployGuard {
  private readonly now: () => number;
  private readonly ticks = new Set<Promise<void>>();

  constructor(private readonly deps: DeployGuardDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** A GitLab deployment event: a success arms the guard of every service it matches. */
  async receive(event: DeployEvent): Promise<DeployReceipt> {
    if (event.status !== 'success') return { armed: [], ignored: [{ because: 'status' }] };
    const matched = this.deps.services.names().filter((name) => {
      const entry = this.deps.services.get(name);
      const project = entry?.gitlab?.project;
      return entry?.deploy_guard && entry.gitlab?.environment === event.environment && (project === event.project || project === String(event.projectId));
    });
    if (matched.length === 0) return { armed: [], ignored: [{ because: 'no-guarded-service' }] };
    const receipt: DeployReceipt = { armed: [], ignored: [] };
    for (const service of matched) {
      const guarded = this.guarded(service);
      if (!guarded) continue;
      if (await this.deps.rollingBack(service)) {
        receipt.ignored.push({ service, because: 'rolling-back' });
        continue;
      }
      const armedAt = this.now();
      const result = await this.deps.store.arm({
        service,
        deploymentId: event.deploymentId,
        ...(event.deployableId ? { deployableId: event.deployableId } : {}),
        ...(event.sha ? { sha: event.sha } : {}),
        ...(event.ref ? { ref: event.ref } : {}),
        armedAt,
        until: armedAt + guarded.windowMs,
      });
      if (result === 'armed') receipt.armed.push(service);
      else receipt.ignored.push({ service, because: result });
    }
    if (receipt.armed.length > 0) this.deps.log.info({ services: receipt.armed, deploymentId: event.deploymentId }, 'deploy guard armed');
    return receipt;
  }

  /**
   * For the scheduler: starts a tick and returns at once, so that a slow Prometheus, GitLab or
   * Slack never makes the scheduler skip the next second's tick (and an evaluation wait for it).
   */
  launch(firedAt: Date): void {
    const tick = this.tick(firedAt)
      .catch((error: unknown) => this.deps.log.error({ err: error }, 'deploy guard tick failed'))
      .finally(() => this.ticks.delete(tick));
    this.ticks.add(tick);
  }

  /** Lets the ticks under way finish (at shutdown, before Redis closes). */
  async stop(): Promise<void> {
    await Promise.allSettled([...this.ticks]);
  }

  /** One tick: every armed guard whose interval is due is evaluated, all at once. */
  async tick(firedAt: Date): Promise<void> {
    const guards = await this.deps.store.armed();
    const results = await Promise.allSettled(guards.map((guard) => this.evaluate(guard, firedAt.getTime())));
    for (const [index, result] of results.entries()) {
      if (result.status === 'rejected') this.deps.log.error({ err: result.reason, service: guards[index]?.service }, 'deploy guard evaluation failed');
    }
  }

  private async evaluate(state: GuardState, at: number): Promise<void> {
    const { service, deploymentId } = state;
    const guarded = this.guarded(service);
    if (!guarded || at >= state.until) {
      // The window ended, or services.yaml no longer guards the service (a restart with another file).
      await this.deps.store.disarm(service, deploymentId);
      this.deps.log.info({ service, deploymentId, windowEnded: Boolean(guarded) }, 'deploy guard disarmed');
      return;
    }
    const slot = Math.floor(at / guarded.intervalMs);
    if (slot <= state.lastSlot || slot <= Math.floor(state.armedAt / guarded.intervalMs)) return;
    if (!(await this.deps.store.claimEvaluation(service, deploymentId, slot, guarded.intervalMs + CLAIM_SPARE_MS))) return;
    const round = await this.deps.rounds(service, guarded.checks);
    const failures = await this.deps.store.record(service, deploymentId, slot, round.verdict);
    this.deps.log.debug({ service, deploymentId, slot, verdict: round.verdict, failures }, 'deploy guard evaluated');
    if (failures === undefined || round.verdict !== 'fail' || failures < guarded.settings.failure_limit) return;
    await actOnFailedDeploy({ deploy: state, mode: guarded.settings.mode, failures, round }, this.deps);
  }

  private guarded(service: string): Guarded | undefined {
    const entry = this.deps.services.get(service);
    const settings = entry?.deploy_guard;
    if (!settings) return undefined;
    return {
      settings,
      checks: checksNamed(entry.health, settings.checks),
      windowMs: durationMs(settings.window),
      intervalMs: durationMs(settings.interval),
    };
  }
}
