/** The flood roll-up message as a pure function of the flood's summary. */
import { describe, expect, it } from 'vitest';
import type { FloodEntry, FloodSummary } from '../../src/slack/flood/flood-store.js';
import type { Block } from '../../src/slack/render/block-kit.js';
import { renderFloodRollup } from '../../src/slack/render/flood-rollup.js';
import { MAX_BLOCKS, MAX_HEADER_TEXT, MAX_SECTION_TEXT } from '../../src/slack/render/limits.js';

const T0 = Date.parse('2026-11-22T10:00:00.000Z');

function incident(id: string, overrides: Partial<FloodEntry> = {}): FloodEntry {
  return { incidentId: id, alertname: 'NodeDown', severity: 'warning', rank: 2, critical: false, service: 'payments', ...overrides };
}

function summary(overrides: Partial<FloodSummary> = {}): FloodSummary {
  const counts = overrides.counts ?? [
    { alertname: 'NodeDown', severity: 'warning', count: 1200 },
    { alertname: 'DiskFull', severity: 'critical', count: 30 },
    { alertname: 'HighLatency', severity: 'info', count: 270 },
  ];
  return {
    id: '1',
    channel: 'C0PAYMENTS',
    startedAt: T0,
    version: 1500,
    total: 1500,
    counts,
    kinds: counts.length,
    worst: [incident('7', { alertname: 'DiskFull', severity: 'critical', rank: 4, critical: true }), incident('9')],
    ...overrides,
  };
}

const sectionTexts = (blocks: Block[]) => blocks.flatMap((b) => (b.type === 'section' && 'text' in b ? [b.text.text] : []));

describe('renderFloodRollup', () => {
  it('counts the flood by alertname and severity, lists the most severe by id, and says how to reach the rest', () => {
    const { text, blocks } = renderFloodRollup(summary(), 'critical-only');
    expect(text).toBe('Alert flood: 1,500 new incidents in this channel (roll-up, kept up to date)');
    expect(blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: ':rotating_light: Alert flood: 1,500 new incidents in this channel', emoji: true },
    });
    const [intro, counts, worst] = sectionTexts(blocks);
    expect(intro).toContain(`<!date^${T0 / 1000}^`);
    expect(intro).toContain('Critical incidents still get a message of their own; the others are counted here only.');
    expect(counts).toBe('*By alert and severity*\n• *NodeDown* · warning: 1,200\n• *HighLatency* · info: 270\n• *DiskFull* · critical: 30');
    expect(worst).toBe(
      '*Most severe*\n• *INC-7* critical · DiskFull · payments\n• *INC-9* warning · NodeDown · payments\n_…and 1,498 more incidents in this flood_',
    );
    expect(JSON.stringify(blocks.at(-1))).toContain('`/incident show &lt;id&gt;` for one, `/incident list` for all open ones');
  });

  it('says what critical-first does, and counts one incident in the singular', () => {
    const { text, blocks } = renderFloodRollup(
      summary({ total: 1, version: 1, counts: [{ alertname: 'NodeDown', severity: 'warning', count: 1 }], worst: [incident('3')] }),
      'critical-first',
    );
    expect(text).toContain('1 new incident in this channel');
    expect(sectionTexts(blocks)[0]).toContain('the others follow as fast as Slack allows');
    expect(sectionTexts(blocks)[2]).not.toContain('more incident');
  });

  it('escapes what came from alert labels, so a label cannot mention anyone or make a link', () => {
    const hostile = '<!channel> & <https://evil.example|click> <@U0BOSS>';
    const { text, blocks } = renderFloodRollup(
      summary({
        counts: [{ alertname: hostile, severity: '<!here>', count: 3 }],
        worst: [incident('1', { alertname: hostile, severity: '<!here>', service: '<#C0SECRET>' })],
      }),
      'critical-only',
    );
    const all = JSON.stringify(blocks) + text;
    for (const raw of ['<!channel>', '<!here>', '<https://evil', '<@U0BOSS>', '<#C0SECRET>']) expect(all).not.toContain(raw);
    expect(all).toContain('&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;');
  });

  it('says how many kinds of alert the store counted beyond those it listed', () => {
    const counts = Array.from({ length: 15 }, (_, i) => ({ alertname: `Kind${i}`, severity: 'warning', count: 2 }));
    const { blocks } = renderFloodRollup(summary({ total: 10_000, counts, kinds: 10_000 }), 'critical-only');
    expect(sectionTexts(blocks)[1]).toMatch(/_…and 9,985 more kinds of alert_$/);
  });

  it('stays within Block Kit limits however many kinds of alert there are, saying how many it left out', () => {
    const counts = Array.from({ length: 500 }, (_, i) => ({ alertname: `${'X'.repeat(300)}${i}`, severity: 'warning'.repeat(40), count: 500 - i }));
    const worst = Array.from({ length: 10 }, (_, i) =>
      incident(String(i), { alertname: 'A'.repeat(5_000), service: 'S'.repeat(5_000), severity: 'W'.repeat(5_000) }),
    );
    const { blocks } = renderFloodRollup(summary({ total: 100_000, counts, worst }), 'critical-only');
    expect(blocks.length).toBeLessThanOrEqual(MAX_BLOCKS);
    for (const section of sectionTexts(blocks)) expect(section.length).toBeLessThanOrEqual(MAX_SECTION_TEXT);
    const header = blocks[0];
    expect(header?.type === 'header' && header.text.text.length).toBeLessThanOrEqual(MAX_HEADER_TEXT);
    expect(sectionTexts(blocks)[1]).toMatch(/_…and 4\d\d more kinds of alert_$/);
    expect(sectionTexts(blocks)[1]).toContain('*X');
  });
});
