import type { ActionService } from '../src/actions/service.js';
import type { IncidentService } from '../src/incidents/service.js';

/** What a slash command module sees of the request: already verified and acknowledged. */
export interface CommandContext {
  userId: string;
  channelId: string;
  text: string;
}

export interface CommandReply {
  text: string;
  /** Ephemeral unless the command says everyone in the channel should see it. */
  inChannel?: boolean;
}

/** The layers a command may call. */
export interface CommandDeps {
  incidents: IncidentService;
  actions: ActionService;
}

export interface SlashCommand {
  /** As registered in the Slack app manifest, with its slash. */
  name: string;
  handle(ctx: CommandContext, deps: CommandDeps): Promise<CommandReply>;
}
