import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { DeliveryQueue } from '../../src/slack/delivery-queue.js';
import { waitFor } from '../support/wait.js';

const log = pino({ level: 'silent' });

describe('DeliveryQueue.close', () => {
  it('starts nothing more, and resolves once the task running has ended', async () => {
    const queue = new DeliveryQueue({ log, minIntervalPerKeyMs: 0, concurrency: 1 });
    const ran: string[] = [];
    let finish!: () => void;
    queue.enqueue('a', async () => {
      ran.push('a started');
      await new Promise<void>((resolve) => (finish = resolve));
      ran.push('a ended');
    });
    queue.enqueue('b', async () => void ran.push('b'));
    await waitFor(() => ran.length === 1);
    const closed = queue.close(2_000);
    finish();
    expect(await closed).toBe(true);
    expect(ran).toEqual(['a started', 'a ended']);
    // b stays pending: nothing starts once closed.
    expect(await queue.drain(50)).toBe(false);
    expect(ran).toEqual(['a started', 'a ended']);
    expect(queue.size).toBe(1);
  });

  it('gives up waiting at its deadline', async () => {
    const queue = new DeliveryQueue({ log, minIntervalPerKeyMs: 0 });
    let started = false;
    queue.enqueue('a', () => {
      started = true;
      return new Promise<void>(() => {});
    });
    await waitFor(() => started);
    expect(await queue.close(50)).toBe(false);
  });
});
