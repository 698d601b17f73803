/**
 * What the action use cases share: the store, the incident link, the clock, and the one
 * way an action is written (a compare-and-set with its timeline entry), after which the
 * listeners (the Slack publisher) and the linked incident hear of it.
 */
import type { Logger } from 'pino';
import { ActionRefused, displayActionId, type Action, type ActionEntry, type ActionOutcome } from './action.js';
import type { ApproverDirectory, IncidentLink, ServicePolicy } from './ports.js';
import type { ActionStep } from '../timeline/action-step.js';
import type { ActionCommit, ActionStore } from './store.js';

export interface ActionContextOptions {
  store: ActionStore;
  approvers: ApproverDirectory;
  policyOf: (service: string) => ServicePolicy | undefined;
  knownServices: () => string[];
  incidents: IncidentLink;
  log: Logger;
  now?: () => Date;
}

export class ActionContext {
  readonly store: ActionStore;
  readonly log: Logger;
  readonly policyOf: (service: string) => ServicePolicy | undefined;
  readonly knownServices: () => string[];
  readonly incidents: IncidentLink;
  private readonly approvers: ApproverDirectory;
  private readonly clock: () => Date;
  private readonly listeners: Array<(actionId: string) => void> = [];

  constructor(o: ActionContextOptions) {
    this.store = o.store;
    this.log = o.log;
    this.policyOf = o.policyOf;
    this.knownServices = o.knownServices;
    this.approvers = o.approvers;
    this.incidents = o.incidents;
    this.clock = o.now ?? (() => new Date());
  }

  now(): Date {
    return this.clock();
  }

  onChange(listener: (actionId: string) => void): void {
    this.listeners.push(listener);
  }

  isApprover(userId: string, approverIds: readonly string[]): Promise<boolean> {
    return this.approvers.isApprover(userId, approverIds);
  }

  async require(id: string): Promise<Action> {
    const action = await this.store.getAction(id);
    if (!action) throw new ActionRefused(`No action ${displayActionId(id)} is stored (it may be older than the retention period).`);
    return action;
  }

  /** Writes the outcome if the action is still at `expectedVersion`; false when another writer won. */
  async commit(outcome: ActionOutcome, expectedVersion: number, cooldown: Pick<ActionCommit, 'cooldownMs' | 'cooldownMustBeFree'> = {}): Promise<boolean> {
    const ok = await this.store.commitAction({ action: outcome.action, expectedVersion, entry: outcome.entry, ...cooldown });
    if (ok) await this.recorded(outcome.action, outcome.entry);
    return ok;
  }

  /** A timeline entry that changes nothing (a refusal, a step of a run). */
  async note(action: Action, actor: string, step: ActionStep): Promise<void> {
    const entry = { at: this.now().toISOString(), actor, step };
    await this.store.appendActionEntry(action, entry);
    await this.recorded(action, entry);
  }

  /**
   * After the action's own timeline took the entry: the listeners hear of it, and the linked
   * incident gets a copy. The copy is a second write, not part of the action's atomic one: if
   * the process dies between the two (or the copy fails), the incident's timeline and thread
   * lack this step, while the action's timeline, the audit source, and its message have it.
   */
  private async recorded(action: Action, entry: ActionEntry): Promise<void> {
    for (const listener of this.listeners) listener(action.id);
    const { incidentId } = action;
    if (!incidentId) return;
    await this.incidents
      .note(incidentId, entry)
      .catch((error: unknown) => this.log.warn({ err: error, actionId: action.id, incidentId }, 'action step not copied to the incident timeline'));
  }
}
