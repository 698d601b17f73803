/**
 * ThreadGraphs over the memory stores, a scripted range query and a recording upload port,
 * with the real delivery queue on fake timers: the first graph of an incident goes into its
 * thread once however many replicas are told, a failed upload is retried without losing its
 * claim, and a graph with no data is left out.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Series } from '../../src/graph/series.js';
import { DeliveryQueue } from '../../src/slack/delivery-queue.js';
import type { FileUploads, ThreadFile } from '../../src/slack/file-upload.js';
import { RetryLater } from '../../src/slack/retry-later.js';
import { ThreadGraphs } from '../../src/slack/thread-graph.js';
import { memoryStores, type MemoryStores } from '../../src/store/memory/index.js';
import type { RangeQuery, RangeRequest, RangeResult } from '../../src/verify/range-query.js';
import { onFakeTimers } from '../support/clock.js';
import { commitIncident } from '../support/commit-incident.js';
import { entry, incidentDoc } from '../support/documents.js';

const log = pino({ level: 'silent' });
const settle = onFakeTimers();

const EXPR = 'sum by (instance) (rate(http_errors_total[5m])) / sum by (instance) (rate(http_requests_total[5m])) > 0.05';

class RecordingUploads implements FileUploads {
  readonly files: ThreadFile[] = [];
  failures = 0;
  async uploadToThread(file: ThreadFile): Promise<void> {
    if (this.failures > 0) {
      this.failures -= 1;
      throw new RetryLater('files.getUploadURLExternal failed transiently');
    }
    this.files.push(file);
  }
}

class ScriptedRange implements RangeQuery {
  readonly asked: RangeRequest[] = [];
  constructor(private readonly answer: RangeResult) {}
  async queryRange(request: RangeRequest): Promise<RangeResult> {
    this.asked.push(request);
    return this.answer;
  }
}

const series = (instance: string, value: number): Series => ({ labels: { instance }, points: [[1_800_000_000, value]] });

async function posted(stores: MemoryStores, id = '1'): Promise<void> {
  await commitIncident(stores.incidents, incidentDoc({ id, channel: 'C0PAYMENTS' }), [entry('opened', 'Incident opened')]);
  await stores.incidents.setMessageRef(id, { channel: 'C0PAYMENTS', ts: '1700000000.000100', version: 1, state: 'firing' });
  const incident = await stores.incidents.get(id);
  const [alert] = Object.values(incident?.alerts ?? {});
  if (alert) alert.generatorURL = `http://prometheus.example.com/graph?g0.expr=${encodeURIComponent(EXPR)}`;
  if (incident) await commitIncident(stores.incidents, incident, []);
}

function graphs(stores: MemoryStores, range: RangeQuery, uploads: FileUploads): ThreadGraphs {
  return new ThreadGraphs({
    queue: new DeliveryQueue({ log }),
    store: stores.incidents,
    range,
    uploads,
    claim: async (key, ttlMs) => (await stores.incidents.lease(key, ttlMs)) !== undefined,
    claimTtlMs: 86_400_000,
    log,
  });
}

describe('ThreadGraphs', () => {
  it("posts the incident's first graph once, in its thread, however many replicas are told", async () => {
    const stores = memoryStores();
    await posted(stores);
    const range = new ScriptedRange({ kind: 'series', series: [series('a', 0.07), series('b', 0.01)] });
    const uploads = new RecordingUploads();
    const replicas = [graphs(stores, range, uploads), graphs(stores, range, uploads)];
    for (const replica of replicas) replica.incidentPosted('1');
    replicas[0]?.incidentPosted('1');
    await settle();

    expect(uploads.files).toHaveLength(1);
    expect(uploads.files[0]).toMatchObject({ channel: 'C0PAYMENTS', threadTs: '1700000000.000100', title: 'INC-1 HighErrorRate graph' });
    // The left side of the comparison is drawn, over the last hour; the threshold is drawn as a line.
    expect(range.asked[0]?.query).toBe('sum by (instance) (rate(http_errors_total[5m])) / sum by (instance) (rate(http_requests_total[5m]))');
    expect((range.asked[0]?.end.getTime() ?? 0) - (range.asked[0]?.start.getTime() ?? 0)).toBe(3_600_000);
    expect(
      Buffer.from(uploads.files[0]?.bytes ?? [])
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');
  });

  it('retries a failed upload and still posts only one graph', async () => {
    const stores = memoryStores();
    await posted(stores);
    const uploads = new RecordingUploads();
    uploads.failures = 2;
    graphs(stores, new ScriptedRange({ kind: 'series', series: [series('a', 0.07)] }), uploads).incidentPosted('1');
    await settle();
    expect(uploads.files).toHaveLength(1);
  });

  it('leaves the graph out when Prometheus has no data for it', async () => {
    for (const answer of [
      { kind: 'unavailable', reason: 'HTTP 503' },
      { kind: 'series', series: [] },
    ] as RangeResult[]) {
      const stores = memoryStores();
      await posted(stores);
      const uploads = new RecordingUploads();
      graphs(stores, new ScriptedRange(answer), uploads).incidentPosted('1');
      await settle();
      expect(uploads.files).toEqual([]);
    }
  });

  it('posts a new graph each time a person asks, over the range asked for', async () => {
    const stores = memoryStores();
    await posted(stores);
    const range = new ScriptedRange({ kind: 'series', series: [series('a', 0.07)] });
    const uploads = new RecordingUploads();
    const g = graphs(stores, range, uploads);
    const incident = await stores.incidents.get('1');
    if (!incident) throw new Error('no incident');
    expect(await g.request(incident, 6 * 3_600_000)).toBe('queued');
    expect(await g.request(incident, 3_600_000)).toBe('queued');
    await settle();
    expect(uploads.files).toHaveLength(2);
    expect(range.asked.map((r) => r.end.getTime() - r.start.getTime())).toEqual([6 * 3_600_000, 3_600_000]);
  });
});
