/**
 * Alertmanager's API v2 (api/v2/openapi.yaml): silences, and the alerts it holds. Reads may
 * be tried again; a POST is a change outside and is sent once: after an ambiguous answer the
 * caller looks for the silence (silencesMatching) before making another.
 */
import { z } from 'zod';
import type { AlertmanagerApiConfig } from '../config/alertmanager-api.js';
import { AlertmanagerError } from '../errors.js';

/** An equality matcher on one label: what the bot makes, and all it looks for. */
export type LabelMatchers = Readonly<Record<string, string>>;

export interface NewSilence {
  matchers: LabelMatchers;
  startsAt: Date;
  endsAt: Date;
  createdBy: string;
  comment: string;
}

const Matcher = z.object({ name: z.string(), value: z.string(), isRegex: z.boolean(), isEqual: z.boolean().default(true) });

const Silence = z.object({
  id: z.string(),
  status: z.object({ state: z.enum(['expired', 'active', 'pending']) }),
  matchers: z.array(Matcher),
  startsAt: z.string(),
  endsAt: z.string(),
  createdBy: z.string(),
  comment: z.string(),
});
export type Silence = z.output<typeof Silence>;

const Alert = z.object({
  fingerprint: z.string(),
  labels: z.record(z.string(), z.string()),
  status: z.object({ state: z.enum(['unprocessed', 'active', 'suppressed']), silencedBy: z.array(z.string()).default([]) }),
});
export type AlertmanagerAlert = z.output<typeof Alert>;

const PostSilenceAnswer = z.object({ silenceID: z.string().min(1) });

const TIMEOUT_MS = 5_000;

/** `name="value"`, quoted the way Alertmanager's matcher parser reads it back. */
export function filterMatcher(name: string, value: string): string {
  return `${name}=${JSON.stringify(value)}`;
}

/** True when a silence is exactly these equality matchers, no more, no fewer. */
export function sameMatchers(silence: Silence, matchers: LabelMatchers): boolean {
  const wanted = Object.entries(matchers);
  if (silence.matchers.length !== wanted.length) return false;
  return wanted.every(([name, value]) => silence.matchers.some((m) => m.name === name && m.value === value && !m.isRegex && m.isEqual));
}

export class AlertmanagerClient {
  constructor(private readonly config: Pick<AlertmanagerApiConfig, 'url' | 'authorization'>) {}

  /** Creates one silence and returns its id; sent once, whatever the answer. */
  async createSilence(silence: NewSilence): Promise<string> {
    const body = {
      matchers: Object.entries(silence.matchers).map(([name, value]) => ({ name, value, isRegex: false, isEqual: true })),
      startsAt: silence.startsAt.toISOString(),
      endsAt: silence.endsAt.toISOString(),
      createdBy: silence.createdBy,
      comment: silence.comment,
    };
    return PostSilenceAnswer.parse(await this.call('POST', '/api/v2/silences', body)).silenceID;
  }

  /** Expires a silence; one already expired is left as it is (Alertmanager answers 500 for it on some versions). */
  async expireSilence(id: string): Promise<void> {
    try {
      await this.call('DELETE', `/api/v2/silence/${encodeURIComponent(id)}`);
    } catch (error) {
      const current = await this.silence(id).catch(() => undefined);
      if (current?.status.state === 'expired') return;
      throw error;
    }
  }

  async silence(id: string): Promise<Silence | undefined> {
    try {
      return Silence.parse(await this.call('GET', `/api/v2/silence/${encodeURIComponent(id)}`));
    } catch (error) {
      if (error instanceof AlertmanagerError && /answered 404/.test(error.message)) return undefined;
      throw error;
    }
  }

  /** Silences not yet expired whose matchers are exactly these. */
  async silencesMatching(matchers: LabelMatchers): Promise<Silence[]> {
    const all = z.array(Silence).parse(await this.call('GET', `/api/v2/silences?${filterQuery(matchers)}`));
    return all.filter((s) => s.status.state !== 'expired' && sameMatchers(s, matchers));
  }

  /** Every silence in force now: one read for all the incidents a poll looks at. */
  async activeSilences(): Promise<Silence[]> {
    return z
      .array(Silence)
      .parse(await this.call('GET', '/api/v2/silences'))
      .filter((s) => s.status.state === 'active');
  }

  /** Alerts still firing that match (silenced ones included: a silence hides, it does not resolve). */
  async firingAlerts(matchers: LabelMatchers): Promise<AlertmanagerAlert[]> {
    const query = `active=true&silenced=true&inhibited=true&unprocessed=true&${filterQuery(matchers)}`;
    return z.array(Alert).parse(await this.call('GET', `/api/v2/alerts?${query}`));
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.config.authorization) headers.authorization = this.config.authorization;
    const what = `${method} ${this.config.url}${path.split('?')[0] ?? ''}`;
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${this.config.url}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      text = await response.text();
    } catch (error) {
      throw new AlertmanagerError(`${what} got no answer: ${error instanceof Error ? error.message : String(error)}`, true, { cause: error });
    }
    if (!response.ok) {
      throw new AlertmanagerError(`${what} answered ${response.status}: ${text.slice(0, 300)}`, response.status >= 500);
    }
    if (text === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new AlertmanagerError(`${what} answered with no JSON: ${text.slice(0, 300)}`, false, { cause: error });
    }
  }
}

function filterQuery(matchers: LabelMatchers): string {
  return Object.entries(matchers)
    .map(([name, value]) => `filter=${encodeURIComponent(filterMatcher(name, value))}`)
    .join('&');
}
