/**
 * Verified rollbacks, put together: each service's checks and timing from services.yaml, the
 * rounds against Prometheus, the watches in Redis, and the scheduler job that evaluates them.
 */
import type { VerificationSettings, VerifyingOptions } from '../actions/verifying.js';
import { durationMs } from '../config/duration-field.js';
import { everySeconds, type Scheduler } from '../scheduler/scheduler.js';
import type { ServiceCatalog } from '../services/catalog.js';
import type { EvaluateRound } from '../verify/checks.js';

/** How often a service without a deploy_guard is evaluated while a rollback of it is verified. */
export const DEFAULT_VERIFY_INTERVAL_MS = 30_000;
/**
 * How often the job looks for due rounds: the shortest interval services.yaml allows, so a
 * round runs within a second of being due whatever a service's interval.
 */
const VERIFY_TICK_MS = 1_000;

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
  parts: Pick<VerifyingOptions, 'watches' | 'incidents'>,
): VerifyingOptions | undefined {
  return rounds && { ...parts, evaluate: rounds, settingsOf: verificationSettings(catalog) };
}

/** Each tick runs on one replica; each round of a watch once (see actions/verifying.ts). */
export function scheduleRollbackVerification(scheduler: Scheduler, verifyDue: () => Promise<void>): void {
  scheduler.add({ name: 'verify-rollbacks', cron: everySeconds(VERIFY_TICK_MS), run: verifyDue });
}
