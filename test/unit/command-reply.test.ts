/**
 * What slash commands answer, as facts, in the words src/slack/render writes: the usage of
 * each command, a refusal of what was typed, and a dry run.
 */
import { describe, expect, it } from 'vitest';
import { CommandUsageError } from '../../src/errors.js';
import { renderCommandAnswer } from '../../src/slack/render/command-reply.js';
import { userMessage } from '../../src/slack/render/error-text.js';

describe('usage', () => {
  it.each([
    ['incident', '*/incident* — work with incidents\n• `/incident list` — open incidents'],
    [
      'rollback',
      '*/rollback* — roll a service back to its previous successful deployment, after approval\n• `/rollback &lt;service&gt; [to &lt;sha|deployment-id&gt;] [--force] [reason…]`',
    ],
    [
      'remediate',
      "*/remediate* — run a runbook's fleet action: dry run, approval, canary, then batches\n• `/remediate &lt;runbook&gt; [action] [host…] [name=value…] [--dry-run]`",
    ],
    ['automation', '*/automation* — the kill switch for everything the bot runs\n• `/automation status`'],
  ] as const)('of /%s, as asked for', (command, start) => {
    expect(renderCommandAnswer({ kind: 'usage', command }).startsWith(start)).toBe(true);
  });

  it('follows what was wrong with the text, the words typed escaped', () => {
    const usage = renderCommandAnswer({ kind: 'usage', command: 'automation' });
    expect(userMessage(new CommandUsageError({ command: 'automation', mistake: { kind: 'unknown_subcommand', word: '<!here>' } }))).toBe(
      `unknown subcommand "&lt;!here&gt;"\n${usage}`,
    );
    expect(userMessage(new CommandUsageError({ command: 'automation', mistake: { kind: 'takes_no_arguments', word: 'status' } }))).toBe(
      `\`status\` takes no arguments\n${usage}`,
    );
    expect(userMessage(new CommandUsageError({ command: 'rollback', mistake: { kind: 'target_missing' } }))).toMatch(
      /^`to` needs a sha or a deployment id\n\*\/rollback\*/,
    );
    expect(userMessage(new CommandUsageError({ command: 'rollback', mistake: { kind: 'invalid', what: 'target', reason: 'expected a commit sha' } }))).toMatch(
      /^target: expected a commit sha\n\*\/rollback\*/,
    );
    expect(userMessage(new CommandUsageError({ command: 'rollback' }))).toBe(renderCommandAnswer({ kind: 'usage', command: 'rollback' }));
  });

  it('is not in the message logged, which says what was wrong in plain words', () => {
    expect(new CommandUsageError({ command: 'incident', mistake: { kind: 'takes_no_arguments', word: 'list' } }).message).toBe(
      '/incident: "list" takes no arguments',
    );
    expect(new CommandUsageError({ command: 'remediate' }).message).toBe('/remediate: usage asked for');
  });
});

describe('a dry run', () => {
  it('shows the plan in a code block, the summary, then each host', () => {
    const text = renderCommandAnswer({
      kind: 'dry_run',
      runbookId: 'disk-cleanup',
      actionId: 'cleanup',
      plan: { executor: 'fleet', service: 'web', title: 'Free disk space on 1 host', summary: ['hosts (1): web-2'], params: {} },
      rehearsal: { ok: true, check: 'dry_run_command', hosts: [{ host: 'web-2', ok: true, exitCode: 0, output: './old-web-2.log\n', durationMs: 250 }] },
    });
    expect(text).toBe(
      '*Dry run of Free disk space on 1 host* (disk-cleanup / cleanup)\n```hosts (1): web-2```\ndry run ok on all 1 host(s)\n• web-2 ok, 0.3s\n```./old-web-2.log```',
    );
  });
});
