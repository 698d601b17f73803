import { CommandUsageError } from '../src/errors.js';
import type { SlashCommand } from './command.js';

export type AutomationArgs = { verb: 'status' } | { verb: 'resume' } | { verb: 'pause'; reason: string } | { verb: 'help' };

export function parseAutomationCommand(text: string): AutomationArgs {
  const [verb = 'status', ...rest] = text.trim().split(/\s+/).filter(Boolean);
  switch (verb.toLowerCase()) {
    case 'status':
    case 'resume':
    case 'help':
      if (rest.length > 0) throw new CommandUsageError({ command: 'automation', mistake: { kind: 'takes_no_arguments', word: verb } });
      return { verb: verb.toLowerCase() as 'status' | 'resume' | 'help' };
    case 'pause':
      return { verb: 'pause', reason: rest.join(' ').slice(0, 500) };
    default:
      throw new CommandUsageError({ command: 'automation', mistake: { kind: 'unknown_subcommand', word: verb } });
  }
}

export const automationCommand: SlashCommand = {
  name: '/automation',
  async handle(ctx, { actions }) {
    const args = parseAutomationCommand(ctx.text);
    switch (args.verb) {
      case 'help':
        return { kind: 'usage', command: 'automation' };
      case 'status':
        return { kind: 'automation_status', paused: await actions.killSwitch() };
      case 'pause': {
        const state = await actions.pause(ctx.userId, args.reason);
        return { kind: 'automation_paused', by: ctx.userId, reason: state.reason, inChannel: true };
      }
      case 'resume':
        await actions.resumeAutomation(ctx.userId);
        return { kind: 'automation_resumed', by: ctx.userId, inChannel: true };
    }
  },
};
