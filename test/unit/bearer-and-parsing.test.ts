import { describe, expect, it } from 'vitest';
import { bearerMatches } from '../../src/alerts/bearer.js';
import { WebhookPayload } from '../../src/alerts/schema.js';
import { parseIncidentCommand } from '../../commands/incident.js';
import { parseButtonValue, parseIncidentButtonValue, incidentButtonValue, runbookButtonValue, RunbookButtonValue } from '../../src/slack/contract.js';
import { CommandUsageError } from '../../src/errors.js';
import { userMessage } from '../../src/slack/render/error-text.js';
import { fixture } from '../support/fixtures.js';

function captured(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected it to throw');
}

describe('bearerMatches', () => {
  it('accepts only the exact credential in a Bearer header', () => {
    expect(bearerMatches('Bearer s3cret-s3cret-s3cret', 's3cret-s3cret-s3cret')).toBe(true);
    expect(bearerMatches('bearer s3cret-s3cret-s3cret', 's3cret-s3cret-s3cret')).toBe(true);
    expect(bearerMatches('Bearer s3cret-s3cret-s3cre', 's3cret-s3cret-s3cret')).toBe(false);
    expect(bearerMatches('Basic s3cret-s3cret-s3cret', 's3cret-s3cret-s3cret')).toBe(false);
    expect(bearerMatches(undefined, 's3cret-s3cret-s3cret')).toBe(false);
    expect(bearerMatches('Bearer ', '')).toBe(false);
  });
});

describe('WebhookPayload', () => {
  it('accepts what Alertmanager 0.25 sends, and newer fields it does not know', () => {
    expect(WebhookPayload.safeParse(fixture('alertmanager-0.25-firing')).success).toBe(true);
    const newer = { ...fixture('alertmanager-0.25-resolved'), notification_reason: 'resolved', routeLabels: { team: 'sre' } };
    expect(WebhookPayload.safeParse(newer).success).toBe(true);
  });

  it('refuses other versions and alerts without fingerprints', () => {
    expect(WebhookPayload.safeParse({ ...fixture('alertmanager-0.25-firing'), version: '3' }).success).toBe(false);
    const broken = fixture('alertmanager-0.25-firing');
    delete (broken.alerts[0] as Partial<(typeof broken.alerts)[0]>).fingerprint;
    expect(WebhookPayload.safeParse(broken).success).toBe(false);
  });

  it('refuses the fingerprint __proto__, which would open an incident with no alert, already resolved', () => {
    const proto = fixture('alertmanager-0.25-firing');
    const [first] = proto.alerts;
    if (!first) throw new Error('the fixture has an alert');
    first.fingerprint = '__proto__';
    expect(WebhookPayload.safeParse(proto).error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`)).toEqual([
      'alerts.0.fingerprint: expected an alert fingerprint such as 69c2e62f0b0aec37',
    ]);
  });
});

describe('/incident text', () => {
  it('parses each subcommand and its id', () => {
    expect(parseIncidentCommand('')).toEqual({ verb: 'help', rest: [] });
    expect(parseIncidentCommand('list')).toEqual({ verb: 'list', rest: [] });
    expect(parseIncidentCommand('  SHOW   INC-4 ')).toEqual({ verb: 'show', rest: ['4'] });
    expect(parseIncidentCommand('ack 4')).toEqual({ verb: 'ack', rest: ['4'] });
    expect(parseIncidentCommand('resolve #4')).toEqual({ verb: 'resolve', rest: ['4'] });
  });

  it('explains what is wrong and shows the usage', () => {
    const refusal = (text: string) => {
      const error = captured(() => parseIncidentCommand(text));
      expect(error).toBeInstanceOf(CommandUsageError);
      return { misuse: (error as CommandUsageError).misuse, words: userMessage(error) };
    };
    expect(refusal('reboot 4')).toEqual({
      misuse: { command: 'incident', mistake: { kind: 'unknown_subcommand', word: 'reboot' } },
      words: expect.stringMatching(/^unknown subcommand "reboot"[\s\S]*\/incident list/),
    });
    expect(refusal('ack')).toEqual({
      misuse: { command: 'incident', mistake: { kind: 'takes_one_incident_id', word: 'ack' } },
      words: expect.stringMatching(/^`ack` takes one incident id\n/),
    });
    expect(refusal('ack 1 2').words).toMatch(/^`ack` takes one incident id\n/);
    expect(refusal('show abc')).toMatchObject({ misuse: { mistake: { kind: 'invalid' } }, words: expect.stringMatching(/^"abc" is not an incident id/) });
    expect(refusal('list all')).toEqual({
      misuse: { command: 'incident', mistake: { kind: 'takes_no_arguments', word: 'list' } },
      words: expect.stringMatching(/^`list` takes no arguments\n/),
    });
  });
});

describe('button values (a public contract)', () => {
  it('round-trips version 1 and refuses anything else', () => {
    expect(parseIncidentButtonValue(incidentButtonValue('9'))).toEqual({ v: 1, incident: '9' });
    expect(parseIncidentButtonValue('{"v":2,"incident":"9"}')).toBeUndefined();
    expect(parseIncidentButtonValue('9')).toBeUndefined();
    expect(parseIncidentButtonValue('not json')).toBeUndefined();
    expect(parseIncidentButtonValue(undefined)).toBeUndefined();
  });

  it('reads back a Run button of any runbook and action id the runbook schema accepts, and of earlier versions', () => {
    const longest = 'a'.repeat(64);
    expect(parseButtonValue(RunbookButtonValue, runbookButtonValue('12', longest, longest))).toEqual({
      v: 1,
      incident: '12',
      runbook: longest,
      action: longest,
    });
    // As an earlier version rendered it.
    expect(parseButtonValue(RunbookButtonValue, '{"v":1,"incident":"12","runbook":"high-error-rate-rollback","action":"rollback"}')).toEqual({
      v: 1,
      incident: '12',
      runbook: 'high-error-rate-rollback',
      action: 'rollback',
    });
    for (const id of ['a'.repeat(65), 'ends-with-', '-starts', 'Upper', 'dot.ted']) {
      expect(parseButtonValue(RunbookButtonValue, runbookButtonValue('12', id, 'run')), id).toBeUndefined();
    }
  });
});
