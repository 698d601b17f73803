/**
 * The words of timeline entries (src/slack/render/timeline.ts): each fact the domain stores
 * reads as releases that stored words wrote it, and entries stored as words still read so.
 */
import { describe, expect, it } from 'vitest';
import { ActionRefused, AutomationPaused, type ActionEntry } from '../../src/actions/action.js';
import { InvalidTransitionError } from '../../src/errors.js';
import type { TimelineEntry } from '../../src/incidents/incident.js';
import { userMessage } from '../../src/slack/render/error-text.js';
import { renderActionReply, renderThreadReply } from '../../src/slack/render/thread-reply.js';
import { renderActionEntry, renderActionStep, renderTimelineEntry } from '../../src/slack/render/timeline.js';
import type { ActionStep } from '../../src/timeline/action-step.js';

const at = '2026-11-22T10:00:00.000Z';

describe('incident timeline entries', () => {
  it.each<[string, TimelineEntry, string]>([
    [
      'opened',
      {
        at,
        kind: 'opened',
        actor: 'alertmanager',
        service: 'checkout',
        alerts: [{ alertname: 'HighErrorRate', instance: 'web-1' }, { alertname: 'HighErrorRate' }],
        total: 2,
      },
      'Incident opened for checkout: 2 alerts firing: HighErrorRate on web-1, HighErrorRate',
    ],
    [
      'opened without a service label',
      { at, kind: 'opened', actor: 'alertmanager', alerts: [{}], total: 1 },
      'Incident opened for an unlabelled service: 1 alert firing: alert',
    ],
    [
      'alerts firing, more than are named',
      { at, kind: 'alert_firing', actor: 'alertmanager', alerts: ['a', 'b', 'c', 'd', 'e'].map((i) => ({ alertname: 'Disk', instance: i })), total: 7 },
      '7 alerts firing: Disk on a, Disk on b, Disk on c, Disk on d, Disk on e and 2 more',
    ],
    [
      'alerts resolved',
      { at, kind: 'alert_resolved', actor: 'alertmanager', alerts: [{ alertname: 'Disk', instance: 'a' }], total: 1 },
      '1 alert resolved: Disk on a',
    ],
    ['acknowledged', { at, kind: 'acknowledged', actor: 'U0ALICE' }, 'Acknowledged by <@U0ALICE>'],
    ['reopened', { at, kind: 'reopened', actor: 'alertmanager' }, 'Incident reopened: alerts are firing again'],
    ['resolved by Alertmanager', { at, kind: 'resolved', actor: 'alertmanager' }, 'Incident resolved: every alert of the group has resolved'],
    ['resolved by a person', { at, kind: 'resolved', actor: 'U0BOB', stillFiring: 0 }, 'Resolved by <@U0BOB>'],
    ['resolved while one fires', { at, kind: 'resolved', actor: 'U0BOB', stillFiring: 1 }, 'Resolved by <@U0BOB> (1 alert is still firing in Alertmanager)'],
    ['mitigating', { at, kind: 'command', verb: 'mitigating', actor: 'bot', actionId: '4' }, 'Mitigating: ACT-4 is running'],
    ['viewed', { at, kind: 'command', verb: 'viewed', actor: 'U0EVE' }, '<@U0EVE> viewed the incident with /incident show'],
    [
      'a refused transition',
      { at, kind: 'command', verb: 'refused', actor: 'U0LATE', attempted: 'incident.ack', refusal: { incidentId: '3', state: 'resolved', to: 'acknowledged' } },
      '<@U0LATE> tried incident.ack: refused (Incident 3 is resolved; it cannot become acknowledged)',
    ],
    [
      'a second acknowledgement',
      {
        at,
        kind: 'command',
        verb: 'refused',
        actor: 'U0BOB',
        attempted: '/incident',
        refusal: { incidentId: '3', state: 'acknowledged', to: 'acknowledged', acknowledgedBy: 'U0ALICE' },
      },
      '<@U0BOB> tried /incident: refused (Incident 3 is already acknowledged by <@U0ALICE>)',
    ],
    [
      'a reminder to the on-call group',
      { at, kind: 'reminder', actor: 'bot', incidentId: '3', oncall: 'S0ONCALL', minutes: 1 },
      '<!subteam^S0ONCALL> INC-3 is still unacknowledged after 1 minute.',
    ],
    [
      'a reminder with no on-call group',
      { at, kind: 'reminder', actor: 'bot', incidentId: '3', minutes: 16 },
      'No on-call group is configured for this service (services.yaml `oncall`); INC-3 is still unacknowledged after 16 minutes.',
    ],
    [
      'an action step',
      { at, kind: 'action', actor: 'U0BOB', step: { kind: 'approved', actionId: '4', count: 1, required: 2 } },
      '<@U0BOB> approved ACT-4 (1 of 2)',
    ],
  ])('%s', (_label, entry, words) => {
    expect(renderTimelineEntry(entry)).toBe(words);
  });

  it('escapes what came from Alertmanager, so a label cannot ping the channel', () => {
    const entry: TimelineEntry = {
      at,
      kind: 'opened',
      actor: 'alertmanager',
      service: '<!channel>',
      alerts: [{ alertname: 'A&B', instance: '<@U0X>' }],
      total: 1,
    };
    expect(renderTimelineEntry(entry)).toBe('Incident opened for &lt;!channel&gt;: 1 alert firing: A&amp;B on &lt;@U0X&gt;');
  });

  it('shows an entry an earlier release stored as words as it was stored', () => {
    const legacy: TimelineEntry = { at, kind: 'acknowledged', actor: 'U0ALICE', text: 'Acknowledged by <@U0ALICE>' };
    expect(renderTimelineEntry(legacy)).toBe('Acknowledged by <@U0ALICE>');
    expect(renderTimelineEntry({ at, kind: 'action', actor: 'U0BOB', text: '<@U0BOB> denied ACT-2' })).toBe('<@U0BOB> denied ACT-2');
  });

  it('puts old and new entries in one thread reply, a line each with its time', () => {
    const reply = renderThreadReply(
      [
        { at, kind: 'reminder', actor: 'bot', text: '<!subteam^S0OLD> INC-3 is still unacknowledged after 5 minutes.' },
        { at, kind: 'acknowledged', actor: 'U0ALICE' },
      ],
      '3',
    );
    const time = `<!date^${Date.parse(at) / 1000}^{time_secs}|${at}>`;
    expect(reply).toBe(`${time} <!subteam^S0OLD> INC-3 is still unacknowledged after 5 minutes.\n${time} Acknowledged by <@U0ALICE>`);
  });
});

describe('action steps', () => {
  it.each<[string, string, ActionStep, string]>([
    [
      'requested',
      'U0ALICE',
      { kind: 'requested', actionId: '7', title: 'roll back payment-service', service: 'payment-service', reason: 'error rate doubled', approval: 'needed' },
      '<@U0ALICE> requested ACT-7: roll back payment-service (error rate doubled)',
    ],
    [
      'self-approved',
      'U0ALICE',
      { kind: 'requested', actionId: '7', title: 'roll back payment-service', service: 'payment-service', reason: '', approval: 'self_approved' },
      '<@U0ALICE> ran ACT-7: roll back payment-service (payment-service needs no second approval)',
    ],
    ['cancelled', 'U0ALICE', { kind: 'cancelled', actionId: '7' }, '<@U0ALICE> cancelled ACT-7'],
    ['aborted', 'U0BOB', { kind: 'aborted', actionId: '7' }, '<@U0BOB> aborted ACT-7; the hosts not yet run stay untouched'],
    [
      'refused',
      'U0EVE',
      { kind: 'refused', actionId: '7', reason: 'You are not an approver for web.' },
      '<@U0EVE> was refused: You are not an approver for web.',
    ],
    [
      'a dry run',
      'bot',
      {
        kind: 'rehearsed',
        actionId: '7',
        rehearsal: {
          ok: true,
          check: 'dry_run_command',
          hosts: [
            { host: 'web-1', ok: true, exitCode: 0, output: './old.log', durationMs: 120 },
            { host: 'web-2', ok: true, exitCode: 0, output: '', durationMs: 80 },
          ],
        },
      },
      'Dry run of ACT-7: dry run ok on all 2 host(s)\n• web-1 ok, 0.1s\n```./old.log```\n• web-2 ok, 0.1s\n```(no output)```',
    ],
    [
      'a dry run an earlier release stored in words',
      'bot',
      { kind: 'dry_run', actionId: '7', summary: 'dry run ok on all 2 host(s)', details: '• web-1 ok' },
      'Dry run of ACT-7: dry run ok on all 2 host(s)\n• web-1 ok',
    ],
    [
      'a batch',
      'bot',
      {
        kind: 'batch_ran',
        actionId: '7',
        batch: 2,
        of: 3,
        canary: false,
        hosts: [{ host: 'web-2', ok: true, exitCode: 0, output: 'freed 2G', durationMs: 1500 }],
      },
      'Batch 2 of 3: web-2 ok',
    ],
    [
      'a halt',
      'bot',
      {
        kind: 'halted',
        actionId: '7',
        reason: { kind: 'too_many_failures', batch: 3, failures: 1, maxFailures: 0 },
        failed: [{ host: 'web-3', ok: false, exitCode: 1, output: 'read-only file system', durationMs: 300 }],
      },
      'Halted after batch 3: 1 host failed, more than max_failures (0).\nFailed hosts:\n• web-3 FAILED (exit 1), 0.3s\n```read-only file system```\nContinue (approved again) runs the hosts without a success; Abort ends it here.',
    ],
    [
      'a rollout that ended',
      'bot',
      { kind: 'finished', actionId: '7', succeeded: true, seconds: 12, detail: { kind: 'fleet_succeeded', hosts: 3, skipped: 1 } },
      'ACT-7 succeeded after 12s: all 3 host(s) succeeded (1 had already succeeded and were skipped)',
    ],
    [
      'a rollout that ended with failures max_failures tolerated, each failed host with its exit',
      'bot',
      {
        kind: 'finished',
        actionId: '7',
        succeeded: true,
        seconds: 9,
        detail: {
          kind: 'fleet_succeeded',
          hosts: 4,
          skipped: 0,
          failed: [
            { host: 'web-2', exitCode: 7 },
            { host: 'web-<4>', exitCode: null },
          ],
        },
      },
      'ACT-7 succeeded with failures after 9s: 2 of 4 host(s) succeeded; 2 FAILED, within max_failures: web-2 (exit 7), web-&lt;4&gt; (no exit code). *Retry failed hosts* on its message asks for a new approved action over just those hosts.',
    ],
    [
      'an approval given anyway, although the dry run failed',
      'U0BOB',
      { kind: 'approved', actionId: '7', count: 1, required: 2, anyway: { failed: ['web-3', 'web-4'] } },
      '<@U0BOB> approved ACT-7 ANYWAY, although its dry run failed on web-3, web-4 (1 of 2)',
    ],
    [
      'failed hosts asked for again',
      'U0ALICE',
      { kind: 'retried', actionId: '7', successorId: '9', hosts: ['web-2'] },
      '<@U0ALICE> asked to retry the failed hosts of ACT-7 (web-2) as ACT-9',
    ],
    [
      'a rollout the kill switch stopped, its reason escaped',
      'bot',
      { kind: 'finished', actionId: '7', succeeded: false, seconds: 5, detail: { kind: 'fleet_paused', pauseReason: 'db <maintenance>' } },
      'ACT-7 failed after 5s: stopped before the next batch: automation paused (db &lt;maintenance&gt;)',
    ],
    [
      'a run an executor ended in its own words',
      'bot',
      { kind: 'finished', actionId: '7', succeeded: true, seconds: 45, detail: 'job #9002 success after 43s' },
      'ACT-7 succeeded after 45s: job #9002 success after 43s',
    ],
    [
      'held while paused',
      'bot',
      { kind: 'held', actionId: '7', pausedBy: 'U0DAVE', pauseReason: 'db maintenance' },
      'ACT-7 approved but not run: automation is paused by <@U0DAVE> (db maintenance). Approve again after /automation resume.',
    ],
    [
      'an executor remark an earlier release stored in words',
      'bot',
      { kind: 'remark', actionId: '7', text: 'Canary (batch 1 of 3): web-1 ok' },
      'Canary (batch 1 of 3): web-1 ok',
    ],
  ])('%s', (_label, actor, step, words) => {
    expect(renderActionStep(actor, step)).toBe(words);
  });

  it('escapes the reason a person typed', () => {
    const step: ActionStep = { kind: 'requested', actionId: '7', title: 'roll back web', service: 'web', reason: 'ask <!here> & <@U0X>', approval: 'needed' };
    expect(renderActionStep('U0ALICE', step)).toBe('<@U0ALICE> requested ACT-7: roll back web (ask &lt;!here&gt; &amp; &lt;@U0X&gt;)');
  });

  it('shows an action entry an earlier release stored as words as it was stored', () => {
    const legacy: ActionEntry = { at, actor: 'U0BOB', text: '<@U0BOB> approved ACT-7 (1 of 1)' };
    expect(renderActionEntry(legacy)).toBe('<@U0BOB> approved ACT-7 (1 of 1)');
  });
});

describe('errors shown to people', () => {
  it('names who acknowledged or paused with a mention, while the logged message names the user id', () => {
    const acked = new InvalidTransitionError({ incidentId: '3', state: 'acknowledged', to: 'acknowledged', acknowledgedBy: 'U0ALICE' });
    expect(acked.message).toBe('Incident 3 is already acknowledged by U0ALICE');
    expect(userMessage(acked)).toBe('Incident 3 is already acknowledged by <@U0ALICE>');

    const paused = new AutomationPaused('U0DAVE', 'db <maintenance>');
    expect(paused).toBeInstanceOf(ActionRefused);
    expect(paused.message).toBe('Automation is paused by U0DAVE (db <maintenance>); nothing was run. Resume it with /automation resume first.');
    expect(userMessage(paused)).toBe('Automation is paused by <@U0DAVE> (db &lt;maintenance&gt;); nothing was run. Resume it with /automation resume first.');
  });

  it('says other refusals as they are, and hides what went wrong on our side', () => {
    expect(userMessage(new InvalidTransitionError({ incidentId: '3', state: 'resolved', to: 'resolved' }))).toBe(
      'Incident 3 is resolved; it cannot become resolved',
    );
    expect(userMessage(new ActionRefused('You already approved ACT-7.'))).toBe('You already approved ACT-7.');
    expect(userMessage(new Error('ECONNRESET'))).toBe('Something went wrong on our side; the error is logged. Try again, or check the bot logs.');
  });
});

describe('outside text in timeline entries', () => {
  it("escapes an executor's sentence (it may quote GitLab) and the run's address", () => {
    expect(
      renderActionStep('bot', { kind: 'finished', actionId: '7', succeeded: false, seconds: 3, detail: 'job #9 failed (<!channel> script_failure)' }),
    ).toBe('ACT-7 failed after 3s: job #9 failed (&lt;!channel&gt; script_failure)');
    expect(renderActionStep('bot', { kind: 'run_attached', actionId: '7', url: 'https://gitlab.example.com/j/1?a=1&b=<!here>' })).toBe(
      'ACT-7 running: https://gitlab.example.com/j/1?a=1&amp;b=&lt;!here&gt;',
    );
  });

  it('escapes what a host printed and its name', () => {
    const words = renderActionStep('bot', {
      kind: 'batch_ran',
      actionId: '7',
      batch: 1,
      of: 2,
      canary: true,
      hosts: [{ host: 'web-1<!here>', ok: false, exitCode: 1, output: 'oops <!channel> & <@U0EVIL>', durationMs: 10 }],
    });
    expect(words).toContain('web-1&lt;!here&gt; FAILED (exit 1)');
    expect(words).toContain('```oops &lt;!channel&gt; &amp; &lt;@U0EVIL&gt;```');
    expect(words).not.toMatch(/<[!@]/);
  });
});

describe('a reply caps what it shows', () => {
  const refused = (i: number): ActionStep => ({ kind: 'refused', actionId: '7', reason: `You already approved ACT-7. (${i}) ${'r'.repeat(60)}` });
  const refusal = (i: number): ActionEntry => ({ at, actor: 'U0BOB', step: refused(i) });

  it("a flood of refused clicks on an approval message: the newest, within Slack's view, and how many more there were", () => {
    const entries = Array.from({ length: 500 }, (_, i) => refusal(i));
    const reply = renderActionReply(entries, '7');
    expect(reply.length).toBeLessThanOrEqual(4_000);
    const lines = reply.split('\n');
    expect(lines[0]).toBe('_480 earlier steps of ACT-7 not shown here_');
    expect(lines).toHaveLength(21);
    expect(lines.at(-1)).toContain('(499)');
  });

  it("an incident's thread: the newest entries, and where to read the others", () => {
    const entries: TimelineEntry[] = Array.from({ length: 45 }, (_, i) => ({ at, kind: 'action', actor: 'U0BOB', step: refused(i) }) as TimelineEntry);
    const reply = renderThreadReply(entries, '3');
    expect(reply.split('\n')[0]).toBe('_25 earlier entries not shown here; `/incident show INC-3` lists them_');
    expect(reply).toContain('(44)');
    expect(reply).not.toContain('(24)');
  });
});
