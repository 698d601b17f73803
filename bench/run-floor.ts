/**
 * Child process: the floor for webhook intake. The least any implementation must do per
 * notification: check the bearer token, read and parse the body, write each alert to
 * Redis (one pipelined HSET per alert, a single round trip), answer 200. No validation,
 * no merge, no Slack. What the bot does above this is its own cost.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { serveChild } from './child.js';

export interface FloorConfig {
  redisUrl: string;
  keyPrefix: string;
  token: string;
}

interface Notification {
  groupKey: string;
  alerts: Array<{ fingerprint: string }>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function handler(redis: Redis, config: FloorConfig) {
  const expected = `Bearer ${config.token}`;
  return async (req: IncomingMessage, res: ServerResponse) => {
    const reply = (status: number, body: string) => res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    if (req.method !== 'POST' || req.url !== '/alertmanager') return reply(404, '{"error":"not found"}');
    if (req.headers.authorization !== expected) return reply(401, '{"error":"bearer"}');
    try {
      const payload = JSON.parse(await readBody(req)) as Notification;
      const pipeline = redis.pipeline();
      const key = `${config.keyPrefix}floor:${payload.groupKey}`;
      for (const alert of payload.alerts) pipeline.hset(key, alert.fingerprint, JSON.stringify(alert));
      await pipeline.exec();
      reply(200, '{"status":"ok"}');
    } catch (error) {
      reply(500, JSON.stringify({ error: (error as Error).message }));
    }
  };
}

serveChild<FloorConfig>(async (config) => {
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 1 });
  await redis.ping();
  const handle = handler(redis, config);
  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await redis.quit();
      return { logLines: {}, samples: [] };
    },
  };
});
