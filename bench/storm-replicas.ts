/**
 * The storm against one bot, then against two sharing one Redis and one rate-limited
 * Slack fake, side by side:
 *
 *   npm run bench:storm-replicas
 *
 * Targets (issue 13): no 429 beyond the first of each limit's window, and the two
 * replicas' messages final within 10% of one replica's time (the shared budget, not the
 * number of bots, is what bounds it). Each run prints its own full report first.
 */
import { stormOnce, type StormFigures } from './storm.js';
import { fixed, runBench, table } from './support.js';

/** Two bots may take this much longer than one to bring every message to its final state. */
const REPLICA_SLOWDOWN = 1.1;

const seconds = (figures: StormFigures) => (figures.secondsToFinal === undefined ? 'not final' : fixed(figures.secondsToFinal));

runBench(async () => {
  const one = await stormOnce(1);
  console.log('');
  const two = await stormOnce(2);
  const bound = one.secondsToFinal === undefined ? undefined : one.secondsToFinal * REPLICA_SLOWDOWN;
  const withinBound = two.secondsToFinal !== undefined && bound !== undefined && two.secondsToFinal <= bound;
  const quiet = one.beyondFirst429 === 0 && two.beyondFirst429 === 0;
  console.log('');
  console.log(
    table(
      ['figure', '1 replica', '2 replicas', 'target'],
      [
        ['429s met, chat.postMessage', one.posts429, two.posts429, ''],
        ['429s met, chat.update', one.updates429, two.updates429, ''],
        ['429s beyond the first per limit window', one.beyondFirst429, two.beyondFirst429, '0'],
        ['Slack calls per incident, max (mean)', `${one.maxCalls} (${fixed(one.meanCalls)})`, `${two.maxCalls} (${fixed(two.meanCalls)})`, '<= 4'],
        ['floor for the final state (s)', fixed(one.floorSeconds), fixed(two.floorSeconds), ''],
        ['s from end of storm to all final', seconds(one), seconds(two), bound === undefined ? 'n/a' : `2 replicas <= ${fixed(bound)}`],
      ],
    ),
  );
  console.log('');
  console.log(
    `REPLICA TARGETS: ${quiet && withinBound ? 'ALL MET' : 'NOT MET'} (429s beyond the first: ${quiet ? 'none' : 'some'}; two replicas ${withinBound ? 'within' : 'not within'} 10% of one)`,
  );
});
