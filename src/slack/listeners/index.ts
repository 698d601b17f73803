import type { App } from '@slack/bolt';
import type { Logger } from 'pino';
import type { Silences } from '../../alertmanager/silences.js';
import { commands } from '../../../commands/index.js';
import type { CommandDeps } from '../../../commands/command.js';
import { registerActionButtons, type RunbookButtonTarget } from './actions/action-buttons.js';
import { registerIncidentButtons } from './actions/incident-buttons.js';
import { registerRoomButton } from './actions/room-button.js';
import { registerSilenceControls } from './actions/silence-controls.js';
import { registerUnknownActions } from './actions/unknown-action.js';
import { registerCommands } from './commands/index.js';
import type { HomeTab } from '../views/home-tab.js';
import { registerHomeTab } from './home.js';
import { answerUnanswerable } from './unanswerable.js';

export function registerListeners(
  app: App,
  deps: CommandDeps & { runbooks: RunbookButtonTarget; home: HomeTab; silences?: Silences | undefined },
  log: Logger,
): void {
  answerUnanswerable(app, new Set(commands.map((c) => c.name)), log);
  registerIncidentButtons(app, deps.incidents, log);
  registerSilenceControls(app, deps.incidents, deps.silences, log);
  if (deps.rooms) registerRoomButton(app, deps.incidents, deps.rooms, log);
  registerActionButtons(app, deps.incidents, deps.actions, deps.runbooks, log, (userId, text) => deps.home.clicked(userId, text));
  registerHomeTab(app, deps.home, deps.incidents, deps.actions, log);
  registerUnknownActions(app, deps.incidents, log);
  registerCommands(app, commands, deps, log);
}
