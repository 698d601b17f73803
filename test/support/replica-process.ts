/**
 * A test bot in a process of its own that runs until it is killed: a replica a test can SIGKILL,
 * to see what the others do when one dies without releasing anything. Started with the
 * TestBotOptions given as JSON in argv[2] (see killableReplica() in rollback.ts).
 */
import { startTestBot, type TestBotOptions } from './bot.js';

// Its temp files (services.yaml, runbooks) go in its working dir, which the test removes:
// a killed process cleans nothing up itself.
process.env.TMPDIR = process.cwd();
await startTestBot(JSON.parse(process.argv[2] ?? '{}') as TestBotOptions);
