/** The Alertmanager API adapter against a REAL Alertmanager: silences made, found and expired; alerts read. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertmanagerClient } from '../../src/alertmanager/client.js';
import { alertmanagerApi } from '../../src/config/alertmanager-api.js';
import { AlertmanagerError } from '../../src/errors.js';
import { startAlertmanager, type AlertmanagerHarness } from '../support/alertmanager.js';
import { listenOnLoopback } from '../support/loopback-server.js';
import { uniqueGroup } from '../support/fixtures.js';

let am: AlertmanagerHarness;
let client: AlertmanagerClient;
let sink: Awaited<ReturnType<typeof listenOnLoopback>>['server'];

beforeAll(async () => {
  const listening = await listenOnLoopback((_req, res) => res.end());
  sink = listening.server;
  am = await startAlertmanager({ webhookUrl: `${listening.url}/alertmanager`, bearerToken: 'unused-token-unused-token' });
  client = new AlertmanagerClient({ url: am.url, authorization: undefined });
}, 30_000);

afterAll(async () => {
  await am?.stop();
  sink?.close();
});

describe('AlertmanagerClient', () => {
  it('creates a silence with equality matchers, finds it by them, and expires it', async () => {
    const matchers = { alertname: `Silenced${uniqueGroup()}`, service: 'api "quoted"' };
    const now = new Date();
    const id = await client.createSilence({ matchers, startsAt: now, endsAt: new Date(now.getTime() + 3_600_000), createdBy: 'Ann (U1)', comment: 'INC-1' });
    const found = await client.silencesMatching(matchers);
    expect(found.map((s) => s.id)).toEqual([id]);
    expect(found[0]).toMatchObject({ createdBy: 'Ann (U1)', comment: 'INC-1', status: { state: 'active' } });
    expect(await client.silencesMatching({ ...matchers, extra: 'x' })).toEqual([]);
    await client.expireSilence(id);
    expect(await client.silencesMatching(matchers)).toEqual([]);
    expect((await client.silence(id))?.status.state).toBe('expired');
    await client.expireSilence(id);
  });

  it('reads the alerts that still fire, silenced or not, and not those that ended', async () => {
    const labels = { alertname: `Firing${uniqueGroup()}`, service: 'api' };
    await am.fire(labels);
    expect((await client.firingAlerts(labels)).map((a) => a.labels.alertname)).toEqual([labels.alertname]);
    await am.resolve(labels);
    expect(await client.firingAlerts(labels)).toEqual([]);
  });

  it('says an unreachable Alertmanager is ambiguous, and a refusal is not', async () => {
    const down = new AlertmanagerClient({ url: 'http://127.0.0.1:1', authorization: undefined });
    await expect(down.silencesMatching({ a: 'b' })).rejects.toMatchObject({ ambiguous: true });
    const refused = await client
      .createSilence({ matchers: {}, startsAt: new Date(), endsAt: new Date(), createdBy: 'x', comment: 'x' })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AlertmanagerError);
    expect(refused).toMatchObject({ ambiguous: false });
  });
});

describe('alertmanagerApi', () => {
  it('moves user:password out of the URL into a Basic header, and prefers nothing over a token', () => {
    expect(alertmanagerApi('http://bot:s%40cret@am:9093/', undefined, 30_000)).toEqual({
      url: 'http://am:9093',
      authorization: `Basic ${Buffer.from('bot:s@cret').toString('base64')}`,
      pollIntervalMs: 30_000,
    });
    expect(alertmanagerApi('http://am:9093', 'tok', 1_000)?.authorization).toBe('Bearer tok');
    expect(alertmanagerApi(undefined, 'tok', 1_000)).toBeUndefined();
  });
});
