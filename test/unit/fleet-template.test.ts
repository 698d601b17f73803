import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { BotError } from '../../src/errors.js';
import { displayValue, renderCommand, shellQuote, TemplateRefusal } from '../../src/fleet/template.js';
import { loadRunbooks } from '../../src/runbooks/loader.js';
import type { ParamSpec } from '../../src/runbooks/schema.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Runs a rendered command with /bin/sh and gives its stdout: the proof that quoting holds. */
async function sh(command: string): Promise<string> {
  const { stdout } = await promisify(execFile)('/bin/sh', ['-c', command], { timeout: 5_000 });
  return stdout;
}

/** Each argument on its own line, as the shell split them. */
const printArgs = "printf '%s\\n'";

const noSources = { labels: {}, args: {} };

function refusal(fn: () => unknown): TemplateRefusal {
  try {
    fn();
  } catch (error) {
    if (error instanceof TemplateRefusal) return error;
    throw error;
  }
  throw new Error('expected a TemplateRefusal');
}

describe('shellQuote', () => {
  it("single-quotes, writing each quote as '\\''", () => {
    expect(shellQuote('web-1')).toBe("'web-1'");
    expect(shellQuote('')).toBe("''");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
  });

  it('gives the shell back exactly the value, as one word, whatever it holds', async () => {
    const values = ['x; rm -rf /', "it's", "'", "''", '$(id)', '`id`', '$HOME', '"quoted"', 'a\nb', ' spaced  out ', '*', '\\', '-n', 'ünïcødé ✓'];
    const output = await sh(`${printArgs} ${values.map(shellQuote).join(' ')}`);
    expect(output).toBe(values.map((v) => `${v}\n`).join(''));
  });
});

describe('renderCommand', () => {
  const unit: Record<string, ParamSpec> = { unit: { from: 'label', name: 'systemd_unit', pattern: '^[a-zA-Z0-9@._-]+$' } };
  const anything: Record<string, ParamSpec> = { value: { from: 'label', name: 'target', pattern: '.+' } };

  it('substitutes quoted values from labels and arguments, and returns them unquoted', () => {
    const params: Record<string, ParamSpec> = {
      unit: { from: 'label', name: 'systemd_unit', pattern: '[a-z0-9.@-]+' },
      lines: { from: 'argument', pattern: '[0-9]{1,4}', default: '100' },
      host: { from: 'label', name: 'instance', pattern: '[a-z0-9.-]+(:[0-9]+)?' },
    };
    const rendered = renderCommand('journalctl -u {{unit}} -n {{ lines }}; echo {{unit}} on {{host}}', params, {
      labels: { systemd_unit: 'api@1.service', instance: 'web-1:9100' },
      args: {},
    });
    expect(rendered).toEqual({
      command: "journalctl -u 'api@1.service' -n '100'; echo 'api@1.service' on 'web-1:9100'",
      values: { unit: 'api@1.service', lines: '100', host: 'web-1:9100' },
    });
    expect(renderCommand('tail -n {{lines}}', { lines: params.lines! }, { labels: {}, args: { lines: '20' } }).command).toBe("tail -n '20'");
  });

  it('turns `x; rm -rf /` into one quoted argument, even with a pattern that lets it through', async () => {
    const { command, values } = renderCommand(`${printArgs} {{value}} after`, anything, { labels: { target: 'x; rm -rf /' }, args: {} });
    expect(command).toBe(`${printArgs} 'x; rm -rf /' after`);
    expect(values).toEqual({ value: 'x; rm -rf /' });
    expect(await sh(command)).toBe('x; rm -rf /\nafter\n');
  });

  it('keeps hostile values literal when run by a shell', async () => {
    const hostile = ["'; echo pwned; '", '$(echo pwned)', '`echo pwned`', 'a\necho pwned', '${IFS}echo${IFS}pwned', "'\\''"];
    // Even a pattern that lets anything through, newlines included.
    const everything: Record<string, ParamSpec> = { value: { from: 'label', name: 'target', pattern: '[\\s\\S]+' } };
    for (const value of hostile) {
      const { command } = renderCommand(`${printArgs} {{value}}`, everything, { labels: { target: value }, args: {} });
      expect(await sh(command)).toBe(`${value}\n`);
    }
  });

  it('does not read $& or $1 in a value as replacement patterns', () => {
    expect(renderCommand('echo {{value}}', anything, { labels: { target: '$&$1$$' }, args: {} }).command).toBe("echo '$&$1$$'");
  });

  it('refuses a value that does not match its pattern, naming the parameter, the value and the pattern', () => {
    const error = refusal(() => renderCommand('systemctl restart -- {{unit}}', unit, { labels: { systemd_unit: 'x; rm -rf /' }, args: {} }));
    expect(error).toBeInstanceOf(BotError);
    expect(error).toMatchObject({ code: 'TEMPLATE_REFUSED', reason: 'mismatch', param: 'unit', value: 'x; rm -rf /', pattern: '^[a-zA-Z0-9@._-]+$' });
    expect(error.message).toBe(
      'Refused: parameter "unit" (label systemd_unit) is "x; rm -rf /", which does not match its pattern ^[a-zA-Z0-9@._-]+$. Nothing was run.',
    );
  });

  it('matches the whole value, as matchers do', () => {
    const partial: Record<string, ParamSpec> = { n: { from: 'argument', pattern: '[0-9]+' } };
    expect(renderCommand('echo {{n}}', partial, { labels: {}, args: { n: '42' } }).command).toBe("echo '42'");
    expect(refusal(() => renderCommand('echo {{n}}', partial, { labels: {}, args: { n: '42; id' } })).reason).toBe('mismatch');
    expect(refusal(() => renderCommand('echo {{n}}', partial, { labels: {}, args: { n: '42\n' } })).reason).toBe('mismatch');
    const alternation: Record<string, ParamSpec> = { env: { from: 'argument', pattern: 'prod|staging' } };
    expect(refusal(() => renderCommand('echo {{env}}', alternation, { labels: {}, args: { env: 'prod-eu' } })).reason).toBe('mismatch');
  });

  it('escapes the value in the message, so it cannot hide or forge text', () => {
    const error = refusal(() => renderCommand('echo {{unit}}', unit, { labels: { systemd_unit: 'a\n"b"\u202Ec\\' }, args: {} }));
    expect(error.message).toContain('is "a\\n\\"b\\"\\u{202E}c\\\\", which');
    expect(displayValue('x'.repeat(200))).toBe(`"${'x'.repeat(120)}"… (200 characters)`);
  });

  it('uses the default when the label or argument is absent or empty, and refuses when there is none', () => {
    const withDefault: Record<string, ParamSpec> = { mount: { from: 'label', name: 'mountpoint', pattern: '/[a-z/]*', default: '/' } };
    expect(renderCommand('df -h -- {{mount}}', withDefault, noSources).command).toBe("df -h -- '/'");
    expect(renderCommand('df -h -- {{mount}}', withDefault, { labels: { mountpoint: '' }, args: {} }).command).toBe("df -h -- '/'");
    expect(renderCommand('df -h -- {{mount}}', withDefault, { labels: { mountpoint: '/var' }, args: {} }).command).toBe("df -h -- '/var'");

    const label = refusal(() => renderCommand('systemctl restart {{unit}}', unit, noSources));
    expect(label).toMatchObject({ reason: 'missing', param: 'unit' });
    expect(label.message).toBe(
      'Refused: parameter "unit" needs a value, but the alert has no label systemd_unit and the parameter has no default. Nothing was run.',
    );
    const argument = refusal(() =>
      renderCommand('tail -n {{lines}}', { lines: { from: 'argument', pattern: '[0-9]+' } }, { labels: { lines: '5' }, args: {} }),
    );
    expect(argument.message).toBe(
      'Refused: parameter "lines" needs a value, but no argument lines was given and the parameter has no default. Nothing was run.',
    );
  });

  it('reads own properties only, so a parameter named constructor finds nothing', () => {
    const spec: ParamSpec = { from: 'label', pattern: '.+' };
    const params: Record<string, ParamSpec> = Object.fromEntries([['constructor', spec]]);
    expect(refusal(() => renderCommand('echo {{constructor}}', params, noSources)).reason).toBe('missing');
  });

  it('checks every declared parameter, used in this template or not, so dry run and run agree', () => {
    const params: Record<string, ParamSpec> = { ...unit, lines: { from: 'argument', pattern: '[0-9]+' } };
    expect(refusal(() => renderCommand('systemctl status {{unit}}', params, { labels: { systemd_unit: 'a.service' }, args: {} })).param).toBe('lines');
  });

  it('refuses a NUL character whatever the pattern', () => {
    expect(refusal(() => renderCommand('echo {{value}}', anything, { labels: { target: 'a\0b' }, args: {} })).message).toContain(
      '"a\\u{0000}b", which holds a NUL character',
    );
  });

  it('refuses an undeclared placeholder, a misplaced one and an invalid pattern', () => {
    expect(refusal(() => renderCommand('echo {{other}}', unit, { labels: { systemd_unit: 'a' }, args: {} }))).toMatchObject({
      reason: 'unknown-placeholder',
      param: 'other',
      message: 'Refused: the command uses {{other}}, which is not a declared parameter of this action. Nothing was run.',
    });
    expect(refusal(() => renderCommand("echo '{{unit}}'", unit, { labels: { systemd_unit: 'a' }, args: {} }))).toMatchObject({
      reason: 'unsafe-placeholder',
      param: 'unit',
    });
    expect(refusal(() => renderCommand('echo {{x}}', { x: { from: 'argument', pattern: '(' } }, { labels: {}, args: { x: 'a' } })).reason).toBe(
      'invalid-pattern',
    );
  });

  it('leaves a template without placeholders as it is', () => {
    expect(renderCommand("docker ps --format '{{.Names}}'", {}, noSources)).toEqual({ command: "docker ps --format '{{.Names}}'", values: {} });
  });
});

describe('shipped runbooks', () => {
  it('render, with sample labels, into commands the shell can parse', async () => {
    const labels = { instance: 'web-1:9100', mountpoint: '/var', systemd_unit: 'api@1.service', service: 'checkout' };
    let checked = 0;
    for (const runbook of await loadRunbooks(join(repoRoot, 'runbooks'))) {
      for (const action of runbook.actions) {
        if (action.kind !== 'fleet') continue;
        for (const template of [action.command, action.dry_run_command]) {
          if (template === undefined) continue;
          const { command } = renderCommand(template, action.params, { labels, args: {} });
          // -n: parse only, run nothing.
          await expect(promisify(execFile)('/bin/sh', ['-n', '-c', command])).resolves.toBeDefined();
          checked += 1;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(4);
  });
});
