import { z } from 'zod';
import { plainFromMarkup } from '../../src/slack-markup.js';
import { parseDuration } from '../../src/config/duration.js';
import { isSilenceChoice, type SilenceLength } from '../../src/incidents/silence.js';
import type { CommandReply } from '../command.js';
import { IncidentId, misuse, oneIncidentId, verb } from './verb.js';

const SILENCE_MIN_MS = 5 * 60_000;
/** As long as "until resolved": Alertmanager would keep a longer one, but nobody would remember why. */
const SILENCE_MAX_MS = 7 * 86_400_000;
const USAGE =
  '`silence` takes an incident id, a length (1h, 4h, 24h, until-resolved, or 5m to 7d) and an optional reason, such as `silence INC-42 4h deploy in progress`';
const UNAVAILABLE: CommandReply = { kind: 'text', text: 'Silences need ALERTMANAGER_URL, and this bot has none set.' };

/** The menu's choices as typed ("until-resolved"), or any span from 5m to 7d. */
const Length = z.string().transform((text, ctx): SilenceLength => {
  const word = text.toLowerCase().replace('-', '_');
  if (isSilenceChoice(word)) return word;
  const ms = parseDuration(word);
  if (ms === undefined || ms < SILENCE_MIN_MS || ms > SILENCE_MAX_MS) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a silence length: use 1h, 4h, 24h, until-resolved, or a span from 5m to 7d such as 90m` });
    return z.NEVER;
  }
  return { ms };
});

export const silence = verb({
  name: 'silence',
  parse: (words, text) => {
    if (words.length < 2) throw misuse({ kind: 'invalid', reason: USAGE });
    const parsed = z.tuple([IncidentId, Length]).safeParse(words.slice(0, 2));
    if (!parsed.success) throw misuse({ kind: 'invalid', reason: parsed.error.issues[0]?.message ?? USAGE });
    // The reason as typed, spaces and all, out of Slack's markup (/incident is escaped): it is written into the silence's comment.
    const reason = plainFromMarkup(text.replace(/^\s*\S+\s+\S+\s*/, '').trim());
    const [id, length] = parsed.data;
    return { id, length, ...(reason ? { reason } : {}) };
  },
  run: async ({ id, length, reason }, ctx, { silences }) => {
    if (!silences) return UNAVAILABLE;
    const outcome = await silences.silence({ incidentId: id, userId: ctx.userId, userName: ctx.userName ?? ctx.userId, length, ...(reason ? { reason } : {}) });
    return { kind: 'silence', outcome };
  },
});

export const unsilence = verb({
  name: 'unsilence',
  parse: (words) => oneIncidentId('unsilence', words),
  run: async ([id], ctx, { silences }) => (silences ? { kind: 'silence', outcome: await silences.unsilence(id, ctx.userId) } : UNAVAILABLE),
});
