import { automationCommand } from './automation.js';
import type { SlashCommand } from './command.js';
import { incidentCommand } from './incident.js';
import { remediateCommand } from './remediate.js';
import { rollbackCommand } from './rollback.js';

/** Every slash command the bot answers; each must also be declared in the Slack app manifest. */
export const commands: readonly SlashCommand[] = [incidentCommand, rollbackCommand, remediateCommand, automationCommand];
