import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import { OutageLog } from '../outage-log.js';

export interface ScheduledJob {
  /** Unique among jobs: with the fire time, it names the tick that exactly one replica runs. */
  name: string;
  /** node-cron syntax (an optional seconds field first). */
  cron: string;
  timezone?: string;
  /** `firedAt` is the tick's scheduled time, the same on every replica. */
  run: (firedAt: Date) => Promise<void>;
}

/**
 * Claims a tick for this replica; true for exactly one replica per key.
 * The key is the job's name and the tick's fire time, as node-cron builds it.
 */
export type TickClaim = (key: string, ttlMs: number) => Promise<boolean>;

/** node-cron syntax for every `ms` (whole seconds, up to a minute): on the seconds it divides. */
export function everySeconds(ms: number): string {
  return `*/${Math.round(ms / 1_000)} * * * * *`;
}

/** Long enough that a replica whose clock or timer runs late cannot run the same tick again. */
const MIN_TICK_CLAIM_MS = 10 * 60_000;

/** node-cron tasks whose every tick runs on exactly one replica. */
export class Scheduler {
  private readonly tasks: ScheduledTask[] = [];

  constructor(
    private readonly claim: TickClaim,
    private readonly log: Logger,
  ) {}

  add(job: ScheduledJob): void {
    if (!cron.validate(job.cron)) throw new Error(`Schedule "${job.cron}" of ${job.name} is not a valid cron expression`);
    const log = this.log.child({ job: job.name });
    const outage = new OutageLog(log, 'scheduled job');
    // A tick that cannot be claimed for want of Redis is skipped, as one another replica claimed.
    const shouldRun = async (key: string, ttlMs: number) => {
      try {
        const claimed = await this.claim(key, Math.max(ttlMs, MIN_TICK_CLAIM_MS));
        if (!claimed) outage.succeeded();
        return claimed;
      } catch (error) {
        if (outage.failed(error)) return false;
        throw error;
      }
    };
    const task = cron.schedule(
      job.cron,
      async (context) => {
        try {
          await job.run(context.date);
          outage.succeeded();
        } catch (error) {
          if (!outage.failed(error)) log.error({ err: error }, 'scheduled job failed');
        }
      },
      {
        name: job.name,
        ...(job.timezone ? { timezone: job.timezone } : {}),
        noOverlap: true,
        distributed: true,
        distributedLease: MIN_TICK_CLAIM_MS,
        runCoordinator: { shouldRun },
        logger: {
          info: (message) => log.debug(message),
          warn: (message) => log.warn(message),
          error: (message, err) => log.error({ err: err ?? message }, 'scheduler error'),
          debug: (message) => log.debug(typeof message === 'string' ? message : message.message),
        },
      },
    );
    this.tasks.push(task);
  }

  async stop(): Promise<void> {
    await Promise.all(this.tasks.splice(0).map((task) => task.destroy()));
  }
}
