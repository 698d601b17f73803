/**
 * A bot in a process of its own, for tests about what outlives stop(): started with the
 * environment given as JSON in argv[2], then stopped at once. A process that does not exit
 * by itself after that still has something running (a socket, a timer).
 *
 * Run it with `node --import <tsx loader> bot-process.ts '<json>'` (see botProcess() in
 * the test that uses it).
 */
import { startApp } from '../../src/app.js';

const env = JSON.parse(process.argv[2] ?? '{}') as Record<string, string>;
const app = await startApp(env);
await app.stop();
