/**
 * Verified rollbacks, put together: each service's checks and timing from services.yaml, the
 * rounds against Prometheus, the watches in Redis, and the scheduler job that evaluates them.
 */
import type { Action } from '../actions/action.js';
import type { ActionStore } from '../actions/store.js';
import type { VerificationSettings, VerifyingOptions } from '../actions/verifying.js';
import { durationMs } from '../config/duration-field.js';
import { everySeconds, type Scheduler } from '../scheduler/scheduler.js';
import type { ServiceCatalog } from '../services/catalog.js';
import type { CheckGraphs } from '../slack/check-graphs.js';
import type { EvaluateRound } from '../verify/checks.js';

/** How often a service without a deploy_guard is evaluated while a rollback of it is verified. */
export const DEFAULT_VERIFY_INTERVAL_MS = 30_000;
/**
 * How often the job looks for due rounds at most: a round runs at most this late. Services
 * with a shorter interval make it tick as often as their interval (down to a second).
 */
const MAX_VERIFY_TICK_MS = 5_000;
/** Whole seconds that divide a minute, as a cron seconds field can repeat. */
const TICK_SECONDS = [1, 2, 3, 4, 5];

/** A service's verification: all of its health checks, for `verify_after`, at its deploy_guard's interval or every 30s. */
export function verificationSettings(catalog: ServiceCatalog): (service: string) => VerificationSettings | undefined {
  return (service) => {
    const entry = catalog.get(service);
    if (!entry?.health || entry.health.length === 0) return undefined;
    return {
      checks: entry.health,
      verifyAfterMs: durationMs(entry.verify_after),
      intervalMs: entry.deploy_guard ? durationMs(entry.deploy_guard.interval) : DEFAULT_VERIFY_INTERVAL_MS,
    };
  };
}

/** Verification options when Prometheus is configured; undefined leaves rollbacks unverified, as no service can list checks then. */
export function rollbackVerification(
  catalog: ServiceCatalog,
  rounds: EvaluateRound | undefined,
  parts: Pick<VerifyingOptions, 'watches' | 'incidents' | 'verdictReached'>,
): VerifyingOptions | undefined {
  return rounds && { ...parts, evaluate: rounds, settingsOf: verificationSettings(catalog) };
}

/** The job's tick: the shortest interval of a service with checks, at most MAX_VERIFY_TICK_MS. */
export function verifyTickMs(catalog: ServiceCatalog): number {
  const settingsOf = verificationSettings(catalog);
  const shortest = Math.min(MAX_VERIFY_TICK_MS, ...catalog.names().map((name) => settingsOf(name)?.intervalMs ?? MAX_VERIFY_TICK_MS));
  const seconds = TICK_SECONDS.filter((s) => s * 1_000 <= shortest).at(-1) ?? 1;
  return seconds * 1_000;
}

/** Each tick runs on one replica; each round of a watch once (see actions/verifying.ts). No job without a service to verify. */
export function scheduleRollbackVerification(scheduler: Scheduler, catalog: ServiceCatalog, verifyDue: () => Promise<void>): void {
  const settingsOf = verificationSettings(catalog);
  if (!catalog.names().some((name) => settingsOf(name))) return;
  scheduler.add({ name: 'verify-rollbacks', cron: everySeconds(verifyTickMs(catalog)), run: verifyDue });
}

/**
 * A verdict's checks graphed around the rollback (the moment its run succeeded), failing ones
 * first, into the thread the rollback lives in: the incident's, else its own message's.
 */
export function verdictGraphs(checkGraphs: CheckGraphs | undefined, actions: Pick<ActionStore, 'getActionMessage'>): Pick<VerifyingOptions, 'verdictReached'> {
  if (!checkGraphs) return {};
  return {
    verdictReached: (action: Action) => {
      const results = action.verification?.round?.results ?? [];
      if (!action.verification || results.length === 0) return;
      checkGraphs.post({
        key: `verification:${action.id}`,
        service: action.service,
        event: { kind: 'rollback', at: new Date(action.verification.since) },
        checks: [...results.filter((r) => r.verdict !== 'pass'), ...results.filter((r) => r.verdict === 'pass')],
        where: async () => {
          if (action.threadTs) return { channel: action.channel, threadTs: action.threadTs };
          const own = await actions.getActionMessage(action.id);
          return own && { channel: own.channel, threadTs: own.ts };
        },
      });
    },
  };
}
