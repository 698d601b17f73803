/**
 * How each slash command is used, and what was wrong with what someone typed, as Slack
 * shows them.
 */
import type { CommandMisuse, CommandMistake } from '../../errors.js';
import { escapeText } from './escape.js';

const USAGE: Readonly<Record<CommandMisuse['command'], string>> = {
  incident: [
    '*/incident* — work with incidents',
    '• `/incident list` — open incidents',
    '• `/incident show <id>` — state and timeline',
    '• `/incident ack <id>` — acknowledge',
    '• `/incident resolve <id>` — resolve',
    "• `/incident graph <id> [range]` — the alert's graph in the thread, over the last hour or the range (such as `6h`)",
    "• `/incident silence <id> <1h|4h|24h|until-resolved|5m…7d> [reason]` — silence the incident's alert group in Alertmanager",
    '• `/incident unsilence <id>` — expire that silence',
    '• `/incident stats [window]` — per service over the last 7 days or the window (1h to 90d): incidents, MTTA and MTTR (median / p90), rollbacks and how many verified',
    '• `/incident commander <id> @person` — who leads the response (pick them from the @ autocomplete)',
    "• `/incident severity <id> critical|warning|info` — override the alerts' severity",
    '• `/incident note <id> <text>` — add a note to the timeline',
    '• `/incident room <id>` — open its war room: a channel of its own, with the on-call group invited',
    '• `/incident close <id>` — archive the war room of a resolved incident',
    "• `/incident retro <id>` — post the retrospective draft in the incident's thread again (and update its GitLab issue)",
    '• `/incident followup <id> <text>` — add a follow-up to the retrospective',
    '• `/incident help` — this help',
    'An id looks like `INC-42` (or just `42`).',
  ].join('\n'),
  rollback: [
    '*/rollback* — roll a service back to its previous successful deployment, after approval',
    '• `/rollback <service> [to <sha|deployment-id>] [--force] [reason…]`',
    'Example: `/rollback payment-service error rate doubled after 14:02 deploy`',
    '`--force` requests a rollback inside the cooldown after a previous one.',
  ].join('\n'),
  remediate: [
    "*/remediate* — run a runbook's fleet action: dry run, approval, canary, then batches",
    '• `/remediate <runbook> [action] [host…] [name=value…] [--dry-run]`',
    'Example: `/remediate disk-space-cleanup cleanup web-3 mountpoint=/var`',
    '`action` may be left out when the runbook has one fleet action; hosts narrow its targets;',
    "`name=value` gives the action's `from: argument` parameters; `--dry-run` only shows what it would do.",
  ].join('\n'),
  automation: [
    '*/automation* — the kill switch for everything the bot runs',
    '• `/automation status`',
    '• `/automation pause [reason…]` — nothing new runs until resumed; requests can still be made',
    '• `/automation resume`',
  ].join('\n'),
};

/** Written readably above; `<service>` and `<sha|deployment-id>` would be links to Slack, so they are escaped here. */
export function renderUsage(command: CommandMisuse['command']): string {
  return escapeText(USAGE[command]);
}

/** What was typed is escaped: it is echoed back, and must not mention anyone. */
function renderMistake(mistake: CommandMistake): string {
  switch (mistake.kind) {
    case 'unknown_subcommand':
      return `unknown subcommand "${escapeText(mistake.word)}"`;
    case 'unknown_option':
      return `unknown option ${escapeText(mistake.word)}`;
    case 'takes_no_arguments':
      return `\`${escapeText(mistake.word)}\` takes no arguments`;
    case 'takes_one_incident_id':
      return `\`${escapeText(mistake.word)}\` takes one incident id`;
    case 'target_missing':
      return '`to` needs a sha or a deployment id';
    case 'invalid':
      return escapeText(mistake.what === undefined ? mistake.reason : `${mistake.what}: ${mistake.reason}`);
  }
}

/** The mistake, when there is one, then the command's usage. */
export function renderMisuse({ command, mistake }: CommandMisuse): string {
  return mistake ? `${renderMistake(mistake)}\n${renderUsage(command)}` : renderUsage(command);
}

/** The answer to a click on a button this version does not know (a message from years ago, say); its id is shown as the text it is. */
export function renderUnknownButton(actionId: string): string {
  return `This button (\`${escapeText(actionId)}\`) is not handled by this version of the bot. Use \`/incident help\` to see what it can do.`;
}
