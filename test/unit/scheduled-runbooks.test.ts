/**
 * Scheduled runbooks (src/scheduler/scheduled-runbooks.ts) over fakes: which ticks post,
 * what they say, and that nothing a tick meets escapes it. The whole bot with real hosts
 * and two replicas is test/integration/scheduled-runbooks.test.ts.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ActionRefused, AutomationPaused, type Action } from '../../src/actions/action.js';
import type { ExecutionPlan } from '../../src/actions/executor.js';
import type { FleetActionRequest } from '../../src/actions/service.js';
import type { KillSwitch } from '../../src/actions/store.js';
import { parseRunbook } from '../../src/runbooks/loader.js';
import type { FleetAction, Runbook } from '../../src/runbooks/schema.js';
import { digestOf, dryRunFinding, scheduleRunbooks, worthPosting, type Finding, type ScheduleMemory } from '../../src/scheduler/scheduled-runbooks.js';
import type { ScheduledJob } from '../../src/scheduler/scheduler.js';
import { renderScheduledRun } from '../../src/slack/render/scheduled-run.js';
import type { Rehearsal } from '../../src/timeline/fleet-facts.js';

function runbook(schedule: string, extra = ''): Runbook {
  return parseRunbook(
    `
id: nightly
title: Nightly check
match:
  - label: alertname
    equals: Never
${schedule}
actions:
  - id: check
    title: Check disks
    kind: fleet
    dry_run_command: df -P /
    command: "true"
    targets:
      from: service-hosts
      service: web
  - id: rollback
    title: Roll back
    kind: rollback
${extra}`,
    'nightly.yaml',
  );
}

const plan: ExecutionPlan = { executor: 'fleet', service: 'web', title: 'Check disks on 2 hosts', summary: ['service: web'], params: {} };
const rehearsal = (output: string, ok = true, durationMs = 80): Rehearsal => ({
  ok,
  check: 'dry_run_command',
  hosts: [
    { host: 'web-1', ok: true, exitCode: 0, output: 'same', durationMs: 120 },
    { host: 'web-2', ok, exitCode: ok ? 0 : 1, output, durationMs },
  ],
});

class Harness {
  readonly jobs: ScheduledJob[] = [];
  /** What was posted: the finding, and its words as the channel reads them. */
  readonly posts: Array<{ key: string; channel: string; finding: Finding; text: string }> = [];
  readonly requests: FleetActionRequest[] = [];
  readonly logs: Array<Record<string, unknown>> = [];
  readonly digests = new Map<string, string>();
  paused: KillSwitch | undefined;
  /** What the next dry runs answer, or throw. */
  next: () => Rehearsal | Error = () => rehearsal('v1');

  constructor(runbooks: Runbook[]) {
    const memory: ScheduleMemory = {
      swapDigest: async (runbookId, actionId, digest) => {
        const previous = this.digests.get(`${runbookId}/${actionId}`);
        this.digests.set(`${runbookId}/${actionId}`, digest);
        return previous;
      },
    };
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) this.logs.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    scheduleRunbooks({ add: (job) => void this.jobs.push(job) }, runbooks, {
      actions: {
        killSwitch: async () => this.paused,
        dryRun: async (req) => {
          this.requests.push(req);
          const answer = this.next();
          if (answer instanceof Error) throw answer;
          return { plan, rehearsal: answer };
        },
        request: async (req) => {
          this.requests.push(req as FleetActionRequest);
          const answer = this.next();
          if (answer instanceof Error) throw answer;
          return { id: '7', service: 'web', state: 'awaiting_approval', plan } as unknown as Action;
        },
      },
      memory,
      services: { channelFor: (service) => (service === 'web' ? 'C0WEB' : 'C0DEFAULT'), group: () => undefined },
      post: (key, message) => void this.posts.push({ key, ...message, text: renderScheduledRun(message.finding) }),
      log: pino({ level: 'debug' }, sink),
    });
  }

  private ticks = 0;
  async tick(): Promise<void> {
    this.ticks += 1;
    await this.jobs[0]?.run(new Date(Date.UTC(2030, 0, 1, 4, 30, this.ticks)));
  }
}

describe('scheduleRunbooks', () => {
  it('adds one job per scheduled runbook, named by its id, on its cron and time zone', () => {
    const scheduled = runbook('schedule:\n  cron: "30 4 * * *"\n  timezone: Europe/Paris');
    const unscheduled = { ...runbook(''), id: 'other' };
    const h = new Harness([scheduled, unscheduled]);
    expect(h.jobs.map(({ name, cron, timezone }) => ({ name, cron, timezone }))).toEqual([
      { name: 'runbook:nightly', cron: '30 4 * * *', timezone: 'Europe/Paris' },
    ]);
  });

  it('dry-runs as the scheduler, and posts only the first result, a change, or a failure', async () => {
    const h = new Harness([runbook('schedule:\n  cron: "* * * * *"')]);
    await h.tick();
    expect(h.requests[0]).toMatchObject({ kind: 'fleet', userId: 'scheduler', reason: 'schedule nightly', fleet: { runbookId: 'nightly', actionId: 'check' } });
    expect(h.posts).toHaveLength(1);
    expect(h.posts[0]).toMatchObject({ channel: 'C0WEB', key: 'schedule:nightly:check:2030-01-01T04:30:01.000Z' });

    h.next = () => rehearsal('v1', true, 2500);
    await h.tick();
    expect(h.posts, 'only the durations differ').toHaveLength(1);

    h.next = () => rehearsal('v2');
    await h.tick();
    await h.tick();
    expect(h.posts).toHaveLength(2);
    expect(h.posts[1]?.text).toContain('v2');

    h.next = () => rehearsal('disk gone', false);
    await h.tick();
    await h.tick();
    expect(h.posts.slice(2).map((p) => p.text.startsWith(':warning:'))).toEqual([true, true]);

    h.next = () => rehearsal('v2');
    await h.tick();
    expect(h.posts, 'recovering is a change').toHaveLength(5);
  });

  it('runs the actions the schedule names, in its order', async () => {
    const rb = runbook(
      'schedule:\n  cron: "* * * * *"\n  actions: [second, check]',
      `  - id: second
    title: Second
    kind: fleet
    command: "true"
    targets: { from: service-hosts, service: web }`,
    );
    const h = new Harness([rb]);
    await h.tick();
    expect(h.requests.map((r) => r.fleet.actionId)).toEqual(['second', 'check']);
  });

  it('posts a refusal once per distinct text', async () => {
    const h = new Harness([runbook('schedule:\n  cron: "* * * * *"')]);
    h.next = () => new ActionRefused('Unknown service "web".');
    await h.tick();
    await h.tick();
    h.next = () => new ActionRefused('web-9 is not in the host inventory.');
    await h.tick();
    expect(h.posts.map((p) => p.finding.outcome)).toEqual([
      { kind: 'refused', mode: 'dry-run', title: 'Check disks', refusal: new ActionRefused('Unknown service "web".') },
      { kind: 'refused', mode: 'dry-run', title: 'Check disks', refusal: new ActionRefused('web-9 is not in the host inventory.') },
    ]);
    expect(h.posts.map((p) => p.text.split('\n')[1])).toEqual(['Unknown service "web".', 'web-9 is not in the host inventory.']);
    expect(h.posts[0]?.text).toMatch(/^:warning: \*Scheduled dry-run refused: Check disks \(runbook `nightly`, action `check`\)\*\n/);
  });

  it('names who paused automation when a pause lands between its check and the dry run', async () => {
    const h = new Harness([runbook('schedule:\n  cron: "* * * * *"')]);
    h.next = () => new AutomationPaused('U0ALICE', 'maintenance');
    await h.tick();
    expect(h.posts.map((p) => p.text.split('\n')[1])).toEqual([
      'Automation is paused by <@U0ALICE> (maintenance); nothing was run. Resume it with /automation resume first.',
    ]);
  });

  it('stays quiet and runs nothing while the kill switch is on', async () => {
    const h = new Harness([runbook('schedule:\n  cron: "* * * * *"')]);
    h.paused = { by: 'U0ALICE', reason: 'maintenance', at: '2030-01-01T00:00:00Z' };
    await h.tick();
    expect(h.requests).toEqual([]);
    expect(h.posts).toEqual([]);
    expect(h.logs.find((l) => l.msg === 'scheduled run skipped: automation is paused')).toMatchObject({ level: 40, runbook: 'nightly', pausedBy: 'U0ALICE' });
  });

  it('requests the real run in apply mode and leaves the posting to the action', async () => {
    const h = new Harness([runbook('schedule:\n  cron: "* * * * *"\n  mode: apply')]);
    await h.tick();
    expect(h.requests[0]).toMatchObject({ userId: 'scheduler', reason: 'schedule nightly' });
    expect(h.posts).toEqual([]);
    expect(h.logs.find((l) => l.msg === 'scheduled run requested')).toMatchObject({ actionId: '7' });

    h.next = () => new ActionRefused('Automation is paused.');
    await h.tick();
    await h.tick();
    expect(h.posts).toHaveLength(1);
  });

  it('logs other errors and never lets them out of the tick', async () => {
    const h = new Harness([runbook('schedule:\n  cron: "* * * * *"')]);
    h.next = () => new Error('Redis went away');
    await expect(h.tick()).resolves.toBeUndefined();
    expect(h.posts).toEqual([]);
    expect(h.logs.find((l) => l.msg === 'scheduled run failed')).toMatchObject({ level: 50, action: 'check' });
  });
});

describe('scheduled dry run messages', () => {
  const action = runbook('').actions[0] as FleetAction;

  it('ignores per-host durations when comparing runs', () => {
    const slower = { ...rehearsal('v1'), hosts: rehearsal('v1').hosts.map((h) => ({ ...h, durationMs: 9900 })) };
    expect(dryRunFinding(runbook(''), action, plan, slower).fingerprint).toBe(dryRunFinding(runbook(''), action, plan, rehearsal('v1')).fingerprint);
    expect(dryRunFinding(runbook(''), action, plan, rehearsal('v2')).fingerprint).not.toBe(
      dryRunFinding(runbook(''), action, plan, rehearsal('v1')).fingerprint,
    );
  });

  it('fingerprints a run as earlier releases did, so that an upgrade posts nothing new', () => {
    expect(dryRunFinding(runbook(''), action, plan, rehearsal('v1')).fingerprint).toBe(
      '{"ok":true,"hosts":[{"host":"web-1","ok":true,"output":"same"},{"host":"web-2","ok":true,"output":"v1"}]}',
    );
    expect(dryRunFinding(runbook(''), action, plan, undefined).fingerprint).toBe('{"ok":true,"hosts":[],"plan":["service: web"]}');
  });

  it('decides from the previous digest', () => {
    const finding = dryRunFinding(runbook(''), action, plan, rehearsal('v1'));
    expect(worthPosting(finding, undefined)).toBe(true);
    expect(worthPosting(finding, digestOf(finding.fingerprint))).toBe(false);
    expect(worthPosting({ ...finding, post: 'always' }, digestOf(finding.fingerprint))).toBe(true);
    expect(worthPosting({ ...finding, post: 'never' }, undefined)).toBe(false);
  });

  it('shows the plan when a read-only action has no dry run', () => {
    const finding = dryRunFinding(runbook(''), action, plan, undefined);
    expect(finding).toMatchObject({
      ok: true,
      outcome: { kind: 'dry_run', plan: { title: 'Check disks on 2 hosts', summary: ['service: web'] }, rehearsal: undefined },
      post: 'on-change',
    });
    expect(renderScheduledRun(finding)).toBe(
      '*Scheduled dry run: Check disks on 2 hosts (runbook `nightly`, action `check`)*\nnothing to dry-run (a read-only action without dry_run_command)\nservice: web',
    );
  });

  it('reads: title, a warning when failed, the summary, then each host, failures first', () => {
    expect(renderScheduledRun(dryRunFinding(runbook(''), action, plan, rehearsal('disk gone', false)))).toMatchInlineSnapshot(`
      ":warning: *Scheduled dry run: Check disks on 2 hosts (runbook \`nightly\`, action \`check\`)*
      dry run FAILED on 1 of 2 host(s): web-2
      • web-2 FAILED (exit 1), 0.1s
      \`\`\`disk gone\`\`\`
      • web-1 ok, 0.1s
      \`\`\`same\`\`\`"
    `);
  });

  it('cuts a long message inside its limit, closing the cut output', () => {
    const finding = dryRunFinding(runbook(''), action, plan, rehearsal('y'.repeat(5000), false));
    expect(renderScheduledRun(finding).length).toBeLessThanOrEqual(3500);
    const text = renderScheduledRun(finding, 600);
    expect(text.length).toBeLessThanOrEqual(600);
    expect(text).toMatch(/y```\n… \(cut: \d+ characters in all\)$/);
  });
});
