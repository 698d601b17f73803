import { describe, expect, it } from 'vitest';
import { checkRunbook, parseRunbook } from '../../src/runbooks/loader.js';
import type { FleetExecutorSpec } from '../../src/runbooks/schema.js';

/** A runbook whose only action is a fleet action, with `executor` written as given (YAML flow style). */
function runbook(executor?: string): string {
  return [
    'id: df',
    'title: Disk full',
    'match: [{ label: alertname, equals: DiskFull }]',
    'actions:',
    '  - id: clean',
    '    title: Clean up',
    '    kind: fleet',
    '    command: sudo -n journalctl --vacuum-size=500M',
    '    targets: { from: alert-instance }',
    ...(executor === undefined ? [] : [`    executor: ${executor}`]),
    '',
  ].join('\n');
}

function executorOf(executor?: string): FleetExecutorSpec {
  const action = parseRunbook(runbook(executor), 'rb.yaml').actions[0];
  if (action?.kind !== 'fleet') throw new Error('expected a fleet action');
  return action.executor;
}

function problems(executor: string): string[] {
  return checkRunbook(runbook(executor), 'rb.yaml').problems.map((p) => `${p.path}: ${p.reason}`);
}

describe('fleet action executor', () => {
  it('is ssh when absent, so existing runbooks keep their meaning', () => {
    expect(executorOf()).toEqual({ type: 'ssh' });
    expect(executorOf('{ type: ssh }')).toEqual({ type: 'ssh' });
  });

  it('takes a gitlab-pipeline with a project path or id (as a string), a ref and variables', () => {
    expect(executorOf('{ type: gitlab-pipeline, project: ops/fleet-remediation, ref: main, variables: { SITE: eu-west, DRY: "false" } }')).toEqual({
      type: 'gitlab-pipeline',
      project: 'ops/fleet-remediation',
      ref: 'main',
      variables: { SITE: 'eu-west', DRY: 'false' },
    });
    expect(executorOf('{ type: gitlab-pipeline, project: 278964, ref: release/2024 }')).toEqual({
      type: 'gitlab-pipeline',
      project: '278964',
      ref: 'release/2024',
      variables: {},
    });
    expect(executorOf('{ type: gitlab-pipeline, project: "42", ref: v1.2.0 }')).toMatchObject({ project: '42' });
    expect(executorOf('{ type: gitlab-pipeline, project: " group/sub/name ", ref: main }')).toMatchObject({ project: 'group/sub/name' });
  });

  it('refuses an unknown type or a missing one, naming the choices', () => {
    expect(problems('{ type: ansible }')).toEqual(['actions.0.executor.type: expected type to be one of: ssh, gitlab-pipeline']);
    expect(problems('{}')).toEqual(['actions.0.executor.type: expected type to be one of: ssh, gitlab-pipeline']);
    expect(problems('ssh')).toEqual([
      'actions.0.executor: expected an executor such as { type: ssh } or { type: gitlab-pipeline, project: group/name, ref: main }',
    ]);
  });

  it('refuses unknown keys, as everywhere in a runbook', () => {
    expect(problems('{ type: ssh, project: ops/x }')).toEqual(['actions.0.executor: Unrecognized key: "project"']);
    expect(problems('{ type: gitlab-pipeline, project: ops/x, ref: main, branch: main }')).toEqual(['actions.0.executor: Unrecognized key: "branch"']);
  });

  it('requires a project and a ref, and checks their form', () => {
    expect(problems('{ type: gitlab-pipeline }')).toEqual([
      'actions.0.executor.project: expected a GitLab project path such as group/name, or its numeric id',
      'actions.0.executor.ref: required (expected string)',
    ]);
    const project = 'expected a GitLab project path such as group/name, or its numeric id';
    for (const bad of ['fleet-remediation', 'https://gitlab.example.com/ops/x', '0', '1.5', '-3', 'true', '""']) {
      expect(problems(`{ type: gitlab-pipeline, project: ${bad}, ref: main }`), bad).toEqual([`actions.0.executor.project: ${project}`]);
    }
    expect(problems('{ type: gitlab-pipeline, project: ops/x, ref: "  " }')).toEqual(['actions.0.executor.ref: expected a branch or tag such as main']);
    expect(problems('{ type: gitlab-pipeline, project: ops/x, ref: 2024 }')).toEqual([
      'actions.0.executor.ref: expected a branch or tag such as main; quote one YAML would read as a number',
    ]);
  });

  it('checks variable names and values, and keeps the names the bot sets', () => {
    const withVariables = (variables: string) => problems(`{ type: gitlab-pipeline, project: ops/x, ref: main, variables: ${variables} }`);
    expect(withVariables('{ PORT: 8080 }')).toEqual([
      'actions.0.executor.variables.PORT: expected a string; quote values that YAML would read as a number or a boolean, e.g. "500"',
    ]);
    expect(withVariables('[SITE]')).toEqual(['actions.0.executor.variables: expected a map of CI/CD variable name to value']);
    expect(withVariables('{ 1SITE: a, "MY-VAR": b, OK_1: c }')).toEqual([
      'actions.0.executor.variables.1SITE: variable name "1SITE": expected letters, digits and "_", not starting with a digit (at most 255 characters)',
      'actions.0.executor.variables.MY-VAR: variable name "MY-VAR": expected letters, digits and "_", not starting with a digit (at most 255 characters)',
    ]);
    expect(withVariables('{ CHATOPS_HOSTS: a, CHATOPS_COMMAND: b, CHATOPS_BATCH: c }')).toEqual([
      'actions.0.executor.variables.CHATOPS_HOSTS: CHATOPS_HOSTS is set by the bot for every pipeline; choose another name',
      'actions.0.executor.variables.CHATOPS_COMMAND: CHATOPS_COMMAND is set by the bot for every pipeline; choose another name',
      'actions.0.executor.variables.CHATOPS_BATCH: CHATOPS_BATCH is set by the bot for every pipeline; choose another name',
    ]);
  });
});
