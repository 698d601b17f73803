/** Silences from Slack through Alertmanager's API: on only with ALERTMANAGER_URL. */
import type { Logger } from 'pino';
import type { ApproverDirectory } from '../actions/ports.js';
import { AlertmanagerClient } from '../alertmanager/client.js';
import { Silences } from '../alertmanager/silences.js';
import type { Config } from '../config/load.js';
import type { IncidentService } from '../incidents/service.js';
import { everySeconds, type Scheduler } from '../scheduler/scheduler.js';
import type { ServiceCatalog } from '../services/catalog.js';

export interface SilenceWiring {
  config: Config;
  incidents: IncidentService;
  catalog: ServiceCatalog;
  approvers: ApproverDirectory;
  claim: (key: string, ttlMs: number) => Promise<boolean>;
  log: Logger;
}

export function createSilences({ config, incidents, catalog, approvers, claim, log }: SilenceWiring): Silences | undefined {
  if (!config.alertmanager) return undefined;
  const silences = new Silences({
    client: new AlertmanagerClient(config.alertmanager),
    incidents,
    // The people who may act on the service may also quiet it: its approvers and its on-call group.
    mayChange: async (userId, service) => {
      const entry = service ? catalog.get(service) : undefined;
      if (!entry) return false;
      return approvers.isApprover(userId, [...entry.approvers, ...(entry.oncall ? [entry.oncall] : [])]);
    },
    claim,
    log,
  });
  incidents.onChange((id) => {
    silences
      .incidentChanged(id)
      .catch((error: unknown) => log.error({ err: error, incident: id }, 'silence made until resolved not expired; it ends on its own'));
  });
  log.info({ url: config.alertmanager.url, pollIntervalMs: config.alertmanager.pollIntervalMs }, 'silences through Alertmanager on');
  return silences;
}

/** Each tick on one replica: silenced incidents whose alerts stopped are resolved, and silences made in Alertmanager are shown. */
export function scheduleSilencePoll(scheduler: Scheduler, silences: Silences | undefined, config: Config): void {
  if (!silences || !config.alertmanager) return;
  scheduler.add({ name: 'poll-alertmanager-silences', cron: everySeconds(config.alertmanager.pollIntervalMs), run: () => silences.poll() });
}
