/**
 * The retrospective draft as facts: an incident, its timeline and the actions linked to it
 * become the sections a retrospective starts from. Pure; src/slack/render/retro.ts writes
 * the words. Response times come from response-times.ts, so the draft and the histograms
 * never disagree.
 */
import type { ActionStep, RunDetail } from '../timeline/action-step.js';
import type { Verification } from '../verify/rollback-verification.js';
import { severityOf, startedAt, summaryOf, titleOf, type FactEntry, type Incident, type IncidentState, type TimelineEntry } from './incident.js';
import { responseTimes } from './response-times.js';

/**
 * Recorded with the incident's first resolution, in the same commit: the thread then owes the
 * draft whatever happens next. A later one (a flapping alert) owes none: posting a whole draft
 * and rewriting its GitLab issue at each flap buries the thread; `/incident retro` asks for one.
 */
export function retroDue(current: Incident, at: string): FactEntry[] {
  return current.firstResolvedAt === undefined ? [{ at, kind: 'retro', actor: 'bot', reason: 'resolved' }] : [];
}

/** An action linked to the incident, as the draft needs it; an Action of src/actions fits as it is. */
export interface RetroAction {
  id: string;
  state: string;
  service: string;
  plan: { title: string; summary: string[] };
  requestedBy: string;
  reason: string;
  approvedBy: string[];
  run?: { url: string };
  result?: RunDetail;
  verification?: Verification;
}

/** A step of an action with who took it and when, as the incident's timeline carries it. */
export interface RetroStep {
  at: string;
  actor: string;
  step: ActionStep;
}

export interface RetroActionSection {
  action: RetroAction;
  /** What each batch did, and the health checks between batches, in time order. */
  batches: RetroStep[];
  /** How the run ended, as the timeline recorded it (absent while it runs, or when it never started). */
  finished?: RetroStep;
  /** Each watch of the action's health after it ran, as it ended; the current one while it is still watched. */
  verifications: Verification[];
}

export interface RetroFollowup {
  at: string;
  by: string;
  text: string;
}

export interface RetroDraft {
  incidentId: string;
  title: string;
  summary: string;
  service: string | undefined;
  severity: string;
  commander: string | undefined;
  state: IncidentState;
  /** From the first alert firing to the resolution (`to` absent while it is open). */
  impact: { from: string; to?: string };
  acknowledgeSeconds?: number;
  resolveSeconds?: number;
  /** Everything that happened, oldest first; what has its own section (follow-ups) and the draft's own bookkeeping are left out. */
  timeline: TimelineEntry[];
  actions: RetroActionSection[];
  followups: RetroFollowup[];
}

const BATCH_STEPS: ReadonlySet<ActionStep['kind']> = new Set(['batch_ran', 'verified', 'halted']);

/** Kinds that are the draft's own bookkeeping or have their own section. */
const NOT_IN_TIMELINE: ReadonlySet<string> = new Set(['retro', 'retro_filed', 'followup']);

function isFact(entry: TimelineEntry): entry is FactEntry {
  return !('text' in entry);
}

/** Oldest first; entries of one instant keep the order they were recorded in (sort is stable). */
export function inTimeOrder<T extends { at: string }>(entries: readonly T[]): T[] {
  const time = (e: T) => {
    const t = Date.parse(e.at);
    return Number.isFinite(t) ? t : 0;
  };
  return [...entries].sort((a, b) => time(a) - time(b));
}

/** The ids of the actions linked to the incident, in the order they first appear on its timeline. */
export function linkedActionIds(timeline: readonly TimelineEntry[]): string[] {
  const ids = new Set<string>();
  for (const entry of timeline) if (isFact(entry) && entry.kind === 'action') ids.add(entry.step.actionId);
  return [...ids];
}

function actionSection(action: RetroAction, steps: readonly RetroStep[]): RetroActionSection {
  const own = steps.filter((s) => s.step.actionId === action.id);
  const ended = own.flatMap((s) => (s.step.kind === 'verification_ended' ? [s.step.verification] : []));
  const current = action.verification;
  const verifications = ended.length > 0 ? ended : current ? [current] : [];
  const finished = own.filter((s) => s.step.kind === 'finished').at(-1);
  return { action, batches: own.filter((s) => BATCH_STEPS.has(s.step.kind)), ...(finished ? { finished } : {}), verifications };
}

export function buildRetro(incident: Incident, timeline: readonly TimelineEntry[], actions: readonly RetroAction[]): RetroDraft {
  const ordered = inTimeOrder(timeline);
  const facts = ordered.filter(isFact);
  const steps = facts.flatMap((e) => (e.kind === 'action' ? [{ at: e.at, actor: e.actor, step: e.step }] : []));
  const byId = new Map(actions.map((a) => [a.id, a]));
  const linked = linkedActionIds(ordered).flatMap((id) => {
    const action = byId.get(id);
    return action ? [actionSection(action, steps)] : [];
  });
  const { acknowledgeSeconds, resolveSeconds } = responseTimes(incident);
  return {
    incidentId: incident.id,
    title: titleOf(incident),
    summary: summaryOf(incident),
    service: incident.service,
    severity: severityOf(incident),
    commander: incident.commander,
    state: incident.state,
    impact: { from: startedAt(incident), ...(incident.state === 'resolved' && incident.resolvedAt ? { to: incident.resolvedAt } : {}) },
    ...(acknowledgeSeconds === undefined ? {} : { acknowledgeSeconds }),
    ...(resolveSeconds === undefined ? {} : { resolveSeconds }),
    timeline: ordered.filter((e) => !NOT_IN_TIMELINE.has(e.kind) && !(isFact(e) && e.kind === 'command' && e.verb === 'viewed')),
    actions: linked,
    followups: facts.flatMap((e) => (e.kind === 'followup' ? [{ at: e.at, by: e.actor, text: e.what }] : [])),
  };
}
