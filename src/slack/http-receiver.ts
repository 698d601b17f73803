import type { Server } from 'node:http';
import { type App, type CustomRoute, HTTPReceiver, type Logger as BoltLogger, type Receiver } from '@slack/bolt';
import type { Logger } from 'pino';
import { type HttpLimits, limitServer, serverOptions } from '../http/limits.js';
import type { SeenSignatures } from './request-signature.js';
import { admitSignedRequests } from './signed-requests.js';

export const SLACK_EVENTS_PATH = '/slack/events';

export interface HttpReceiverOptions {
  signingSecret: string;
  customRoutes: CustomRoute[];
  logger: BoltLogger;
  limits: HttpLimits;
  seen: SeenSignatures;
  log: Logger;
}

/**
 * Bolt's HTTP receiver with what it leaves out: requests to Slack's path admitted only
 * when signed within five minutes either way and not seen before, and a server whose
 * slow or idle connections are closed and whose connections are capped.
 */
class GuardedHttpReceiver implements Receiver {
  private readonly bolt: HTTPReceiver;

  constructor(private readonly options: HttpReceiverOptions) {
    const { signingSecret, customRoutes, logger, seen, log } = options;
    this.bolt = new HTTPReceiver({ signingSecret, endpoints: [SLACK_EVENTS_PATH], customRoutes, logger });
    this.bolt.requestListener = admitSignedRequests(this.bolt.requestListener, { path: SLACK_EVENTS_PATH, signingSecret, seen, log });
  }

  init(app: App): void {
    this.bolt.init(app);
  }

  async start(port: number): Promise<Server> {
    const server = await this.bolt.start(port, serverOptions(this.options.limits));
    limitServer(server, this.options.limits, this.options.log);
    return server;
  }

  stop(): Promise<void> {
    return this.bolt.stop();
  }
}

/** The receiver for HTTP mode (no SLACK_APP_TOKEN). */
export function createHttpReceiver(options: HttpReceiverOptions): Receiver {
  return new GuardedHttpReceiver(options);
}
