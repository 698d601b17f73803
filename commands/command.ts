import type { ExecutionPlan } from '../src/actions/executor.js';
import type { ResponseStats, ResponseStatsSource } from '../src/actions/response-stats.js';
import type { ActionService } from '../src/actions/service.js';
import type { SilenceOutcome } from '../src/alertmanager/silences.js';
import type { KillSwitch } from '../src/actions/store.js';
import type { CommandMisuse } from '../src/errors.js';
import type { Incident, TimelineEntry } from '../src/incidents/incident.js';
import type { IncidentService } from '../src/incidents/service.js';
import type { SilenceLength } from '../src/incidents/silence.js';
import type { RoomClosing, RoomOpening, WarRooms } from '../src/incidents/war-room.js';
import type { Rehearsal } from '../src/timeline/fleet-facts.js';

/** What a slash command module sees of the request: already verified and acknowledged. */
export interface CommandContext {
  userId: string;
  channelId: string;
  text: string;
  /** As Slack names the person; written where a name reads better than an id (a silence's author). */
  userName?: string;
}

/** What a command answers, as facts; src/slack/render says them in words. */
export type CommandAnswer =
  /** A confirmation the command wrote itself, in plain words. */
  | { kind: 'text'; text: string }
  /** How the command is used, as asked for with `help`. */
  | { kind: 'usage'; command: CommandMisuse['command'] }
  | { kind: 'incident_list'; incidents: Incident[]; total: number }
  | { kind: 'incident_detail'; incident: Incident; timeline: TimelineEntry[] }
  | { kind: 'incident_stats'; stats: ResponseStats }
  | { kind: 'automation_status'; paused: KillSwitch | undefined }
  | { kind: 'silence'; outcome: SilenceCommandOutcome }
  | { kind: 'automation_paused'; by: string; reason: string }
  | { kind: 'automation_resumed'; by: string }
  /** What a fleet action would do, with nothing stored and nothing changed. */
  | { kind: 'dry_run'; runbookId: string; actionId: string; plan: ExecutionPlan; rehearsal: Rehearsal | undefined }
  | { kind: 'room_opening'; incidentId: string; opening: RoomOpening }
  | { kind: 'room_closing'; incidentId: string; closing: RoomClosing };

export type CommandReply = CommandAnswer & {
  /** Ephemeral unless the command says everyone in the channel should see it. */
  inChannel?: boolean;
};

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
  /** Present when PROMETHEUS_URL is set: graphs drawn from it into incident threads. */
  graphs?: GraphRequests;
  /** The numbers of `/incident stats`, read from the stores. */
  stats?: ResponseStatsSource;
  /** Present when ALERTMANAGER_URL is set: silences made and expired as the Silence… menu does. */
  silences?: SilenceCommands;
  /** War rooms: `/incident room` and `/incident close`, and the "Open war room" button. */
  rooms?: WarRooms;
}

/** What the Silence… menu or the Unsilence button would have answered, or that there was no silence to expire. */
export type SilenceCommandOutcome = SilenceOutcome | { kind: 'unsilenced'; silenceId: string } | { kind: 'not_silenced' };

/** The Silence… menu and the Unsilence button, for a command. */
export interface SilenceCommands {
  silence(request: { incidentId: string; userId: string; userName: string; length: SilenceLength; reason?: string }): Promise<SilenceOutcome>;
  unsilence(incidentId: string, userId: string): Promise<SilenceCommandOutcome>;
}

/** 'queued', or why no graph can be drawn: the incident has no message yet, or no alert with an expression. */
export type GraphRequestOutcome = 'queued' | 'no_message' | 'no_expression';

export interface GraphRequests {
  request(incident: Incident, rangeMs: number): Promise<GraphRequestOutcome>;
}

export interface SlashCommand {
  /** As registered in the Slack app manifest, with its slash. */
  name: string;
  handle(ctx: CommandContext, deps: CommandDeps): Promise<CommandReply>;
}
