import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkRunbook, loadRunbooks, parseRunbook } from '../../src/runbooks/loader.js';
import { durationMs } from '../../src/config/duration-field.js';
import { placeholderProblems, placeholdersOf, type FleetAction } from '../../src/runbooks/schema.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

const FLEET = `
id: leaking
title: Service leaking memory
match:
  - label: alertname
    equals: ProcessMemoryGrowing
actions:
  - id: restart
    title: Restart the unit
    kind: fleet
    params:
      unit:
        from: label
        name: systemd_unit
        pattern: "^[a-zA-Z0-9@._-]+$"
    dry_run_command: systemctl show -- {{unit}}
    command: sudo -n systemctl restart -- {{ unit }}
    targets:
      from: service-hosts
    rollout:
      canary: 1
      batches: [1, "50%", "100%"]
      max_failures: 0
      pause: 30s
    timeout: 90s
`;

/** The runbook with `lines` added to its only action (indented as action fields). */
function withAction(lines: string, text = FLEET): string {
  return `${text.trimEnd()}\n${lines.replace(/^/gm, '    ')}\n`;
}

function problems(text: string): string[] {
  return checkRunbook(text, 'rb.yaml').problems.map((p) => `${p.path}: ${p.reason}`);
}

function fleetAction(text: string): FleetAction {
  const action = parseRunbook(text, 'rb.yaml').actions[0];
  if (action?.kind !== 'fleet') throw new Error('expected a fleet action');
  return action;
}

describe('fleet actions', () => {
  it('parses a valid fleet action into plain data with its defaults', () => {
    expect(fleetAction(FLEET)).toEqual({
      id: 'restart',
      title: 'Restart the unit',
      kind: 'fleet',
      params: { unit: { from: 'label', name: 'systemd_unit', pattern: '^[a-zA-Z0-9@._-]+$' } },
      dry_run_command: 'systemctl show -- {{unit}}',
      command: 'sudo -n systemctl restart -- {{ unit }}',
      targets: { from: 'service-hosts' },
      rollout: { canary: 1, batches: [1, '50%', '100%'], max_failures: 0, pause: '30s' },
      executor: { type: 'ssh' },
      timeout: '90s',
      approval: 'required',
      readonly: false,
    });
  });

  it('defaults everything but command and targets', () => {
    const minimal = `id: df\ntitle: df\nmatch: [{ label: alertname, equals: X }]\nactions:\n  - { id: df, title: df, kind: fleet, command: df -h, targets: { from: alert-instance } }\n`;
    expect(fleetAction(minimal)).toEqual({
      id: 'df',
      title: 'df',
      kind: 'fleet',
      command: 'df -h',
      params: {},
      targets: { from: 'alert-instance' },
      rollout: { canary: 1, batches: ['100%'], max_failures: 0, pause: '0s' },
      executor: { type: 'ssh' },
      timeout: '60s',
      approval: 'required',
      readonly: false,
    });
    expect(problems(minimal.replace('command: df -h, ', ''))).toEqual(['actions.0.command: required (expected string)']);
    expect(problems(minimal.replace(', targets: { from: alert-instance }', ''))).toEqual([expect.stringMatching(/^actions\.0\.targets: required/)]);
  });

  it('takes the three kinds of targets and refuses others', () => {
    expect(fleetAction(FLEET.replace('from: service-hosts', 'from: group\n      group: web-eu')).targets).toEqual({ from: 'group', group: 'web-eu' });
    expect(fleetAction(FLEET.replace('from: service-hosts', 'from: service-hosts\n      service: checkout')).targets).toEqual({
      from: 'service-hosts',
      service: 'checkout',
    });
    expect(problems(FLEET.replace('from: service-hosts', 'from: everywhere'))).toEqual([
      'actions.0.targets.from: expected from to be one of: alert-instance, service-hosts, group',
    ]);
    expect(problems(FLEET.replace('from: service-hosts', 'from: group'))).toEqual(['actions.0.targets.group: required (expected string)']);
  });

  it('allows approval: none only for a readonly action, and says so at approval', () => {
    expect(problems(withAction('approval: none'))).toEqual([
      'actions.0.approval: approval "none" is allowed only for an action marked readonly: true (one that changes nothing, such as diagnostics)',
    ]);
    expect(fleetAction(withAction('approval: none\nreadonly: true'))).toMatchObject({ approval: 'none', readonly: true });
    expect(fleetAction(withAction('readonly: true')).approval).toBe('required');
    expect(problems(withAction('approval: maybe'))).toEqual(['actions.0.approval: expected approval: required or approval: none']);
  });

  it('refuses a placeholder that is not a declared parameter, naming it and the field', () => {
    expect(problems(FLEET.replace('restart -- {{ unit }}', 'restart -- {{ unit }} {{service}}'))).toEqual([
      'actions.0.command: unknown parameter {{service}}: declare "service" under params (with from and pattern)',
    ]);
    expect(problems(FLEET.replace('show -- {{unit}}', 'show -- {{units}}'))).toEqual([
      'actions.0.dry_run_command: unknown parameter {{units}}: declare "units" under params (with from and pattern)',
    ]);
    // Other double-brace text is not a placeholder (docker --format, Go templates).
    expect(problems(FLEET.replace('show -- {{unit}}', "show -- {{unit}}; docker ps --format '{{.Names}}'"))).toEqual([]);
  });

  it('refuses a declared parameter that no command uses, and bad parameter names', () => {
    const extra = FLEET.replace('    params:\n', '    params:\n      spare: { from: argument, pattern: "[a-z]+" }\n');
    expect(problems(extra)).toEqual(['actions.0.params.spare: parameter "spare" is used in neither command nor dry_run_command']);
    const badName = FLEET.replace('    params:\n', '    params:\n      bad-name: { from: argument, pattern: "[a-z]+" }\n');
    expect(problems(badName)).toEqual(['actions.0.params.bad-name: parameter name "bad-name": expected letters, digits and "_", not starting with a digit']);
  });

  it('refuses a parameter named __proto__ with its path, instead of dropping it', () => {
    const proto = FLEET.replace('    params:\n', '    params:\n      __proto__: { from: argument, pattern: "[a-z]+" }\n');
    expect(problems(proto)).toEqual(['actions.0.params.__proto__: "__proto__" cannot be a name: JavaScript reserves it']);
  });

  it('compile-checks parameter patterns and checks defaults against them', () => {
    expect(problems(FLEET.replace('"^[a-zA-Z0-9@._-]+$"', '"^[a-z"'))).toEqual([
      expect.stringMatching(/^actions\.0\.params\.unit\.pattern: invalid regular expression \(.+\)$/),
    ]);
    expect(problems(FLEET.replace('"^[a-zA-Z0-9@._-]+$"', '"^(\\\\w)\\\\1$"'))[0]).toMatch(
      /^actions\.0\.params\.unit\.pattern: invalid regular expression \(.+\); RE2 syntax/,
    );
    expect(problems(FLEET.replace('name: systemd_unit', 'name: systemd_unit\n        default: "a b"'))).toEqual([
      'actions.0.params.unit.default: the default "a b" does not match the pattern ^[a-zA-Z0-9@._-]+$',
    ]);
    expect(problems(FLEET.replace('from: label', 'from: env'))).toEqual(['actions.0.params.unit.from: expected from: label or from: argument']);
    expect(problems(FLEET.replace('        pattern: "^[a-zA-Z0-9@._-]+$"\n', ''))).toEqual(['actions.0.params.unit.pattern: required (expected string)']);
  });

  it('refuses placeholders where quoting cannot keep the value one word', () => {
    const reasons = (command: string) => problems(FLEET.replace('sudo -n systemctl restart -- {{ unit }}', JSON.stringify(command)));
    expect(reasons("systemctl restart '{{unit}}'")).toEqual([
      'actions.0.command: {{unit}} is inside single quotes: write it on its own, outside any quotes; its value is quoted for you',
    ]);
    expect(reasons('systemctl restart "{{unit}}"')[0]).toMatch(/inside double quotes/);
    expect(reasons('echo "$(systemctl restart {{unit}})"')[0]).toMatch(/inside double quotes/);
    expect(reasons('systemctl restart \\{{unit}}')[0]).toMatch(/right after a backslash/);
    expect(reasons('systemctl restart ${{unit}}')[0]).toMatch(/right after "\$"/);
    expect(reasons('true # {{unit}}\nsystemctl restart -- {{unit}}')).toEqual([expect.stringMatching(/in a comment/)]);
    expect(reasons('cat <<EOF\n{{unit}}\nEOF')[0]).toMatch(/here-document/);
    expect(reasons('echo `systemctl restart {{unit}}`')[0]).toMatch(/use \$\(…\) instead/);
    // Fine: plain words, glued to an option, inside $( ), after quoted text.
    expect(reasons('systemctl restart -- {{unit}} --unit={{unit}} $(echo {{unit}}) \'a b\' {{unit}} "x" && echo ok # done')).toEqual([]);
  });

  it('checks rollout sizes, counts and durations', () => {
    const rollout = (text: string) => problems(FLEET.replace(/ {4}rollout:[\s\S]*?timeout/, `    rollout: ${text}\n    timeout`));
    expect(rollout('{ batches: ["12.5%", "100%", 3] }')).toEqual([]);
    expect(rollout('{ batches: [0, "150%", "x", true, 1.5, "0%"] }')).toEqual([
      'actions.0.rollout.batches.0: expected a count of hosts such as 2 or a percentage such as "25%"; a count is a whole number of at least 1',
      'actions.0.rollout.batches.1: a percentage is more than 0% and at most 100%',
      'actions.0.rollout.batches.2: expected a count of hosts such as 2 or a percentage such as "25%"; got "x"',
      'actions.0.rollout.batches.3: expected a count of hosts such as 2 or a percentage such as "25%"',
      'actions.0.rollout.batches.4: expected a count of hosts such as 2 or a percentage such as "25%"; a count is a whole number of at least 1',
      'actions.0.rollout.batches.5: a percentage is more than 0% and at most 100%',
    ]);
    expect(rollout('{ batches: [] }')).toEqual(['actions.0.rollout.batches: expected at least one batch, e.g. ["100%"]']);
    expect(rollout('{ canary: -1, max_failures: 0.5 }')).toEqual([
      'actions.0.rollout.canary: expected 0 or more',
      'actions.0.rollout.max_failures: expected a whole number',
    ]);
    expect(rollout('{ pause: 30 }')).toEqual(['actions.0.rollout.pause: expected a duration such as "30s", "5m" or "1h30m"']);
    expect(rollout('{ pause: 2h }')).toEqual(['actions.0.rollout.pause: expected a duration from 0s to 1h']);
    expect(problems(FLEET.replace('timeout: 90s', 'timeout: 0s'))).toEqual(['actions.0.timeout: expected a duration from 1s to 1h']);
    expect(problems(FLEET.replace('timeout: 90s', 'timeout: soon'))).toEqual([
      'actions.0.timeout: expected a duration such as "30s", "5m" or "1h30m" (units: ms, s, m, h, d)',
    ]);
    expect(fleetAction(FLEET.replace(/ {4}rollout:[\s\S]*?timeout/, '    rollout: { canary: 0 }\n    timeout')).rollout).toEqual({
      canary: 0,
      batches: ['100%'],
      max_failures: 0,
      pause: '0s',
    });
  });

  it('refuses unknown keys in a fleet action and its parts', () => {
    expect(problems(withAction('retries: 3'))).toEqual(['actions.0: Unrecognized key: "retries"']);
    expect(problems(FLEET.replace('max_failures: 0', 'max_failure: 0'))).toEqual(['actions.0.rollout: Unrecognized key: "max_failure"']);
  });
});

describe('schedule', () => {
  const scheduled = (schedule: string, text = FLEET) => `${text.trimEnd()}\nschedule: ${schedule}\n`;
  const runnable = FLEET.replace('from: service-hosts', 'from: group\n      group: web').replace(
    'name: systemd_unit',
    'name: systemd_unit\n        default: app.service',
  );

  it('parses a schedule with its default mode', () => {
    expect(parseRunbook(scheduled('{ cron: "30 4 * * *", timezone: Europe/Paris }', runnable), 'rb.yaml').schedule).toEqual({
      cron: '30 4 * * *',
      timezone: 'Europe/Paris',
      mode: 'dry-run',
    });
    expect(parseRunbook(scheduled('{ cron: "*/10 * * * * *", mode: apply, actions: [restart] }', runnable), 'rb.yaml').schedule).toEqual({
      cron: '*/10 * * * * *',
      mode: 'apply',
      actions: ['restart'],
    });
  });

  it('refuses a bad cron expression, naming the field', () => {
    expect(problems(scheduled('{ cron: "61 * * * *" }', runnable))).toEqual([
      'schedule.cron: invalid cron expression "61 * * * *" (61 is a invalid expression for minute); expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, e.g. "0 3 * * *"',
    ]);
    expect(problems(scheduled('{ cron: "every night" }', runnable))[0]).toMatch(/^schedule\.cron: invalid cron expression "every night"/);
    expect(problems(scheduled('{ timezone: UTC }', runnable))).toEqual(['schedule.cron: required (expected string)']);
  });

  it('refuses an unknown time zone and a bad mode', () => {
    expect(problems(scheduled('{ cron: "0 3 * * *", timezone: Mars/Olympus }', runnable))).toEqual([
      'schedule.timezone: unknown time zone "Mars/Olympus"; expected an IANA name such as Europe/Paris or UTC',
    ]);
    expect(problems(scheduled('{ cron: "0 3 * * *", mode: run }', runnable))).toEqual(['schedule.mode: expected mode: dry-run or mode: apply']);
  });

  it('refuses scheduled actions that need an alert, and actions it cannot run', () => {
    expect(problems(scheduled('{ cron: "0 3 * * *" }'))).toEqual([
      'actions.0.targets.service: a scheduled run has no alert to name the service: set targets.service',
      'actions.0.params.unit.default: a scheduled run has no alert labels or arguments: parameter "unit" needs a default',
    ]);
    const instance = runnable.replace(/from: group\n\s+group: web/, 'from: alert-instance');
    expect(problems(scheduled('{ cron: "0 3 * * *" }', instance))).toEqual([
      'actions.0.targets: a scheduled run has no alert: use targets from: group, or from: service-hosts with a service',
    ]);
    expect(problems(scheduled('{ cron: "0 3 * * *", actions: [restart, reboot] }', runnable))).toEqual([
      'schedule.actions.1: no action "reboot" in this runbook',
    ]);
    const rollback = `id: r\ntitle: r\nmatch: [{ label: alertname, equals: X }]\nactions:\n  - { id: rollback, title: Roll back, kind: rollback, service: checkout }\n`;
    expect(problems(scheduled('{ cron: "0 3 * * *" }', rollback))).toEqual(['schedule: a schedule runs fleet actions, and this runbook has none']);
    expect(problems(scheduled('{ cron: "0 3 * * *", actions: [rollback] }', rollback))).toEqual([
      'schedule.actions.0: action "rollback" is a rollback action; a schedule runs fleet actions only',
    ]);
  });
});

describe('helpers', () => {
  it('lists placeholders once each, in order', () => {
    expect(placeholdersOf('a {{x}} {{ y }} {{x}} {{.Names}} {{ 1z }}')).toEqual(['x', 'y']);
    expect(placeholderProblems('rm -- {{x}}')).toEqual([]);
    // The documented way to write a literal {{name}}: no placeholder, and the shell joins it back.
    expect(placeholdersOf("echo '{''{name}}'")).toEqual([]);
  });

  it('converts durations to milliseconds', () => {
    expect(durationMs('0s')).toBe(0);
    expect(durationMs('500ms')).toBe(500);
    expect(durationMs('1h30m')).toBe(5_400_000);
    expect(() => durationMs('30')).toThrow(RangeError);
  });
});

describe('shipped runbooks', () => {
  it('include the fleet examples of the issue, valid as they are', async () => {
    const runbooks = await loadRunbooks(join(repoRoot, 'runbooks'));
    const byId = new Map(runbooks.map((r) => [r.id, r]));
    expect([...byId.keys()]).toEqual(expect.arrayContaining(['disk-space-cleanup', 'leaking-service-restart', 'diagnostics', 'high-error-rate-rollback']));
    expect(byId.get('diagnostics')?.actions[0]).toMatchObject({ kind: 'fleet', readonly: true, approval: 'none' });
    expect(byId.get('leaking-service-restart')?.actions[0]).toMatchObject({
      kind: 'fleet',
      targets: { from: 'service-hosts' },
      params: { unit: { from: 'label', name: 'systemd_unit', pattern: '^[a-zA-Z0-9@._-]+$' } },
      rollout: { canary: 1 },
    });
    expect(byId.get('disk-space-cleanup')?.actions[0]).toMatchObject({
      kind: 'fleet',
      targets: { from: 'alert-instance' },
      rollout: { canary: 1, batches: [1, '50%', '100%'], max_failures: 0 },
    });
    expect(byId.get('high-error-rate-rollback')?.actions[0]).toMatchObject({ kind: 'rollback' });
  });
});
