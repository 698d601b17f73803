/**
 * How a person or an action moves an incident's state. Pure: each decision returns the
 * incident after it and the facts to record, or throws InvalidTransitionError.
 */
import { InvalidTransitionError } from '../errors.js';
import type { Verification } from '../verify/rollback-verification.js';
import { retroDue } from './retro.js';
import { firingAlerts, type Incident, type IncidentState, type Outcome } from './incident.js';

const TRANSITIONS: Record<IncidentState, readonly IncidentState[]> = {
  firing: ['acknowledged', 'mitigating', 'resolved'],
  acknowledged: ['mitigating', 'resolved'],
  mitigating: ['acknowledged', 'resolved'],
  resolved: ['firing'],
};

export function canTransition(from: IncidentState, to: IncidentState): boolean {
  return TRANSITIONS[from].includes(to);
}

function transition(current: Incident, to: IncidentState, now: Date): Incident {
  if (!canTransition(current.state, to)) {
    throw new InvalidTransitionError({ incidentId: current.id, state: current.state, to });
  }
  return { ...current, state: to, updatedAt: now.toISOString() };
}

export function acknowledge(current: Incident, userId: string, now: Date): Outcome {
  if (current.state === 'acknowledged') {
    const by = current.acknowledgedBy ? { acknowledgedBy: current.acknowledgedBy } : {};
    throw new InvalidTransitionError({ incidentId: current.id, state: current.state, to: 'acknowledged', ...by });
  }
  const incident = { ...transition(current, 'acknowledged', now), acknowledgedBy: userId, acknowledgedAt: current.acknowledgedAt ?? now.toISOString() };
  return { incident, entries: [{ at: now.toISOString(), kind: 'acknowledged', actor: userId }], changed: true };
}

/** An action (a rollback) started working on the incident. */
export function beginMitigation(current: Incident, actor: string, actionId: string, now: Date): Outcome | undefined {
  if (current.state === 'mitigating' || current.state === 'resolved') return undefined;
  return {
    incident: transition(current, 'mitigating', now),
    entries: [{ at: now.toISOString(), kind: 'command', verb: 'mitigating', actor, actionId }],
    changed: true,
  };
}

/** The action ended; the incident waits for its alerts (or a person) to resolve it. */
export function endMitigation(current: Incident, now: Date): Outcome | undefined {
  if (current.state !== 'mitigating') return undefined;
  return { incident: transition(current, 'acknowledged', now), entries: [], changed: true };
}

/**
 * A rollback's verification as the incident shows it. While it is monitoring the incident stays
 * mitigating; the verdict ends the mitigation (the incident waits for its alerts or a person,
 * verified or not). A verdict never replaces another rollback's verification still under way.
 */
export function showVerification(current: Incident, actionId: string, verification: Verification, now: Date): Outcome | undefined {
  const shown = current.verification;
  if (shown?.actionId === actionId && shown.state === verification.state) return undefined;
  if (verification.state === 'monitoring' && current.state === 'resolved') return undefined;
  if (verification.state !== 'monitoring' && shown?.state === 'monitoring' && shown.actionId !== actionId) return undefined;
  const incident = { ...current, verification: { ...verification, actionId }, updatedAt: now.toISOString() };
  if (verification.state !== 'monitoring' && current.state === 'mitigating')
    return { incident: transition(incident, 'acknowledged', now), entries: [], changed: true };
  return { incident, entries: [], changed: true };
}

export function resolveByUser(current: Incident, userId: string, now: Date): Outcome {
  const at = now.toISOString();
  const incident = { ...transition(current, 'resolved', now), resolvedAt: at, resolvedBy: userId, firstResolvedAt: current.firstResolvedAt ?? at };
  const stillFiring = firingAlerts(current).length;
  return { incident, entries: [{ at, kind: 'resolved', actor: userId, stillFiring }, ...retroDue(current, at)], changed: true };
}
