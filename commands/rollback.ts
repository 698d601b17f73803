import { z } from 'zod';
import { displayActionId } from '../src/actions/action.js';
import { CommandError } from '../src/errors.js';
import { SERVICE_NAME } from '../src/names.js';
import type { SlashCommand } from './command.js';

const USAGE = [
  '*/rollback* — roll a service back to its previous successful deployment, after approval',
  '• `/rollback <service> [to <sha|deployment-id>] [--force] [reason…]`',
  'Example: `/rollback payment-service error rate doubled after 14:02 deploy`',
  '`--force` requests a rollback inside the cooldown after a previous one.',
].join('\n');

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
  if (!service || service === 'help') throw new CommandError(USAGE);
  let target: string | undefined;
  if (rest[0]?.toLowerCase() === 'to') {
    target = rest[1];
    if (!target) throw new CommandError(`\`to\` needs a sha or a deployment id\n${USAGE}`);
    rest.splice(0, 2);
  }
  const force = rest.includes('--force');
  const reason = rest.filter((w) => w !== '--force').join(' ');
  const parsed = RollbackArgs.safeParse({ service, target, force, reason });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CommandError(`${issue?.path.join('.')}: ${issue?.message}\n${USAGE}`);
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
