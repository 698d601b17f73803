import type { App } from '@slack/bolt';
import type { Logger } from 'pino';
import type { CommandDeps, CommandReply, SlashCommand } from '../../../../commands/command.js';
import { renderCommandAnswer } from '../../render/command-reply.js';
import { audited } from '../audit.js';

/** One Bolt listener per slash command: ack at once, work after, answer through response_url. */
export function registerCommands(app: App, commands: readonly SlashCommand[], deps: CommandDeps, log: Logger): void {
  for (const command of commands) {
    app.command(command.name, async ({ command: body, ack, respond }) => {
      await ack();
      let reply: CommandReply | undefined;
      const failure = await audited(deps.incidents, log, { actor: body.user_id, action: command.name, detail: body.text.slice(0, 200) }, async () => {
        reply = await command.handle({ userId: body.user_id, userName: body.user_name, channelId: body.channel_id, text: body.text }, deps);
      });
      const text = failure ?? (reply ? renderCommandAnswer(reply) : '');
      await respond({ response_type: !failure && reply?.inChannel ? 'in_channel' : 'ephemeral', text });
    });
  }
}
