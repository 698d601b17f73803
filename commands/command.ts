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

/** What a command may read of the loaded runbooks. */
export interface RunbookDirectory {
  /** The ids of a runbook's fleet actions; undefined when there is no such runbook. */
  fleetActionsOf(runbookId: string): string[] | undefined;
  /** Ids of the runbooks that have fleet actions. */
  withFleetActions(): string[];
}

/** The layers a command may call. */
export interface CommandDeps {
  incidents: IncidentService;
  actions: ActionService;
  runbooks: RunbookDirectory;
}

export interface SlashCommand {
  /** As registered in the Slack app manifest, with its slash. */
  name: string;
  handle(ctx: CommandContext, deps: CommandDeps): Promise<CommandReply>;
}
