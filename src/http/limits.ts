import type { Server, ServerOptions } from 'node:http';
import type { Logger } from 'pino';
import { capConnections, type Shed } from './connection-cap.js';

/**
 * How long a connection may hold a descriptor without finishing a request, and how many
 * the server keeps. Without them a client that never ends its headers or never sends its
 * declared body keeps its connection for minutes, and enough of them exhaust descriptors.
 */
export interface HttpLimits {
  /** From a request's first byte to the end of its headers. */
  headersTimeoutMs: number;
  /** From a request's first byte to the end of its body. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this long without a new request. */
  keepAliveTimeoutMs: number;
  /** Connections kept at once; see capConnections for which one a new one replaces. */
  maxConnections: number;
}

/**
 * Node enforces the header and request bounds only when it looks at its connections, every
 * 30 s by default: looked at every second (or oftener for a shorter bound), a connection
 * outlives its bound by that much at most.
 */
function checkIntervalMs(limits: HttpLimits): number {
  return Math.max(50, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 2)));
}

/**
 * The options for http.createServer. The check interval is read when the server starts
 * listening, so a server made elsewhere gets it from limitServer if that runs before then.
 */
export function serverOptions(limits: HttpLimits): ServerOptions {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: checkIntervalMs(limits),
  };
}

/** Connections closed at the cap are logged at most this often, however many there are. */
const SHED_LOG_INTERVAL_MS = 10_000;

/** Applies the limits to a server, and logs (counts, at a bounded rate) the connections the cap closes. */
export function limitServer(server: Server, limits: HttpLimits, log: Logger): void {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  // Read by Node at 'listening'; typed as a constructor option only.
  Object.assign(server, { connectionsCheckingInterval: checkIntervalMs(limits) });
  const shed: Record<Shed, number> = { 'oldest waiting': 0, new: 0 };
  let loggedAt = Number.NEGATIVE_INFINITY;
  capConnections(server, limits.maxConnections, (which) => {
    shed[which] += 1;
    const now = Date.now();
    if (now - loggedAt < SHED_LOG_INTERVAL_MS) return;
    log.warn(
      { closedWaiting: shed['oldest waiting'], closedNew: shed.new, maxConnections: limits.maxConnections },
      'HTTP connection cap reached: connections waiting longest (or new ones, when none waits) are closed (HTTP_MAX_CONNECTIONS)',
    );
    loggedAt = now;
    shed['oldest waiting'] = 0;
    shed.new = 0;
  });
}
