import type { CommandAnswer } from '../../../commands/command.js';
import { renderUsage } from './command-usage.js';
import { renderRehearsal } from './fleet-report.js';
import { escapeText } from './escape.js';
import { fitText } from './fit-message.js';
import { mention } from './mention.js';
import { silenceOutcomeText } from './silence.js';
import { renderIncidentDetail, renderIncidentList } from './incident-text.js';
import { renderResponseStats } from './incident-stats.js';
import { renderRoomClosing, renderRoomOpening } from './war-room.js';

function renderDryRun({ runbookId, actionId, plan, rehearsal }: Extract<CommandAnswer, { kind: 'dry_run' }>): string {
  const found = rehearsal ? renderRehearsal(rehearsal) : 'read-only action: nothing to rehearse; running it changes nothing.';
  return `*Dry run of ${escapeText(plan.title)}* (${escapeText(runbookId)} / ${escapeText(actionId)})\n\`\`\`${escapeText(plan.summary.join('\n'))}\`\`\`\n${found}`;
}

/** What a slash command answered, in words. */
export function renderCommandAnswer(answer: CommandAnswer): string {
  return fitText(words(answer));
}

function words(answer: CommandAnswer): string {
  switch (answer.kind) {
    case 'text':
      // Plain words a command wrote, which may quote what was typed (a service, a title).
      return escapeText(answer.text);
    case 'usage':
      return renderUsage(answer.command);
    case 'incident_list':
      return renderIncidentList(answer.incidents, answer.total);
    case 'incident_detail':
      return renderIncidentDetail(answer.incident, answer.timeline);
    case 'incident_stats':
      return renderResponseStats(answer.stats);
    case 'automation_status': {
      const { paused } = answer;
      if (!paused) return ':large_green_circle: Automation is running.';
      return `:octagonal_sign: Automation is *paused* by ${mention(paused.by)} since ${escapeText(paused.at)}: ${escapeText(paused.reason)}`;
    }
    case 'silence':
      return silenceOutcomeText(answer.outcome);
    case 'automation_paused':
      return `:octagonal_sign: ${mention(answer.by)} paused all automation: ${escapeText(answer.reason)}. Nothing new runs until \`/automation resume\`.`;
    case 'automation_resumed':
      return `:large_green_circle: ${mention(answer.by)} resumed automation.`;
    case 'dry_run':
      return renderDryRun(answer);
    case 'room_opening':
      return renderRoomOpening(answer.incidentId, answer.opening);
    case 'room_closing':
      return renderRoomClosing(answer.incidentId, answer.closing);
  }
}
