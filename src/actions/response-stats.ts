/**
 * `/incident stats`: the incidents of a window per service (src/incidents/stats.ts) joined
 * with the rollbacks that ran in it, and how many of those were verified. Pure, but for the
 * port a command reads it through.
 */
import { responseByService, type ServiceResponse } from '../incidents/stats.js';
import type { Incident } from '../incidents/incident.js';
import type { Action } from './action.js';

export interface RollbackCounts {
  /** Rollbacks that started running in the window. */
  run: number;
  /** Of those, the ones that succeeded and were verified against the service's health checks. */
  verified: number;
}

export interface ServiceNumbers extends ServiceResponse {
  rollbacks: RollbackCounts;
}

export interface ResponseStats {
  windowMs: number;
  services: ServiceNumbers[];
  /** More incidents or actions than were read: the numbers cover the earliest of the window only. */
  truncated: boolean;
}

/** What `/incident stats` reads; the wiring answers it from the stores. */
export interface ResponseStatsSource {
  /** The numbers of the last `windowMs`. */
  last(windowMs: number): Promise<ResponseStats>;
}

/** A rollback's outcome "succeeded (verified)": it ran, and its verification says verified. */
export function isVerifiedRollback(action: Action): boolean {
  return action.kind === 'rollback' && action.state === 'succeeded' && action.verification?.state === 'verified';
}

/** Rollbacks started at or after `since` (ms), counted per service. */
export function rollbacksByService(actions: readonly Action[], since: number): Map<string, RollbackCounts> {
  const counts = new Map<string, RollbackCounts>();
  for (const action of actions) {
    if (action.kind !== 'rollback' || action.startedAt === undefined || Date.parse(action.startedAt) < since) continue;
    const count = counts.get(action.service) ?? { run: 0, verified: 0 };
    counts.set(action.service, { run: count.run + 1, verified: count.verified + (isVerifiedRollback(action) ? 1 : 0) });
  }
  return counts;
}

/** Every service that had an incident or a rollback in the window; those with incidents first, as responseByService orders them. */
export function responseStats(input: {
  incidents: readonly Incident[];
  actions: readonly Action[];
  since: number;
  windowMs: number;
  truncated: boolean;
}): ResponseStats {
  const rollbacks = rollbacksByService(input.actions, input.since);
  const none: RollbackCounts = { run: 0, verified: 0 };
  const withIncidents: ServiceNumbers[] = responseByService(input.incidents, input.since).map((s) => ({
    ...s,
    rollbacks: (s.service === undefined ? undefined : rollbacks.get(s.service)) ?? none,
  }));
  const named = new Set(withIncidents.map((s) => s.service));
  const onlyRollbacks: ServiceNumbers[] = [...rollbacks.entries()]
    .filter(([service]) => !named.has(service))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([service, counts]) => ({ service, opened: 0, rollbacks: counts }));
  return { windowMs: input.windowMs, services: [...withIncidents, ...onlyRollbacks], truncated: input.truncated };
}
