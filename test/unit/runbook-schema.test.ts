import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { RunbookError, type RunbookProblem } from '../../src/runbooks/errors.js';
import { checkRunbook, loadRunbooks, parseRunbook } from '../../src/runbooks/loader.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

const VALID = `
id: high-error-rate
title: High error rate
description: The error rate jumped.
match:
  - label: alertname
    equals: HighErrorRate
  - label: service
    regex: "payment-.*"
actions:
  - id: rollback
    title: Roll back
    kind: rollback
    confirm: Roll back?
  - id: rollback-checkout
    title: Roll back checkout
    kind: rollback
    service: checkout
`;

function problemsOf(text: string, file = 'rb.yaml'): RunbookProblem[] {
  return checkRunbook(text, file).problems;
}

/** The problems a loadRunbooks() rejection carries. */
async function loadProblems(dir: string): Promise<RunbookProblem[]> {
  try {
    await loadRunbooks(dir);
  } catch (error) {
    if (error instanceof RunbookError) return [...error.problems];
    throw error;
  }
  throw new Error(`expected ${dir} to have problems`);
}

const tempDirs: string[] = [];
async function tempDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'runbooks-'));
  tempDirs.push(dir);
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

afterEach(async () => {
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('runbook schema', () => {
  it('parses a valid runbook into plain data', () => {
    expect(parseRunbook(VALID, 'rb.yaml')).toEqual({
      id: 'high-error-rate',
      title: 'High error rate',
      description: 'The error rate jumped.',
      match: [
        { label: 'alertname', equals: 'HighErrorRate' },
        { label: 'service', regex: 'payment-.*' },
      ],
      actions: [
        { id: 'rollback', title: 'Roll back', kind: 'rollback', confirm: 'Roll back?' },
        { id: 'rollback-checkout', title: 'Roll back checkout', kind: 'rollback', service: 'checkout' },
      ],
    });
  });

  it('reports bad YAML with its line and column', () => {
    expect(problemsOf('id: a\nid: b\n')).toEqual([{ file: 'rb.yaml', path: 'line 2, column 1', reason: 'YAML syntax: Map keys must be unique' }]);
    expect(problemsOf('match: [\n')[0]).toMatchObject({
      file: 'rb.yaml',
      path: expect.stringMatching(/^line \d+, column \d+$/),
      reason: expect.stringMatching(/^YAML syntax: /),
    });
    expect(problemsOf('id: a\n---\nid: b\n')[0]?.reason).toMatch(/one runbook per file/);
    expect(problemsOf('')).toEqual([{ file: 'rb.yaml', path: '(file)', reason: expect.stringMatching(/empty/) }]);
  });

  it('reports a missing field with its path', () => {
    expect(problemsOf(VALID.replace('title: High error rate\n', ''))).toEqual([{ file: 'rb.yaml', path: 'title', reason: 'required (expected string)' }]);
    expect(problemsOf(VALID.replace('    title: Roll back\n', ''))).toEqual([
      { file: 'rb.yaml', path: 'actions.0.title', reason: 'required (expected string)' },
    ]);
    expect(problemsOf(VALID.replace('    kind: rollback\n    confirm', '    confirm'))).toEqual([
      { file: 'rb.yaml', path: 'actions.0.kind', reason: 'expected kind to be one of: rollback, fleet' },
    ]);
  });

  it('refuses unknown keys, so typos are caught', () => {
    expect(problemsOf(VALID.replace('    service: checkout', '    sevrice: checkout'))).toEqual([
      { file: 'rb.yaml', path: 'actions.1', reason: 'Unrecognized key: "sevrice"' },
    ]);
    expect(problemsOf(`${VALID}matches: []\n`)).toEqual([{ file: 'rb.yaml', path: '(top level)', reason: 'Unrecognized key: "matches"' }]);
    expect(problemsOf(VALID.replace('equals: HighErrorRate', 'equal: HighErrorRate'))).toEqual([
      { file: 'rb.yaml', path: 'match.0', reason: 'Unrecognized key: "equal"' },
      { file: 'rb.yaml', path: 'match.0', reason: 'expected "equals" or "regex" beside "label"' },
    ]);
  });

  it('compile-checks regexes and names the matcher', () => {
    const problems = problemsOf(VALID.replace('"payment-.*"', '"payment-(.*"'));
    expect(problems).toEqual([{ file: 'rb.yaml', path: 'match.1.regex', reason: expect.stringMatching(/^invalid regular expression \(.+\)$/) }]);
    expect(problems[0]?.reason).not.toContain('^(?:');
    expect(problemsOf(VALID.replace('"payment-.*"', '"(?i)payment-.*"'))).toEqual([]);
  });

  it("refuses what RE2 (Alertmanager's engine) cannot compile, naming the matcher and why", () => {
    for (const regex of ['(payment)-\\\\1', 'payment(?=-service)', '(?<!old-)payment', 'pay(?!ment)']) {
      const problems = problemsOf(VALID.replace('"payment-.*"', `"${regex}"`));
      expect(problems, regex).toEqual([
        { file: 'rb.yaml', path: 'match.1.regex', reason: expect.stringMatching(/^invalid regular expression \(.+\); RE2 syntax/) },
      ]);
    }
    // Valid once anchored as ^(?:a)|(b)$, but then it would no longer mean "the whole value".
    expect(problemsOf(VALID.replace('"payment-.*"', '"a)|(b"'))[0]?.path).toBe('match.1.regex');
  });

  it('refuses an empty action list, an empty match list and a matcher with both equals and regex', () => {
    expect(problemsOf(VALID.replace(/actions:[\s\S]*$/, 'actions: []\n'))).toEqual([
      { file: 'rb.yaml', path: 'actions', reason: 'expected at least one action' },
    ]);
    expect(problemsOf(VALID.replace(/match:[\s\S]*actions:/, 'match: []\nactions:'))).toEqual([
      { file: 'rb.yaml', path: 'match', reason: 'expected at least one matcher' },
    ]);
    expect(problemsOf(VALID.replace('    equals: HighErrorRate', '    equals: HighErrorRate\n    regex: High.*'))).toEqual([
      { file: 'rb.yaml', path: 'match.0', reason: 'expected either "equals" or "regex", not both' },
    ]);
  });

  it('checks slugs, button labels, label values YAML reads as numbers, and action ids', () => {
    expect(problemsOf(VALID.replace('id: high-error-rate', 'id: High Error Rate'))[0]).toMatchObject({ path: 'id', reason: expect.stringMatching(/slug/) });
    expect(problemsOf(VALID.replace('title: Roll back\n', `title: ${'x'.repeat(31)}\n`))[0]).toMatchObject({
      path: 'actions.0.title',
      reason: expect.stringMatching(/at most 30/),
    });
    expect(problemsOf(VALID.replace('equals: HighErrorRate', 'equals: 500'))[0]).toMatchObject({
      path: 'match.0.equals',
      reason: expect.stringMatching(/quote/),
    });
    expect(problemsOf(VALID.replace('id: rollback-checkout', 'id: rollback'))).toEqual([
      { file: 'rb.yaml', path: 'actions.1.id', reason: 'duplicate action id "rollback" in this runbook' },
    ]);
  });

  it('throws a RunbookError whose message lists file: path: reason', () => {
    expect(() => parseRunbook(VALID.replace('    title: Roll back\n', ''), 'runbooks/rb.yaml')).toThrow(
      new RunbookError([{ file: 'runbooks/rb.yaml', path: 'actions.0.title', reason: 'required (expected string)' }]),
    );
    expect(() => parseRunbook('id: [\n', 'rb.yaml')).toThrow(/^1 runbook problem:\n {2}- rb\.yaml: line \d+, column \d+: YAML syntax: /);
  });
});

describe('runbook folder', () => {
  it('loads the runbooks shipped in the repository with no problems', async () => {
    const runbooks = await loadRunbooks(join(repoRoot, 'runbooks'));
    expect(runbooks.map((r) => r.id)).toContain('high-error-rate-rollback');
  });

  it('reads *.yaml and *.yml in file-name order and ignores anything else', async () => {
    const other = VALID.replace('id: high-error-rate', 'id: other');
    const dir = await tempDir({ 'b.yml': other, 'a.yaml': VALID, 'README.md': '# not a runbook', '.hidden.yaml': 'id: [' });
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'sub', 'c.yaml'), 'not: a runbook');
    expect((await loadRunbooks(dir)).map((r) => r.id)).toEqual(['high-error-rate', 'other']);
  });

  it('gives no runbooks for an empty folder and names a missing one', async () => {
    const dir = await tempDir({});
    expect(await loadRunbooks(dir)).toEqual([]);
    await expect(loadRunbooks(join(dir, 'missing'))).rejects.toThrow(/missing: \(folder\): cannot be read \(ENOENT\); set RUNBOOKS_DIR/);
  });

  it('collects every problem of every file, duplicate ids across files included', async () => {
    const dir = await tempDir({
      'a.yaml': VALID,
      'b.yaml': VALID,
      'c.yaml': VALID.replace('    title: Roll back\n', ''),
      'd.yaml': 'id: [\n',
      'e.yaml': VALID.replace('id: high-error-rate', 'id: fine').replace(/actions:[\s\S]*$/, 'actions: []\n'),
    });
    const problems = await loadProblems(dir);
    expect(problems).toEqual([
      { file: join(dir, 'b.yaml'), path: 'id', reason: `duplicate runbook id "high-error-rate": ${join(dir, 'a.yaml')} already uses it` },
      { file: join(dir, 'c.yaml'), path: 'actions.0.title', reason: 'required (expected string)' },
      { file: join(dir, 'c.yaml'), path: 'id', reason: `duplicate runbook id "high-error-rate": ${join(dir, 'a.yaml')} already uses it` },
      { file: join(dir, 'd.yaml'), path: expect.stringMatching(/^line /), reason: expect.stringMatching(/^YAML syntax/) },
      { file: join(dir, 'e.yaml'), path: 'actions', reason: 'expected at least one action' },
    ]);
  });
});

describe('scripts/check-runbooks.ts', () => {
  const run = (args: string[], env: Record<string, string> = {}) =>
    // As `npm run check` runs it (tsx), loaded into node directly: npx would start npm first.
    promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/check-runbooks.ts', ...args], { cwd: repoRoot, env: { ...process.env, ...env } }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? -1, stdout: error.stdout ?? '', stderr: error.stderr ?? '' }),
    );

  it('exits 0 on the shipped runbooks folder and services file, saying what it checked', async () => {
    const result = await run([], { SERVICES_FILE: '', RUNBOOKS_DIR: '' });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^ok: [1-9]\d* runbooks?, [1-9]\d* services? \(runbooks, services\.yaml\)$/m);
  });

  it('says when there was no services file to check the runbooks against', async () => {
    const result = await run([], { SERVICES_FILE: join(await tempDir({}), 'services.yaml') });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^ok: \d+ runbooks? \(runbooks\); no .*services\.yaml, so their targets were not checked$/m);
  });

  it('exits 1 on a services file that is not YAML, with the line and the reason and no stack trace', async () => {
    const services = join(await tempDir({ 'services.yaml': 'services: [\n' }), 'services.yaml');
    const result = await run([], { SERVICES_FILE: services });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^${services}: line \\d+, column \\d+: YAML syntax: .+\n$`));
    expect(result.stdout).toBe('');
  });

  it('exits 1 on a broken folder and prints each problem as file: path: reason', async () => {
    const dir = await tempDir({ 'a.yaml': VALID, 'b.yaml': VALID.replace('kind: rollback\n    confirm', 'kind: reboot\n    confirm') });
    const result = await run([], { RUNBOOKS_DIR: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${join(dir, 'b.yaml')}: actions.0.kind: expected kind to be one of: rollback, fleet\n`);
    expect(result.stderr).toContain(`${join(dir, 'b.yaml')}: id: duplicate runbook id "high-error-rate"`);
    expect(result.stdout).toBe('');
  });

  it('exits 1 on a regex RE2 cannot compile, naming the file, the matcher and the reason', async () => {
    const dir = await tempDir({ 'a.yaml': VALID.replace('"payment-.*"', '"(payment)-\\\\1"') });
    const result = await run([], { RUNBOOKS_DIR: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(`^${join(dir, 'a.yaml')}: match\\.1\\.regex: invalid regular expression \\(.+\\); RE2 syntax.*backreferences`, 'm'),
    );
    expect(result.stdout).toBe('');
  });

  it('exits 1 on a broken services file, naming it and the path in it', async () => {
    const services = join(await tempDir({ 'services.yaml': 'services:\n  __proto__: {}\n' }), 'services.yaml');
    const result = await run([], { SERVICES_FILE: services });
    expect({ code: result.code, stderr: result.stderr }).toEqual({
      code: 1,
      stderr: `${services}: services.__proto__: "__proto__" cannot be a name: JavaScript reserves it\n`,
    });
  });

  it('exits 1 when a runbook targets a host group or service the services file lacks', async () => {
    const fleet = `id: restart-edge
title: Restart edge
match:
  - { label: alertname, equals: EdgeDown }
actions:
  - id: restart
    title: Restart
    kind: fleet
    command: systemctl restart nginx
    targets: { from: group, group: edge-lbs }
`;
    const dir = await tempDir({ 'a.yaml': fleet });
    const services = join(await tempDir({ 'services.yaml': 'services:\n  web: {}\n' }), 'services.yaml');
    const result = await run([], { RUNBOOKS_DIR: dir, SERVICES_FILE: services });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `${services}: runbook restart-edge: actions.0.targets.group: host group "edge-lbs" is not in the services file (groups:)\n`,
    );
    expect(result.stdout).toBe('');
  });
});
