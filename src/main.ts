import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { startApp } from './app.js';
import { BotError, ConfigError, ServicesFileError } from './errors.js';

/** Whether a .env file was read: a configuration problem is often that it was not. */
let envFileRead = false;

/** The process entry point: the environment is read here and nowhere else. */
async function main(): Promise<void> {
  // A local .env is a convenience for running by hand; variables already set win.
  if (existsSync('.env')) {
    process.loadEnvFile('.env');
    envFileRead = true;
  }
  const running = await startApp(process.env);
  const shutdown = (signal: string) => {
    running.log.info({ signal }, 'signal received');
    running.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        running.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  // Start-up errors are for a person reading a terminal or a pod log: say what to fix.
  const text = error instanceof BotError ? `${error.message}` : String((error as Error)?.stack ?? error);
  const envNote =
    (error instanceof ConfigError || error instanceof ServicesFileError) && !envFileRead
      ? `\nNo .env file in ${resolve('.')}: only the process environment was read (cp .env.example .env, and fill it in).`
      : '';
  process.stderr.write(`chatops bot failed to start:\n${text}${envNote}\n`);
  process.exit(1);
});
