import { CommandError } from '../src/errors.js';
import type { SlashCommand } from './command.js';

const USAGE = [
  '*/automation* — the kill switch for everything the bot runs',
  '• `/automation status`',
  '• `/automation pause [reason…]` — nothing new runs until resumed; requests can still be made',
  '• `/automation resume`',
].join('\n');

export type AutomationArgs = { verb: 'status' } | { verb: 'resume' } | { verb: 'pause'; reason: string } | { verb: 'help' };

export function parseAutomationCommand(text: string): AutomationArgs {
  const [verb = 'status', ...rest] = text.trim().split(/\s+/).filter(Boolean);
  switch (verb.toLowerCase()) {
    case 'status':
    case 'resume':
    case 'help':
      if (rest.length > 0) throw new CommandError(`\`${verb}\` takes no arguments\n${USAGE}`);
      return { verb: verb.toLowerCase() as 'status' | 'resume' | 'help' };
    case 'pause':
      return { verb: 'pause', reason: rest.join(' ').slice(0, 500) };
    default:
      throw new CommandError(`unknown subcommand "${verb}"\n${USAGE}`);
  }
}

export const automationCommand: SlashCommand = {
  name: '/automation',
  async handle(ctx, { actions }) {
    const args = parseAutomationCommand(ctx.text);
    switch (args.verb) {
      case 'help':
        return { kind: 'text', text: USAGE };
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
