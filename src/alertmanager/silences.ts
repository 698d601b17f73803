/**
 * Silences of an incident's group, made and expired through Alertmanager's API, and the poll
 * that keeps a silenced incident honest: Alertmanager sends no resolved notification for
 * silenced alerts (prometheus/alertmanager#226), so the bot asks whether they still fire.
 */
import type { Logger } from 'pino';
import { AlertmanagerError } from '../errors.js';
import { ALERTMANAGER_ACTOR, type Incident, type IncidentSilence } from '../incidents/incident.js';
import type { IncidentService } from '../incidents/service.js';
import { silenceEnd, type SilenceLength } from '../incidents/silence.js';
import { OPEN_SCAN_LIMIT } from '../incidents/store.js';
import { sameMatchers, type AlertmanagerClient, type Silence } from './client.js';

/** Long enough for one POST and its look-up after an ambiguous answer. */
const SILENCE_CLAIM_MS = 15_000;

export interface SilenceRequest {
  incidentId: string;
  userId: string;
  /** As Slack names the person: written into the silence's createdBy beside the id. */
  userName: string;
  choice: SilenceLength;
  /** The silence's comment: the incident's id, a link to it, and the reason when one was given. */
  comment: (incident: Incident) => string;
}

export type SilenceOutcome =
  | { kind: 'silenced'; silence: IncidentSilence }
  | { kind: 'refused' }
  | { kind: 'already'; silence: IncidentSilence }
  | { kind: 'no_labels' }
  /** Someone else is silencing the same incident right now. */
  | { kind: 'busy' }
  | { kind: 'failed'; reason: string };

export interface SilencesDeps {
  client: AlertmanagerClient;
  incidents: IncidentService;
  /** Whether the user is one of the service's approvers or in its on-call group. */
  mayChange: (userId: string, service: string | undefined) => Promise<boolean>;
  /** Claims `key` for `ttlMs` on one replica; true for the one that got it. */
  claim: (key: string, ttlMs: number) => Promise<boolean>;
  log: Logger;
  now?: () => Date;
}

export class Silences {
  private readonly now: () => Date;

  constructor(private readonly deps: SilencesDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Makes exactly one silence of the incident's group, or says why not; refusals and failures go on the timeline. */
  async silence(request: SilenceRequest): Promise<SilenceOutcome> {
    const { incidents, client, log } = this.deps;
    const incident = await incidents.get(request.incidentId);
    if (!(await this.deps.mayChange(request.userId, incident.service))) {
      await incidents.note(incident.id, { kind: 'silence', verb: 'refused', actor: request.userId });
      incidents.timelineChanged(incident.id);
      return { kind: 'refused' };
    }
    if (incident.silence) return { kind: 'already', silence: incident.silence };
    const matchers = incident.groupLabels;
    if (Object.keys(matchers).length === 0) return { kind: 'no_labels' };
    if (!(await this.deps.claim(`silence:${incident.id}`, SILENCE_CLAIM_MS))) return { kind: 'busy' };
    const now = this.now();
    const endsAt = silenceEnd(request.choice, now);
    const createdBy = `${request.userName} (${request.userId})`;
    const comment = request.comment(incident);
    let id: string;
    try {
      id = await client.createSilence({ matchers, startsAt: now, endsAt, createdBy, comment });
    } catch (error) {
      const found = error instanceof AlertmanagerError && error.ambiguous ? await this.findMade(incident, createdBy, comment) : undefined;
      if (!found) return this.failed(incident.id, request.userId, error);
      log.warn({ err: error, incident: incident.id, silence: found.id }, 'silence request had no clear answer; the silence it made was found');
      id = found.id;
    }
    const silence: IncidentSilence = { id, by: request.userId, endsAt: endsAt.toISOString(), untilResolved: request.choice === 'until_resolved' };
    await incidents.showSilence(incident.id, silence);
    log.info({ incident: incident.id, silence: id, matchers, endsAt: silence.endsAt }, 'incident silenced');
    return { kind: 'silenced', silence };
  }

  /** Expires the incident's silence; `undefined` when it had none. */
  async unsilence(incidentId: string, userId: string): Promise<SilenceOutcome | undefined> {
    const { incidents, client } = this.deps;
    const incident = await incidents.get(incidentId);
    if (!(await this.deps.mayChange(userId, incident.service))) {
      await incidents.note(incident.id, { kind: 'silence', verb: 'refused', actor: userId });
      incidents.timelineChanged(incident.id);
      return { kind: 'refused' };
    }
    if (!incident.silence) return undefined;
    try {
      await client.expireSilence(incident.silence.id);
    } catch (error) {
      return this.failed(incident.id, userId, error);
    }
    await incidents.clearSilence(incident.id, userId);
    return undefined;
  }

  /** After an incident changed: a silence made "until resolved" ends with it. */
  async incidentChanged(incidentId: string): Promise<void> {
    const incident = await this.deps.incidents.get(incidentId);
    if (incident.state !== 'resolved' || !incident.silence?.untilResolved) return;
    await this.deps.client.expireSilence(incident.silence.id);
    await this.deps.incidents.clearSilence(incident.id, 'bot');
  }

  /**
   * One poll (on one replica per tick): each open incident shows the silence Alertmanager
   * holds for its group (made or expired in its UI too), and a silenced one whose alerts all
   * stopped is resolved.
   */
  async poll(): Promise<void> {
    const open = (await this.deps.incidents.listOpen(OPEN_SCAN_LIMIT)).incidents.filter((i) => Object.keys(i.groupLabels).length > 0);
    if (open.length === 0) return;
    const active = await this.deps.client.activeSilences();
    for (const incident of open) {
      try {
        await this.pollOne(incident, active);
      } catch (error) {
        this.deps.log.warn({ err: error, incident: incident.id }, 'silenced incident not checked against Alertmanager this time');
      }
    }
  }

  private async pollOne(incident: Incident, active: readonly Silence[]): Promise<void> {
    const { incidents, client, log } = this.deps;
    const matching = active.filter((s) => sameMatchers(s, incident.groupLabels));
    const kept = matching.find((s) => s.id === incident.silence?.id) ?? latestEnding(matching);
    if (!kept) {
      // One that ran its length simply ended; one gone before its end was expired in Alertmanager.
      const ranOut = incident.silence && Date.parse(incident.silence.endsAt) <= this.now().getTime();
      if (incident.silence) await incidents.clearSilence(incident.id, ranOut ? 'bot' : ALERTMANAGER_ACTOR);
      return;
    }
    if (kept.id !== incident.silence?.id || kept.endsAt !== incident.silence.endsAt) {
      const ours = kept.id === incident.silence?.id;
      await incidents.showSilence(incident.id, {
        id: kept.id,
        by: ours && incident.silence ? incident.silence.by : ALERTMANAGER_ACTOR,
        endsAt: kept.endsAt,
        untilResolved: ours && incident.silence ? incident.silence.untilResolved : false,
      });
    }
    if ((await client.firingAlerts(incident.groupLabels)).length > 0) return;
    log.info({ incident: incident.id, silence: kept.id }, 'no alert of the silenced group fires any more: resolving');
    await incidents.resolveSilenced(incident.id);
  }

  /** After an ambiguous answer: the silence this request made, if Alertmanager did make it. */
  private async findMade(incident: Incident, createdBy: string, comment: string): Promise<Silence | undefined> {
    try {
      const found = await this.deps.client.silencesMatching(incident.groupLabels);
      return found.find((s) => s.createdBy === createdBy && s.comment === comment);
    } catch (error) {
      this.deps.log.warn({ err: error, incident: incident.id }, 'could not look for a silence after an ambiguous answer');
      return undefined;
    }
  }

  private async failed(incidentId: string, userId: string, error: unknown): Promise<SilenceOutcome> {
    const reason = error instanceof Error ? error.message : String(error);
    this.deps.log.error({ err: error, incident: incidentId }, 'Alertmanager did not make the silence change');
    await this.deps.incidents.note(incidentId, { kind: 'silence', verb: 'failed', actor: userId, reason });
    this.deps.incidents.timelineChanged(incidentId);
    return { kind: 'failed', reason };
  }
}

function latestEnding(silences: readonly Silence[]): Silence | undefined {
  return [...silences].sort((a, b) => Date.parse(b.endsAt) - Date.parse(a.endsAt))[0];
}
