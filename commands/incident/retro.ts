import { z } from 'zod';
import { displayId } from '../../src/incidents/incident.js';
import { plainFromMarkup } from '../../src/slack-markup.js';
import { IncidentId, misuse, oneIncidentId, verb } from './verb.js';

/** Long enough for a sentence and a link; a follow-up is a task item, not a report. */
const FOLLOWUP_MAX = 500;

export const retro = verb({
  name: 'retro',
  parse: (words) => oneIncidentId('retro', words),
  run: async ([id], ctx, { incidents }) => {
    await incidents.get(id);
    // A fact on the timeline, delivered by the thread's outbox like a resolution's draft: once, on whichever replica.
    await incidents.note(id, { kind: 'retro', reason: 'regenerated', actor: ctx.userId });
    incidents.timelineChanged(id);
    return { kind: 'text', text: `A new retrospective draft of ${displayId(id)} is on its way to its thread.` };
  },
});

const FollowupWords = z.tuple([IncidentId], z.string());

export const followup = verb({
  name: 'followup',
  parse: (words, text) => {
    const parsed = FollowupWords.safeParse(words);
    // As the person typed it, out of Slack's markup (/incident is escaped); escaped again wherever it is shown.
    const what = plainFromMarkup(text.slice(words[0]?.length ?? 0).trim());
    if (!parsed.success || what === '')
      throw misuse({ kind: 'invalid', reason: '`followup` takes an incident id and what to do, such as `followup INC-42 alert on queue depth`' });
    if (what.length > FOLLOWUP_MAX) throw misuse({ kind: 'invalid', reason: `a follow-up is at most ${FOLLOWUP_MAX} characters; this one has ${what.length}` });
    return { id: parsed.data[0], what };
  },
  run: async ({ id, what }, ctx, { incidents }) => {
    await incidents.get(id);
    await incidents.note(id, { kind: 'followup', what, actor: ctx.userId });
    incidents.timelineChanged(id);
    return { kind: 'text', text: `Follow-up added to ${displayId(id)}; the next retrospective draft lists it.` };
  },
});
