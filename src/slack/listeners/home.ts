import type { App } from '@slack/bolt';
import type { Logger } from 'pino';
import type { ActionService } from '../../actions/service.js';
import type { IncidentService } from '../../incidents/service.js';
import { ACTION_IDS, AutomationButtonValue } from '../contract.js';
import { renderCommandAnswer } from '../render/command-reply.js';
import type { HomeTab } from '../views/home-tab.js';
import { registerButton } from './actions/button.js';

/** Why a kill switch button paused automation, for the log and everyone who reads the state. */
const PAUSED_FROM_HOME = 'paused from the App Home tab';

/**
 * The App Home tab: published when a person opens it (the Home tab, not Messages), and again
 * after each click on it; plus its kill switch buttons, which do what `/automation pause`
 * and `/automation resume` do, allowed to the same people.
 */
export function registerHomeTab(app: App, home: HomeTab, incidents: IncidentService, actions: ActionService, log: Logger): void {
  app.event('app_home_opened', async ({ event }) => {
    if (event.tab !== 'home') return;
    await home.opened(event.user);
  });
  const inView = (userId: string, text: string | undefined) => home.clicked(userId, text);
  registerButton(
    app,
    incidents,
    log,
    {
      actionId: ACTION_IDS.automationPause,
      value: AutomationButtonValue,
      run: async (_value, userId) => {
        const state = await actions.pause(userId, PAUSED_FROM_HOME);
        return renderCommandAnswer({ kind: 'automation_paused', by: userId, reason: state.reason });
      },
    },
    inView,
  );
  registerButton(
    app,
    incidents,
    log,
    {
      actionId: ACTION_IDS.automationResume,
      value: AutomationButtonValue,
      run: async (_value, userId) => {
        await actions.resumeAutomation(userId);
        return renderCommandAnswer({ kind: 'automation_resumed', by: userId });
      },
    },
    inView,
  );
}
