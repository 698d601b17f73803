import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/errors.js';
import { everySeconds, Scheduler } from '../../src/scheduler/scheduler.js';
import { Reconciler } from '../../src/slack/delivery/reconciler.js';
import { waitFor } from '../support/wait.js';

/** A logger whose lines are kept, parsed. */
function capture(): { log: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'debug' }, stream), lines };
}

const outage = () => new StoreUnavailableError(new Error('Connection is closed.'));

describe('a Redis outage in the log', () => {
  it('is one line per scheduled job when it starts and one when it ends, however many ticks it lasts', async () => {
    const { log, lines } = capture();
    let down = true;
    let claims = 0;
    let runs = 0;
    const scheduler = new Scheduler(async () => {
      claims += 1;
      if (down) throw outage();
      return true;
    }, log);
    scheduler.add({
      name: 'sweep',
      cron: everySeconds(1_000),
      run: async () => {
        runs += 1;
      },
    });
    scheduler.add({
      name: 'remind',
      cron: everySeconds(1_000),
      run: async () => {
        throw new Error('wrapped', { cause: outage() });
      },
    });
    try {
      await waitFor(() => claims >= 6, { timeoutMs: 10_000, message: 'three ticks of two jobs during the outage' });
      down = false;
      await waitFor(() => runs >= 1 && lines.some((l) => l.job === 'sweep' && l.level === 30), { timeoutMs: 10_000, message: 'a tick after the outage' });
    } finally {
      await scheduler.stop();
    }
    const about = (job: string) => lines.filter((l) => l.job === job && (l.level as number) >= 30).map((l) => l.msg);
    expect(about('sweep')).toEqual([
      'scheduled job paused: Redis does not answer; tried again each time, and logged again once it works',
      'scheduled job working again: Redis answers',
    ]);
    // Its run fails for want of Redis at every tick after the outage too: still the one line.
    expect(about('remind')).toEqual(['scheduled job paused: Redis does not answer; tried again each time, and logged again once it works']);
    expect(lines.filter((l) => (l.level as number) >= 50)).toEqual([]);
  });

  it('is one line from the reconciler when it starts and one when it ends', async () => {
    const { log, lines } = capture();
    let down = true;
    let sweeps = 0;
    const listOpen = async () => {
      sweeps += 1;
      if (down) throw outage();
      return [];
    };
    const none = async () => [];
    const publisher = { isBehind: async () => false, reconcile: () => undefined };
    const reconciler = new Reconciler({
      incidents: { store: { listOpen, changedSince: none }, publisher },
      actions: { store: { runningActionIds: none, awaitingApprovalIds: none, actionsChangedSince: none }, publisher },
      intervalMs: 10,
      log,
    });
    reconciler.start();
    try {
      await waitFor(() => sweeps >= 5, { message: 'five sweeps during the outage' });
      down = false;
      await waitFor(() => lines.length >= 2, { message: 'a sweep after the outage' });
    } finally {
      await reconciler.stop();
    }
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [40, 'reconciliation paused: Redis does not answer; tried again each time, and logged again once it works'],
      [30, 'reconciliation working again: Redis answers'],
    ]);
  });
});
