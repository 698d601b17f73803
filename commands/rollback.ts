import { z } from 'zod';
import { displayActionId } from '../src/actions/action.js';
import { CommandUsageError } from '../src/errors.js';
import { SERVICE_NAME } from '../src/names.js';
import type { SlashCommand } from './command.js';

const Target = z.string().regex(/^([0-9a-f]{7,40}|\d{1,12})$/i, 'expected a commit sha (7 to 40 hex characters) or a deployment id');

const RollbackArgs = z.object({
  service: z.string().regex(SERVICE_NAME, 'expected a service name such as payment-service'),
  target: Target.optional(),
  force: z.boolean(),
  reason: z.string().max(500, 'keep the reason under 500 characters'),
});
export type RollbackArgs = z.output<typeof RollbackArgs>;

export function parseRollbackCommand(text: string): RollbackArgs {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const [service, ...rest] = words;
  if (!service || service === 'help') throw new CommandUsageError({ command: 'rollback' });
  let target: string | undefined;
  if (rest[0]?.toLowerCase() === 'to') {
    target = rest[1];
    if (!target) throw new CommandUsageError({ command: 'rollback', mistake: { kind: 'target_missing' } });
    rest.splice(0, 2);
  }
  const force = rest.includes('--force');
  const reason = rest.filter((w) => w !== '--force').join(' ');
  const parsed = RollbackArgs.safeParse({ service, target, force, reason });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CommandUsageError({ command: 'rollback', mistake: { kind: 'invalid', what: issue?.path.join('.') ?? '', reason: issue?.message ?? 'invalid' } });
  }
  return parsed.data;
}

export const rollbackCommand: SlashCommand = {
  name: '/rollback',
  async handle(ctx, { actions }) {
    const args = parseRollbackCommand(ctx.text);
    const action = await actions.request({
      kind: 'rollback',
      service: args.service,
      userId: ctx.userId,
      force: args.force,
      reason: args.reason,
      ...(args.target ? { target: args.target } : {}),
    });
    const next = action.state === 'approved' ? 'it runs now' : `waiting for ${action.approvalsRequired} approval(s)`;
    return { kind: 'text', text: `${displayActionId(action.id)} requested: roll back ${action.service}; ${next}.` };
  },
};
