/** The sweeps every bot runs, each tick on one replica: expiry, take-over and reminders. */
import type { Logger } from 'pino';
import type { ActionService } from '../actions/service.js';
import type { Config } from '../config/load.js';
import type { IncidentService } from '../incidents/service.js';
import { everySeconds, type Scheduler } from '../scheduler/scheduler.js';
import type { ServiceCatalog } from '../services/catalog.js';

export interface HousekeepingDeps {
  config: Config;
  actions: ActionService;
  incidents: IncidentService;
  catalog: ServiceCatalog;
  /** Claims `key` for `ttlMs`; true for the one replica that got it. */
  claim: (key: string, ttlMs: number) => Promise<boolean>;
  log: Logger;
}

export function scheduleHousekeeping(scheduler: Scheduler, { config, actions, incidents, catalog, claim, log }: HousekeepingDeps): void {
  const cron = everySeconds(config.sweepIntervalMs);
  scheduler.add({
    name: 'expire-approval-requests',
    cron,
    run: async () => {
      const expired = await actions.expireDue();
      if (expired > 0) log.info({ expired }, 'approval requests expired');
    },
  });
  // A replica that died or hung while tracking an action stops renewing its tracking lease.
  scheduler.add({ name: 'take-over-running-actions', cron, run: () => actions.resume() });
  scheduler.add({
    name: 'remind-unacknowledged',
    cron,
    run: async () => {
      const reminded = await incidents.remindUnacknowledged(
        config.reminderAfterMs,
        (service) => (service ? catalog.get(service)?.oncall : undefined),
        (id) => claim(`reminder:${id}`, config.retentionMs),
      );
      if (reminded > 0) log.info({ reminded }, 'unacknowledged incidents reminded');
    },
  });
}
