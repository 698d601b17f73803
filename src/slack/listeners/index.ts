import type { App } from '@slack/bolt';
import type { Logger } from 'pino';
import type { Silences } from '../../alertmanager/silences.js';
import type { SlackMessageRef } from '../../incidents/store.js';
import { commands } from '../../../commands/index.js';
import type { CommandDeps } from '../../../commands/command.js';
import { registerActionButtons, type RunbookButtonTarget } from './actions/action-buttons.js';
import { registerIncidentButtons } from './actions/incident-buttons.js';
import { registerRoomButton } from './actions/room-button.js';
import { registerSilenceControls, silenceCommands } from './actions/silence-controls.js';
import { registerUnknownActions } from './actions/unknown-action.js';
import { registerCommands } from './commands/index.js';
import type { HomeTab } from '../views/home-tab.js';
import { registerHomeTab } from './home.js';
import { answerUnanswerable } from './unanswerable.js';
import type { TimelineCapture } from '../../incidents/capture.js';
import { registerTimelineCapture } from './timeline-capture.js';

export function registerListeners(
  app: App,
  deps: Omit<CommandDeps, 'silences'> & {
    runbooks: RunbookButtonTarget;
    home: HomeTab;
    silences?: Silences | undefined;
    messageOf: (incidentId: string) => Promise<SlackMessageRef | undefined>;
    capture?: TimelineCapture;
  },
  log: Logger,
): void {
  answerUnanswerable(app, new Set(commands.map((c) => c.name)), log);
  registerIncidentButtons(app, deps.incidents, log);
  registerSilenceControls(app, deps.incidents, deps.silences, deps.messageOf, log);
  if (deps.rooms) registerRoomButton(app, deps.incidents, deps.rooms, log);
  registerActionButtons(app, deps.incidents, deps.actions, deps.runbooks, log, (userId, text) => deps.home.clicked(userId, text));
  registerHomeTab(app, deps.home, deps.incidents, deps.actions, log);
  registerUnknownActions(app, deps.incidents, log);
  const { silences, messageOf, ...rest } = deps;
  registerCommands(app, commands, { ...rest, ...(silences ? { silences: silenceCommands(silences, deps.incidents, messageOf) } : {}) }, log);
  if (deps.capture) registerTimelineCapture(app, deps.incidents, deps.capture, log);
}
