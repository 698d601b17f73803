import type { Server } from 'node:http';
import { SocketModeReceiver, type CustomRoute, type Logger, type SocketModeReceiverOptions as BoltOptions } from '@slack/bolt';
import type { Logger as PinoLogger } from 'pino';
import { type HttpLimits, limitServer } from '../http/limits.js';

/** How long stop() waits for Slack to answer the close frame before it drops the connection. */
const CLOSE_WAIT_MS = 3_000;

export interface SocketModeReceiverOptions {
  appToken: string;
  /** SLACK_API_URL: where the socket client asks for its connection (apps.connections.open). */
  apiUrl: string | undefined;
  /** The HTTP port for the custom routes (Alertmanager, probes, metrics). */
  port: number;
  customRoutes: CustomRoute[];
  logger: Logger;
  limits: HttpLimits;
  log: PinoLogger;
}

/**
 * Bolt's receiver sends the socket's close frame and returns: the close handshake and the
 * socket client's timers outlive stop(), and a peer that never answers, or goes away
 * meanwhile, leaves a timer holding the process for 30 s. This one returns once the client
 * is disconnected, dropping the connection when Slack does not answer in time.
 */
class ClosingSocketModeReceiver extends SocketModeReceiver {
  constructor(
    options: BoltOptions,
    private readonly log: Logger,
    private readonly limitRoutesServer: (server: Server) => void,
  ) {
    super(options);
  }

  /** The custom routes' server is made by Bolt and kept private; it is limited before it listens, as the HTTP mode's is. */
  override start(): ReturnType<SocketModeReceiver['start']> {
    const server: unknown = Reflect.get(this, 'httpServer');
    if (server) this.limitRoutesServer(server as Server);
    return super.start();
  }

  override async stop(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const disconnected = new Promise<boolean>((resolve) => {
      this.client.once('disconnected', () => resolve(true));
      timer = setTimeout(() => resolve(false), CLOSE_WAIT_MS);
    });
    await super.stop();
    const closed = await disconnected;
    clearTimeout(timer);
    if (closed) return;
    this.log.warn(`Slack did not answer the Socket Mode close frame within ${CLOSE_WAIT_MS} ms; dropping the connection`);
    // Asked again mid-handshake, the client drops the connection and clears its timers.
    await this.client.disconnect();
  }
}

/** The receiver for Socket Mode (SLACK_APP_TOKEN set). */
export function createSocketModeReceiver({ appToken, apiUrl, port, customRoutes, logger, limits, log }: SocketModeReceiverOptions): SocketModeReceiver {
  return new ClosingSocketModeReceiver(
    {
      appToken,
      customRoutes,
      // The socket client opens its connection with a Web API client of its own, which does
      // not see the App's clientOptions: SLACK_API_URL reaches it only through these.
      installerOptions: { port, ...(apiUrl ? { clientOptions: { slackApiUrl: apiUrl } } : {}) },
      logger,
    },
    logger,
    (server) => limitServer(server, limits, log),
  );
}
