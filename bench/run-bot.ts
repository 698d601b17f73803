/**
 * Child process: the bot itself, started exactly as main.ts would but with the
 * environment the bench hands over IPC (so nothing of this shell's environment leaks
 * into the configuration). Logs are tallied, not printed, and reported on stop.
 */
import { startApp } from '../src/app.js';
import { LogTally, serveChild } from './child.js';

serveChild<Record<string, string>>(async (env) => {
  const logs = new LogTally();
  const app = await startApp(env, { logDestination: logs });
  return {
    port: app.port,
    stop: async () => {
      await app.stop();
      return logs.report();
    },
  };
});
