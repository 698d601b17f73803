import { describe, expect, it } from 'vitest';
import type { Incident } from '../../src/incidents/incident.js';
import { openIncident } from '../../src/incidents/notification.js';
import { acknowledge, resolveByUser } from '../../src/incidents/transitions.js';
import { fitBlocks } from '../../src/slack/render/fit-message.js';
import { fallbackText, renderIncidentMessage, silenceUrl } from '../../src/slack/render/incident-message.js';
import { fitLines, MAX_BLOCKS, MAX_HEADER_TEXT, MAX_SECTION_TEXT, truncate } from '../../src/slack/render/limits.js';
import type { Block } from '../../src/slack/render/block-kit.js';
import { slackRefusal } from '../support/block-kit-limits.js';
import { fixture, notification } from '../support/fixtures.js';

const ctx = { now: new Date('2026-11-22T00:00:00Z'), serviceLabel: 'service', channelFor: () => 'C0X' };

function incidentFrom(payload = fixture('alertmanager-0.25-firing')): Incident {
  return openIncident('12', payload, ctx)!.incident;
}

const textOf = (blocks: Block[]) => JSON.stringify(blocks);

const ALERT_LINE = /^:(fire|white_check_mark):/;
const MORE_LINE = /^_…and (\d+) more alerts? not listed here_$/;

/** The section listing the alerts: how many it lists, and how many its last line says it left out. */
function alertListOf(blocks: Block[]): { text: string; listed: number; hidden: number } {
  const text = blocks.flatMap((b) => (b.type === 'section' && 'text' in b ? [b.text.text] : [])).find((t) => ALERT_LINE.test(t));
  if (text === undefined) throw new Error(`no alert list in ${textOf(blocks)}`);
  const lines = text.split('\n');
  const more = MORE_LINE.exec(lines.at(-1) ?? '');
  return { text, listed: lines.filter((l) => ALERT_LINE.test(l)).length, hidden: more ? Number(more[1]) : 0 };
}

describe('renderIncidentMessage', () => {
  it('shows severity, service, summary, count, start, links and both buttons while firing', () => {
    const { text, blocks } = renderIncidentMessage(incidentFrom());
    expect(text).toBe('[FIRING] INC-12 HighErrorRate on checkout: 1 firing');
    const all = textOf(blocks);
    for (const part of ['critical', 'checkout', '5xx rate &gt; 5% on checkout', '1 firing of 1', '<!date^', '|Source>', '|Runbook>', '|Silence>']) {
      expect(all).toContain(part);
    }
    const actions = blocks.find((b) => b.type === 'actions');
    expect(actions && 'elements' in actions && actions.elements.map((e) => e.action_id)).toEqual([
      'incident.ack',
      'incident.resolve',
      'incident.lead',
      'incident.room',
    ]);
  });

  it("shows a one-alert incident's summary once, and names the alert in the list", () => {
    const { blocks } = renderIncidentMessage(incidentFrom());
    expect(textOf(blocks).split('5xx rate &gt; 5% on checkout')).toHaveLength(2);
    expect(alertListOf(blocks).text).toMatch(/^:fire:.* HighErrorRate$/);
  });

  it('names the state in the fallback text and drops buttons that no longer apply', () => {
    const acked = acknowledge(incidentFrom(), 'U0ALICE', ctx.now).incident;
    expect(fallbackText(acked)).toMatch(/^\[ACKNOWLEDGED\]/);
    expect(textOf(renderIncidentMessage(acked).blocks)).not.toContain('incident.ack');
    const resolved = resolveByUser(acked, 'U0ALICE', ctx.now).incident;
    const message = renderIncidentMessage(resolved);
    expect(message.text).toMatch(/^\[RESOLVED\]/);
    expect(message.blocks.some((b) => b.type === 'actions')).toBe(false);
    expect(fallbackText({ ...acked, state: 'mitigating' })).toMatch(/^\[MITIGATING\]/);
  });

  it('stays within Block Kit limits for a storm of alerts with long text, saying what it left out', () => {
    const long = 'x'.repeat(5000);
    const payload = notification({
      alerts: Array.from({ length: 300 }, (_, i) => ({ fingerprint: `f${i}`, instance: `host-${i}.example.com:9100`, summary: `${long}${i}` })),
    });
    payload.groupLabels = { alertname: 'A'.repeat(400), service: 'payment-service' };
    payload.truncatedAlerts = 12;
    const { blocks, text } = renderIncidentMessage(incidentFrom(payload));
    expect(blocks.length).toBeLessThanOrEqual(MAX_BLOCKS);
    for (const block of blocks) {
      if (block.type === 'header') expect(block.text.text.length).toBeLessThanOrEqual(MAX_HEADER_TEXT);
      if (block.type === 'section' && 'text' in block) expect(block.text.text.length).toBeLessThanOrEqual(MAX_SECTION_TEXT);
      if (block.type === 'actions') expect(block.elements.length).toBeLessThanOrEqual(25);
    }
    const { listed, hidden } = alertListOf(blocks);
    expect(listed).toBeGreaterThan(0);
    expect(hidden).toBe(300 - listed + 12);
    expect(text).toContain('300 firing');
  });

  it('escapes label text so an alert cannot ping the channel or break links', () => {
    const payload = notification({ alerts: [{ fingerprint: 'a', summary: '<!channel> & <https://evil|click>' }] });
    const all = textOf(renderIncidentMessage(incidentFrom(payload)).blocks);
    expect(all).not.toContain('<!channel>');
    expect(all).toContain('&lt;!channel&gt; &amp; &lt;https://evil|click&gt;');
  });

  it('shows a 10,000-character label within every Block Kit limit, cut visibly', () => {
    const payload = notification({ alerts: [{ fingerprint: 'a', severity: 's'.repeat(10_000), summary: 'm'.repeat(10_000) }] });
    payload.groupLabels = { alertname: 'A'.repeat(10_000), service: 'payment-service', team: 't'.repeat(10_000) };
    const message = renderIncidentMessage(incidentFrom(payload));
    expect(slackRefusal({ ...message })).toBeUndefined();
    const fields = message.blocks.flatMap((b) => (b.type === 'section' && b.fields ? b.fields : []));
    expect(fields.find((f) => f.text.startsWith('*Severity*'))?.text).toMatch(/^\*Severity\*\ns{100,}…$/);
    expect(message.text.length).toBeLessThan(300);
  });

  it('escapes the labels in the notification text, which Slack parses as mrkdwn too', () => {
    const payload = notification({ group: '<!channel> & <@U0EVIL>', service: '<https://evil.example|click>', alerts: [{ fingerprint: 'a' }] });
    const { text } = renderIncidentMessage(incidentFrom(payload));
    expect(text).toBe('[FIRING] INC-12 &lt;!channel&gt; &amp; &lt;@U0EVIL&gt; on &lt;https://evil.example|click&gt;: 1 firing');
  });

  it('removes control characters from labels, in the header too', () => {
    const payload = notification({ group: 'Disk\u0000Full\u001b[31m\u202e', alerts: [{ fingerprint: 'a', summary: 'bell\u0007 rings' }] });
    const { text, blocks } = renderIncidentMessage(incidentFrom(payload));
    const all = JSON.stringify({ text, blocks });
    // JSON writes C0 controls as \u00XX escapes and leaves the others raw.
    expect(all).not.toMatch(/[\u007f-\u009f\u202e]|\\u00[01][0-9a-f]/);
    expect(text).toContain('DiskFull[31m');
    expect(all).toContain('bell rings');
  });

  it('encodes link addresses: a space, <, > or | in a URL neither breaks the link nor makes another', () => {
    const payload = notification({ alerts: [{ fingerprint: 'a' }] });
    payload.alerts[0]!.generatorURL = 'http://prom.example/graph?g0.expr=a b|<!here>&x=1';
    const all = textOf(renderIncidentMessage(incidentFrom(payload)).blocks);
    expect(all).toContain('<http://prom.example/graph?g0.expr=a%20b%7C%3C!here%3E&amp;x=1|Source>');
  });

  it("still renders, with its silence link, when a group label's name holds half a surrogate pair", () => {
    const payload = notification({ alerts: [{ fingerprint: 'a' }] });
    payload.groupLabels = { alertname: 'Disk', 'team\ud800': 'storage', service: 'payment-service' };
    const { blocks } = renderIncidentMessage(incidentFrom(payload));
    expect(textOf(blocks)).toContain('|Silence>');
  });

  it('builds a silence link from the group labels on the external URL', () => {
    expect(silenceUrl(incidentFrom())).toBe(
      'http://alertmanager.example.com:9093/#/silences/new?filter=%7Balertname%3D%22HighErrorRate%22%2C%20service%3D%22checkout%22%7D',
    );
  });
});

describe("the alert list's 'and N more' line", () => {
  const alerts = (count: number, summary: (i: number) => string) =>
    notification({ alerts: Array.from({ length: count }, (_, i) => ({ fingerprint: `f${i}`, instance: `host-${i}.example.com:9100`, summary: summary(i) })) });

  it.each([
    ['21 short alerts: the 21st is left out', 21, () => 'disk almost full'],
    ['25 alerts of 180 characters: twenty of them are longer than a section', 25, (i: number) => `${'d'.repeat(176)}${i}`],
    ['40 alerts of 2,900 characters', 40, (i: number) => `${'e'.repeat(2_896)}${i}`],
    ['300 alerts of 5,000 characters', 300, (i: number) => `${'x'.repeat(5_000)}${i}`],
    ['60 alerts whose text is all characters mrkdwn escapes', 60, () => '<&>'.repeat(700)],
  ])('%s: the count of hidden alerts is shown, and adds up', (_label, count, summary) => {
    const { blocks } = renderIncidentMessage(incidentFrom(alerts(count, summary)));
    const { text, listed, hidden } = alertListOf(blocks);
    expect(text.length).toBeLessThanOrEqual(MAX_SECTION_TEXT);
    expect(listed).toBeGreaterThan(0);
    expect(listed + hidden).toBe(count);
  });

  it('counts the alerts Alertmanager left out of the notification too', () => {
    const payload = alerts(30, (i) => `${'y'.repeat(400)}${i}`);
    payload.truncatedAlerts = 7;
    const { listed, hidden } = alertListOf(renderIncidentMessage(incidentFrom(payload)).blocks);
    expect(listed + hidden).toBe(37);
  });

  it('says nothing is left out when every alert is listed, a long one cut short', () => {
    const { text, listed, hidden } = alertListOf(renderIncidentMessage(incidentFrom(alerts(2, () => 'z'.repeat(5_000)))).blocks);
    expect([listed, hidden]).toEqual([2, 0]);
    expect(text.length).toBeLessThanOrEqual(MAX_SECTION_TEXT);
    expect(text).not.toContain('more alert');
  });
});

describe('limits', () => {
  it('fits any number of blocks into fifty with a note', () => {
    const many: Block[] = Array.from({ length: 80 }, () => ({ type: 'divider' }));
    const fitted = fitBlocks(many);
    expect(fitted).toHaveLength(MAX_BLOCKS);
    expect(JSON.stringify(fitted.at(-1))).toContain('31 more blocks were left out');
  });

  it('fits lines with room kept for the footer that counts the ones left out', () => {
    const more = (omitted: number) => (omitted > 0 ? `+${omitted}` : undefined);
    expect(fitLines(['aaaa', 'bbbb'], 9, more)).toBe('aaaa\nbbbb');
    expect(fitLines(['aaaa', 'bbbb', 'cccc'], 12, more)).toBe('aaaa\nbbbb\n+1');
    expect(fitLines(['aaaa', 'bbbb', 'cccc'], 11, more)).toBe('aaaa\n+2');
    expect(fitLines(['a'.repeat(20)], 10, more)).toBe('+1');
  });

  it('truncates with a note and never splits a surrogate pair', () => {
    expect(truncate('short', 10)).toBe('short');
    const cut = truncate(`${'a'.repeat(14)}😀${'b'.repeat(20)}`, 28, '!');
    expect(cut.length).toBeLessThanOrEqual(28);
    expect(cut.endsWith('…!')).toBe(true);
    expect(cut).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });
});
