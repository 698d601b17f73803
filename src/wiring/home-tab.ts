/**
 * Builds the App Home tab from the stores and services it reads. Part of the composition
 * root (src/app.ts).
 */
import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { HomeTab, type HomeSources } from '../slack/views/home-tab.js';
import { slackViewPublisher } from '../slack/views/views-api.js';

export function createHomeTab(config: Config, sources: HomeSources, log: Logger): HomeTab {
  return new HomeTab(sources, slackViewPublisher(config.slack.botToken, config.slack.apiUrl), log.child({ component: 'home-tab' }));
}
