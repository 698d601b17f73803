/**
 * `npm run demo`: the bot with a local Slack and GitLab, and one URL to open. Reads only
 * REDIS_URL, DEMO_PORT and LOG_LEVEL: never .env, so a demo cannot reach a real workspace.
 */
import { BotError } from '../src/errors.js';
import { DemoSetupError, demoRedis } from './redis.js';
import { startDemo } from './start.js';

const DEFAULT_PORT = 3300;

async function main(): Promise<void> {
  const started = Date.now();
  const redis = await demoRedis(process.env.REDIS_URL);
  const port = process.env.DEMO_PORT === undefined ? DEFAULT_PORT : Number(process.env.DEMO_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new DemoSetupError(`DEMO_PORT must be a TCP port number, got "${process.env.DEMO_PORT}"`);
  const demo = await startDemo({ redisUrl: redis.url, port, ...(process.env.LOG_LEVEL ? { logLevel: process.env.LOG_LEVEL } : {}) }).catch(
    async (error: unknown) => {
      await redis.stop();
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new DemoSetupError(`port ${port} is taken: set DEMO_PORT to another one (0 for any)`);
      throw error;
    },
  );
  process.stdout.write(
    `\nThe demo is running (ready in ${((Date.now() - started) / 1_000).toFixed(1)} s), using ${redis.origin}.\n` +
      `The bot listens on port ${demo.bot.port}; Slack and GitLab are stand-ins on this machine.\n\n` +
      `  Open ${demo.url}\n\n` +
      'Ctrl-C stops it.\n',
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping the demo\n`);
    demo
      .stop()
      .then(() => redis.stop())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          process.stderr.write(`the demo did not stop cleanly: ${String(error)}\n`);
          process.exit(1);
        },
      );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  // A setup or configuration problem says what to do; anything else keeps its stack for a bug report.
  const text = error instanceof DemoSetupError || error instanceof BotError ? error.message : String((error as Error)?.stack ?? error);
  process.stderr.write(`npm run demo could not start:\n${text}\n`);
  process.exit(1);
});
