/**
 * Timeline entries in words: the facts the domain stores, as the thread, `/incident show`
 * and an action's own thread say them. Entries stored before entries were facts carry
 * their words already (`text`), and are shown as they were.
 */
import { renderCommandFact } from './incident-command.js';
import { renderSilenceFact } from './silence.js';
import { displayActionId, type ActionEntry } from '../../actions/action.js';
import { ALERTMANAGER_ACTOR, displayId, type AlertsFact, type FactEntry, type TimelineEntry } from '../../incidents/incident.js';
import type { ActionStep } from '../../timeline/action-step.js';
import { toleratedFailures } from '../../timeline/fleet-facts.js';
import { renderTransitionRefusal } from './error-text.js';
import { fleetEndText, renderRehearsal, renderRunReport } from './fleet-report.js';
import { escapeText, link } from './escape.js';
import { groupMention, mention } from './mention.js';
import { verificationEndedText, verificationStartedText } from './verification.js';
import { renderRoomFact } from './war-room.js';

/** One step of an action; `actor` is who took it (`bot` for the bot's own steps). */
export function renderActionStep(actor: string, step: ActionStep): string {
  const id = displayActionId(step.actionId);
  const who = mention(actor);
  switch (step.kind) {
    case 'requested': {
      const what = `${id}: ${escapeText(step.title)}`;
      if (step.approval === 'read_only') return `${who} ran ${what} (read-only, no approval needed)`;
      if (step.approval === 'self_approved') return `${who} ran ${what} (${escapeText(step.service)} needs no second approval)`;
      return `${who} requested ${what}${step.reason ? ` (${escapeText(step.reason)})` : ''}`;
    }
    case 'approved':
      if (step.anyway) {
        const failed = step.anyway.failed.map(escapeText).join(', ');
        return `${who} approved ${id} ANYWAY, although its dry run failed${failed ? ` on ${failed}` : ''} (${step.count} of ${step.required})`;
      }
      return `${who} approved ${id} (${step.count} of ${step.required})`;
    case 'denied':
    case 'cancelled':
      return `${who} ${step.kind} ${id}`;
    case 'aborted':
      return `${who} aborted ${id}; the hosts not yet run stay untouched`;
    case 'continued':
      return `${who} asked to continue ${id} as ${displayActionId(step.successorId)}`;
    case 'retried':
      return `${who} asked to retry the failed hosts of ${id} (${step.hosts.map(escapeText).join(', ')}) as ${displayActionId(step.successorId)}`;
    case 'expired':
      return `${id} expired unapproved`;
    case 'started':
      return `${id} started`;
    case 'run_attached':
      return `${id} running: ${escapeText(step.url)}`;
    case 'finished': {
      // An executor's own sentence (it may quote GitLab) or a rollout's end, said here.
      if (typeof step.detail === 'string') return `${id} ${step.succeeded ? 'succeeded' : 'failed'} after ${step.seconds}s: ${escapeText(step.detail)}`;
      const tolerated = step.succeeded && toleratedFailures(step.detail).length > 0;
      const how = tolerated ? 'succeeded with failures' : step.succeeded ? 'succeeded' : 'failed';
      const next = tolerated ? '. *Retry failed hosts* on its message asks for a new approved action over just those hosts.' : '';
      return `${id} ${how} after ${step.seconds}s: ${escapeText(fleetEndText(step.detail))}${next}`;
    }
    case 'rehearsed':
      return `Dry run of ${id}: ${renderRehearsal(step.rehearsal)}`;
    case 'batch_ran':
    case 'verified':
    case 'halted':
      return renderRunReport(step);
    // Stored by earlier releases in the words they showed.
    case 'dry_run':
      return `Dry run of ${id}: ${step.summary}\n${step.details}`;
    case 'remark':
      return step.text;
    case 'stopped_by_pause':
      return `Stopped before the next batch: automation paused by ${mention(step.pausedBy)} (${escapeText(step.pauseReason)}). Continue (approved again) after /automation resume.`;
    case 'refused':
      return `${who} was refused: ${escapeText(step.reason)}`;
    case 'verification_started':
      return verificationStartedText(step.actionId, step.verification);
    case 'verification_ended':
      return verificationEndedText(step.actionId, step.verification);
    case 'held':
      return `${id} approved but not run: automation is paused by ${mention(step.pausedBy)} (${escapeText(step.pauseReason)}). Approve again after /automation resume.`;
  }
}

export function renderActionEntry(entry: ActionEntry): string {
  return 'text' in entry ? entry.text : renderActionStep(entry.actor, entry.step);
}

function alertsLine(verb: 'firing' | 'resolved', { alerts, total }: AlertsFact): string {
  const names = alerts.map(({ alertname, instance }) => `${escapeText(alertname ?? 'alert')}${instance ? ` on ${escapeText(instance)}` : ''}`);
  const more = total > alerts.length ? ` and ${total - alerts.length} more` : '';
  return `${total} alert${total === 1 ? '' : 's'} ${verb}: ${names.join(', ')}${more}`;
}

function renderCommand(entry: Extract<FactEntry, { kind: 'command' }>): string {
  switch (entry.verb) {
    case 'mitigating':
      return `Mitigating: ${displayActionId(entry.actionId)} is running`;
    case 'viewed':
      return `${mention(entry.actor)} viewed the incident with /incident show`;
    case 'refused':
      return `${mention(entry.actor)} tried ${escapeText(entry.attempted)}: refused (${renderTransitionRefusal(entry.refusal)})`;
  }
}

function renderResolved(actor: string, stillFiring = 0): string {
  if (actor === ALERTMANAGER_ACTOR) return 'Incident resolved: every alert of the group has resolved';
  const note = stillFiring > 0 ? ` (${stillFiring} alert${stillFiring === 1 ? ' is' : 's are'} still firing in Alertmanager)` : '';
  return `Resolved by ${mention(actor)}${note}`;
}

/** One entry of an incident's timeline. */
export function renderTimelineEntry(entry: TimelineEntry): string {
  if ('text' in entry) return entry.text;
  switch (entry.kind) {
    case 'opened':
      return `Incident opened for ${entry.service === undefined ? 'an unlabelled service' : escapeText(entry.service)}: ${alertsLine('firing', entry)}`;
    case 'alert_firing':
      return alertsLine('firing', entry);
    case 'alert_resolved':
      return alertsLine('resolved', entry);
    case 'acknowledged':
      return `Acknowledged by ${mention(entry.actor)}`;
    case 'reopened':
      return 'Incident reopened: alerts are firing again';
    case 'resolved':
      if (entry.whileSilenced)
        return 'Incident resolved: Alertmanager holds no firing alert of the silenced group any more (it sends no resolved notification for silenced alerts)';
      return renderResolved(entry.actor, entry.stillFiring);
    case 'command':
      return renderCommand(entry);
    case 'action':
      return renderActionStep(entry.actor, entry.step);
    case 'reminder': {
      const who = entry.oncall ? groupMention(entry.oncall) : 'No on-call group is configured for this service (services.yaml `oncall`);';
      return `${who} ${displayId(entry.incidentId)} is still unacknowledged after ${entry.minutes} minute${entry.minutes === 1 ? '' : 's'}.`;
    }
    case 'silence':
      return renderSilenceFact(entry.actor, entry);
    case 'commander':
    case 'severity':
    case 'note':
    case 'captured':
      return renderCommandFact(entry);
    case 'room':
      return renderRoomFact(entry);
    case 'retro':
      return entry.reason === 'resolved' ? 'A retrospective draft follows in the thread' : `${mention(entry.actor)} asked for the retrospective draft again`;
    case 'followup':
      return `${mention(entry.actor)} added a follow-up: ${escapeText(entry.what)}`;
    case 'retro_filed':
      return `Retrospective filed in GitLab: ${link(entry.url, `${entry.project}#${entry.iid}`) ?? escapeText(`${entry.project}#${entry.iid}`)}`;
  }
}
