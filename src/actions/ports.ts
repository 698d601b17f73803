/**
 * What the actions layer needs of the rest of the bot besides its store and executors:
 * who may approve, each service's policy, and the incident an action belongs to.
 */
import type { ActionEntry } from './action.js';

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
  /**
   * Copies a step of a linked action onto the incident's timeline (written by the incident
   * store, the only writer of incident keys), so that the incident's thread shows it. Called
   * after the action's own write: see ActionContext for what a crash between the two loses.
   */
  note(incidentId: string, entry: ActionEntry): Promise<void>;
}
