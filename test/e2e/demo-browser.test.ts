/**
 * `npm run demo` driven in a real browser (Debian's chromium through playwright-core), as a
 * person would: fire an alert from the page, see the incident, acknowledge it, ask for a
 * rollback, approve it as the second person, see it succeed, and open the incident's war
 * room. Every click goes from the page to the Slack stand-in, which signs it for the real
 * bot; what the page shows is what the bot posted. A screenshot of the rollback's end is
 * written to test-output/demo.png.
 */
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearPrefix } from '../../demo/redis.js';
import { type RunningDemo, startDemo } from '../../demo/start.js';
import { findExecutable } from '../support/child-process.js';
import { testRedisUrl } from '../support/redis.js';

const OUTPUT = resolve(import.meta.dirname, '../../test-output');
/** Long enough for a rollback on a busy machine: the bot polls the demo GitLab every second and its job runs 5 s. */
const STEP_MS = 30_000;
/** Starting chromium and the bot, or the whole walk through, on a busy machine. */
const START_MS = 60_000;
const WALK_MS = 180_000;

function chromiumExecutable(): string {
  const found = findExecutable('chromium') ?? findExecutable('chromium-browser');
  if (!found) throw new Error("chromium is not installed: apt-get install chromium (bash .ci/run installs it); the demo's browser test drives it");
  return found;
}

describe('the demo in a browser', () => {
  const prefix = `test:demo:${randomUUID()}:`;
  const unknownMethods: string[] = [];
  let demo: RunningDemo;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    demo = await startDemo({
      redisUrl: testRedisUrl(),
      port: 0,
      keyPrefix: prefix,
      logLevel: 'silent',
      onUnknownMethod: (method) => unknownMethods.push(method),
    });
    browser = await chromium.launch({ executablePath: chromiumExecutable(), args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.setDefaultTimeout(STEP_MS);
  }, START_MS);

  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
    await clearPrefix(testRedisUrl(), prefix);
  }, START_MS);

  /** The message of the open channel (or thread) that contains `text`, once the page shows it. */
  async function shown(where: Locator, text: string | RegExp): Promise<Locator> {
    const message = where.locator('.message').filter({ hasText: text }).first();
    await message.waitFor({ state: 'visible', timeout: STEP_MS });
    return message;
  }

  it(
    'fires an alert, acknowledges it, and rolls the service back with a second person’s approval',
    async () => {
      await page.goto(demo.url);
      const channel = page.locator('#messages');
      await page.getByRole('button', { name: 'Fire: HighErrorRate on payment-service' }).click();

      // The incident, rendered from the bot's Block Kit: header, fields, context, buttons.
      const firing = await shown(channel, 'FIRING: HighErrorRate (payment-service)');
      const ts = await firing.getAttribute('data-ts');
      const incident = channel.locator(`.message[data-ts="${ts}"]`);
      await expect(incident.locator('.b-fields').textContent()).resolves.toContain('payment-service');
      await expect(incident.locator('.b-context').textContent()).resolves.toMatch(/INC-\d+/);

      await incident.locator('button[data-action-id="incident.ack"]').click();
      await incident.filter({ hasText: 'ACKNOWLEDGED: HighErrorRate' }).waitFor({ timeout: STEP_MS });

      // Roll back asks to confirm first, as Slack shows a button's confirm dialog.
      await incident.locator('button[data-action-id="runbook.run"]').click();
      await page.locator('#confirm').waitFor({ state: 'visible', timeout: STEP_MS });
      await page.locator('#confirm-ok').click();
      const requested = await shown(channel, /ACT-\d+ requested: roll back payment-service/);
      await expect(requested.textContent()).resolves.toContain('Only visible to you');

      // The approval request is in the incident's thread; alice asked, so bob approves.
      await incident.locator('button.replies').click();
      const thread = page.locator('#thread-messages');
      const approval = thread.locator('.message').filter({ has: page.locator('button[data-action-id="action.approve"]') });
      await approval.waitFor({ timeout: STEP_MS });
      const approvalTs = await approval.getAttribute('data-ts');
      await page.selectOption('#me', 'U0BOB');
      await approval.locator('button[data-action-id="action.approve"]').click();

      await shown(thread, /ACT-\d+ succeeded after/);
      await page.locator('#gitlab .status-success').waitFor({ timeout: STEP_MS });
      const approvalMessage = thread.locator(`.message[data-ts="${approvalTs}"]`);
      await expect(approvalMessage.textContent()).resolves.toMatch(/succeeded/i);
      expect(await approvalMessage.locator('button').count()).toBe(0);

      // A slash command typed in the box reaches the bot; its answer is bob's alone.
      await page.locator('#command').fill('/incident list');
      await page.locator('#command').press('Enter');
      const list = await shown(channel, 'Open incidents (1');
      await expect(list.textContent()).resolves.toContain('Only visible to you');

      await mkdir(OUTPUT, { recursive: true });
      await page.screenshot({ path: resolve(OUTPUT, 'demo.png') });
      expect(unknownMethods).toEqual([]);
    },
    WALK_MS,
  );

  it(
    'opens a war room from the incident: a new channel with the live incident message in it',
    async () => {
      await page.locator('#channels a', { hasText: 'payments' }).click();
      const incident = await shown(page.locator('#messages'), 'ACKNOWLEDGED: HighErrorRate (payment-service)');
      await incident.locator('button[data-action-id="incident.room"]').click();

      const room = page.locator('#channels a', { hasText: /inc-\d+-payment-service/ });
      await room.click();
      const copy = await shown(page.locator('#messages'), 'ACKNOWLEDGED: HighErrorRate (payment-service)');
      await copy.locator('button[data-action-id="incident.resolve"]').waitFor({ timeout: STEP_MS });
      await expect(page.locator('#channel-topic').textContent()).resolves.toMatch(/INC-\d+ \[ACKNOWLEDGED\]/);
      expect(unknownMethods).toEqual([]);
    },
    WALK_MS,
  );

  it(
    'fires a storm into other channels and resolves every alert',
    async () => {
      await page.getByRole('button', { name: 'Storm: 8 alert groups at once' }).click();
      await page.locator('#channels a', { hasText: 'checkout' }).locator('.unread', { hasText: '4' }).waitFor({ timeout: STEP_MS });
      await page.locator('#channels a', { hasText: 'incidents' }).click();
      await shown(page.locator('#messages'), 'FIRING: DiskFilling (storage)');

      await page.getByRole('button', { name: 'Resolve every alert fired' }).click();
      await page.locator('#channels a', { hasText: 'payments' }).click();
      await shown(page.locator('#messages'), 'RESOLVED: HighErrorRate (payment-service)');
      await page.locator('#channels a', { hasText: 'checkout' }).click();
      const checkout = page.locator('#messages .message');
      await checkout.filter({ hasText: 'RESOLVED: HighLatency (checkout)' }).waitFor({ timeout: STEP_MS });
      await expect.poll(() => checkout.filter({ hasText: 'RESOLVED:' }).count(), { timeout: STEP_MS }).toBe(4);
      expect(unknownMethods).toEqual([]);
    },
    WALK_MS,
  );
});
