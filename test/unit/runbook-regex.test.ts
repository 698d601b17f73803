import { describe, expect, it } from 'vitest';
import { renderCommand, TemplateRefusal } from '../../src/fleet/template.js';
import { parseRunbook } from '../../src/runbooks/loader.js';
import { matchingRunbooks, runbookActionsFor } from '../../src/runbooks/match.js';
import type { Runbook } from '../../src/runbooks/schema.js';

function runbook(id: string, regex: string, label = 'service'): Runbook {
  return parseRunbook(
    `id: ${id}\ntitle: ${id}\nmatch:\n  - { label: ${label}, regex: ${JSON.stringify(regex)} }\nactions:\n  - { id: rollback, title: Roll back, kind: rollback }\n`,
    `${id}.yaml`,
  );
}

// A backtracking engine takes about 14 s on 30 characters here and doubles per character;
// these tests hang on one. RE2 answers in time linear in the value.
describe('runbook regexes against hostile label values', () => {
  const catastrophic = runbook('catastrophic', '(a+)+b');

  it('matches (a+)+b against a 10,000-character label and returns', () => {
    const long = 'a'.repeat(10_000);
    expect(matchingRunbooks([catastrophic], { service: long })).toEqual([]);
    expect(matchingRunbooks([catastrophic], { service: `${long}b` })).toEqual([catastrophic]);
    const incident = { alerts: [{ status: 'firing' as const, labels: { service: `${'a'.repeat(100_000)}!` } }] };
    expect(runbookActionsFor([catastrophic, runbook('nested', '(a|aa)*c')], incident)).toEqual([]);
  });

  it('checks a fleet parameter of 10,000 characters against (a+)+b and refuses it', () => {
    const params = { unit: { from: 'label' as const, pattern: '(a+)+b' } };
    const render = () => renderCommand('systemctl restart -- {{unit}}', params, { labels: { unit: 'a'.repeat(10_000) }, args: {} });
    expect(render).toThrow(TemplateRefusal);
    expect(renderCommand('systemctl restart -- {{unit}}', params, { labels: { unit: 'aaab' }, args: {} }).command).toBe("systemctl restart -- 'aaab'");
  });
});

/**
 * Alertmanager compiles a matcher as Go's regexp.Compile("^(?:" + re + ")$"): RE2 syntax,
 * the whole value, code points, `.` not matching a newline. The bot must decide the same.
 */
describe('runbook regexes mean what they mean in Alertmanager', () => {
  const cases: [regex: string, value: string, matches: boolean][] = [
    ['foo|bar', 'bar', true],
    ['foo|bar', 'foobar', false],
    ['payment', 'payment-service', false],
    ['(?i)payment', 'PAYMENT', true],
    ['.', '😀', true],
    ['.*', 'a\nb', false],
    ['a', 'a\n', false],
    ['[[:alpha:]]+', 'abc', true],
    ['\\pL+', 'héllo', true],
    ['\\d+', '١٢', false],
    ['\\Qa.b\\E', 'a.b', true],
    ['\\Qa.b\\E', 'axb', false],
  ];

  it.each(cases)('%j against %j: %s', (regex, value, matches) => {
    const rb = runbook('am', regex);
    expect(matchingRunbooks([rb], { service: value })).toEqual(matches ? [rb] : []);
  });
});
