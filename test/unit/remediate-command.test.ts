import { describe, expect, it } from 'vitest';
import { parseRemediateCommand } from '../../commands/remediate.js';
import { CommandError, CommandUsageError, type CommandMisuse } from '../../src/errors.js';
import { userMessage } from '../../src/slack/render/error-text.js';

/** How the text was refused: as facts, and in the words shown to whoever typed it. */
function refused(text: string): { misuse: CommandMisuse; words: string } {
  try {
    parseRemediateCommand(text);
  } catch (error) {
    expect(error).toBeInstanceOf(CommandError);
    expect(error).toBeInstanceOf(CommandUsageError);
    return { misuse: (error as CommandUsageError).misuse, words: userMessage(error) };
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

const refusal = (text: string): string => refused(text).words;

describe('parseRemediateCommand', () => {
  it('reads the runbook, the words after it, name=value arguments and --dry-run in any order', () => {
    expect(parseRemediateCommand('disk-space-cleanup cleanup web-3 mountpoint=/var --dry-run web-4')).toEqual({
      runbook: 'disk-space-cleanup',
      words: ['cleanup', 'web-3', 'web-4'],
      args: { mountpoint: '/var' },
      dryRun: true,
    });
    expect(parseRemediateCommand('  diagnostics ')).toEqual({ runbook: 'diagnostics', words: [], args: {}, dryRun: false });
  });

  it('keeps an argument value as typed: its pattern in the runbook decides', () => {
    expect(parseRemediateCommand('restart unit=a=b').args).toEqual({ unit: 'a=b' });
  });

  it('shows the usage for nothing or help', () => {
    expect(refused('')).toEqual({ misuse: { command: 'remediate' }, words: expect.stringMatching(/^\*\/remediate\* — run a runbook's fleet action/) });
    expect(refusal('')).toContain('• `/remediate &lt;runbook&gt; [action] [host…] [name=value…] [--dry-run]`');
    expect(refusal('help')).toContain('/remediate &lt;runbook&gt;');
  });

  it('refuses what cannot be a runbook, a host, an argument name or an option', () => {
    expect(refusal('Disk_Cleanup')).toMatch(/^Disk_Cleanup: expected a runbook id/);
    expect(refusal('disk-cleanup $(reboot)')).toMatch(/^\$\(reboot\): expected a host name/);
    expect(refusal('disk-cleanup -oProxyCommand')).toMatch(/expected a host name/);
    expect(refusal('disk-cleanup 1x=2')).toMatch(/^1x=2: expected an argument name/);
    expect(refusal('disk-cleanup --force')).toMatch(/^unknown option --force\n\*\/remediate\*/);
    expect(refused('Disk_Cleanup').misuse).toEqual({
      command: 'remediate',
      mistake: { kind: 'invalid', what: 'Disk_Cleanup', reason: 'expected a runbook id such as disk-space-cleanup' },
    });
    expect(refused('disk-cleanup --force').misuse).toEqual({ command: 'remediate', mistake: { kind: 'unknown_option', word: '--force' } });
  });
});
