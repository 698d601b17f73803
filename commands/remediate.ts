import { z } from 'zod';
import { describeAction, displayActionId } from '../src/actions/action.js';
import { CommandError, CommandUsageError } from '../src/errors.js';
import { SLUG } from '../src/names.js';
import type { SlashCommand } from './command.js';

const Slug = z.string().regex(SLUG, 'expected a runbook id such as disk-space-cleanup');
const Host = z.string().regex(/^(?!-)[A-Za-z0-9._:[\]-]{1,253}$/, 'expected a host name such as web-3');
const Argument = z.tuple([z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an argument name'), z.string().max(500, 'keep values under 500 characters')]);

export interface RemediateArgs {
  runbook: string;
  /** The word after the runbook, which is either an action id or the first host. */
  words: string[];
  args: Record<string, string>;
  dryRun: boolean;
}

function parsed<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success)
    throw new CommandUsageError({ command: 'remediate', mistake: { kind: 'invalid', what, reason: result.error.issues[0]?.message ?? 'invalid' } });
  return result.data;
}

export function parseRemediateCommand(text: string): RemediateArgs {
  const [runbook, ...rest] = text.trim().split(/\s+/).filter(Boolean);
  if (!runbook || runbook === 'help') throw new CommandUsageError({ command: 'remediate' });
  const args: Record<string, string> = {};
  const words: string[] = [];
  let dryRun = false;
  for (const word of rest) {
    if (word === '--dry-run') dryRun = true;
    else if (word.startsWith('--')) throw new CommandUsageError({ command: 'remediate', mistake: { kind: 'unknown_option', word } });
    else if (word.includes('=')) {
      const [name, value] = parsed(Argument, [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)], word);
      args[name] = value;
    } else words.push(parsed(Host, word, word));
  }
  return { runbook: parsed(Slug, runbook, runbook), words, args, dryRun };
}

export const remediateCommand: SlashCommand = {
  name: '/remediate',
  async handle(ctx, { actions, runbooks }) {
    const input = parseRemediateCommand(ctx.text);
    const fleetActions = runbooks.fleetActionsOf(input.runbook);
    if (!fleetActions)
      throw new CommandError(`No runbook "${input.runbook}". Runbooks with fleet actions: ${runbooks.withFleetActions().join(', ') || '(none)'}.`);
    const [first, ...others] = input.words;
    const named = first !== undefined && fleetActions.includes(first);
    const actionId = named ? first : fleetActions.length === 1 ? fleetActions[0] : undefined;
    if (!actionId) throw new CommandError(`Runbook ${input.runbook} has several fleet actions; name one: ${fleetActions.join(', ')}.`);
    const hosts = named ? others : input.words;
    const request = {
      kind: 'fleet' as const,
      userId: ctx.userId,
      reason: '/remediate',
      fleet: { runbookId: input.runbook, actionId, labels: {}, args: input.args, instances: [], hosts },
    };
    if (input.dryRun) {
      const { plan, rehearsal } = await actions.dryRun(request);
      return { kind: 'dry_run', runbookId: input.runbook, actionId, plan, rehearsal, inChannel: true };
    }
    const action = await actions.request(request);
    const next = action.state === 'approved' ? 'it runs now' : `waiting for ${action.approvalsRequired} approval(s)`;
    return { kind: 'text', text: `${displayActionId(action.id)} requested: ${describeAction(action)}; ${next}.` };
  },
};
