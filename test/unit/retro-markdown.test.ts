/**
 * The retrospective as GitLab Markdown cannot make GitLab act on what people wrote in Slack:
 * no mention (`@all` neither), no cross-reference, no label, no quick action, while the
 * draft's own headings, task items and links stay what they are.
 */
import { describe, expect, it } from 'vitest';
import { buildRetro } from '../../src/incidents/retro.js';
import { renderRetroMarkdown, slackToGitlabMarkdown } from '../../src/slack/render/retro.js';
import { actionDoc, incidentDoc } from '../support/documents.js';

const Z = '\u200b';

describe('the retrospective in GitLab Markdown', () => {
  it('makes mentions and references inert', () => {
    const text = 'ping @all and @bob.smith, see #12, !3, $4, &amp;5, ~bug, ~"needs review", %"v1.0" and job #9002';
    expect(slackToGitlabMarkdown(text)).toBe(
      `ping @${Z}all and @${Z}bob.smith, see #${Z}12, !${Z}3, $${Z}4, &amp;${Z}5, ~${Z}bug, ~${Z}"needs review", %${Z}"v1.0" and job #${Z}9002`,
    );
  });

  it('keeps its own headings, task items, links and Slack ids in code as they are', () => {
    const text = [
      '# Retrospective draft: INC-42 HighErrorRate',
      '## Timeline',
      '- [ ] alert on &lt;queue depth&gt; &amp; latency (<@U0DAVE>)',
      '- Run: <https://gitlab.example.com/shop/api/-/jobs/9002#L12|the run>',
      'None yet: add one with `/incident followup INC-42 &lt;what to do&gt;`. Error rate over 5%.',
    ].join('\n');
    expect(slackToGitlabMarkdown(text)).toBe(
      [
        '# Retrospective draft: INC-42 HighErrorRate',
        '## Timeline',
        '- [ ] alert on &lt;queue depth&gt; &amp; latency (`@U0DAVE`)',
        '- Run: [the run](https://gitlab.example.com/shop/api/-/jobs/9002#L12)',
        'None yet: add one with `/incident followup INC-42 &lt;what to do&gt;`. Error rate over 5%.',
      ].join('\n'),
    );
  });

  it('lets no label or address end its link early, leaving the rest as live text', () => {
    expect(slackToGitlabMarkdown('<https://x.test/a)@all|x](https://evil.test) @all [y>')).toBe(
      `[x\\](https://evil.test) @${Z}all \\[y](https://x.test/a%29@all)`,
    );
  });

  it('starts no line with a quick action', () => {
    expect(slackToGitlabMarkdown('/close\n  /label ~x\nsee a/b')).toBe(`${Z}/close\n  ${Z}/label ~${Z}x\nsee a/b`);
  });

  it('keeps outside text of one field on one line, so it starts no quick action, heading or list', () => {
    const incident = incidentDoc({
      id: '42',
      state: 'resolved',
      openedAt: '2026-11-22T10:00:00.000Z',
      resolvedAt: '2026-11-22T10:10:00.000Z',
      alerts: {
        a: {
          fingerprint: 'a',
          status: 'resolved',
          labels: { alertname: 'HighErrorRate', service: 'payment-service', severity: 'critical' },
          annotations: { summary: 'errors\n/close\n# not a heading' },
          startsAt: '2026-11-22T10:00:00.000Z',
          endsAt: '2026-11-22T10:10:00.000Z',
          generatorURL: '',
        },
      },
    });
    const action = actionDoc({ id: '7', state: 'succeeded', incidentId: '42', reason: 'bad deploy\n/assign @bob', result: 'done\n/label ~incident' });
    const text = renderRetroMarkdown(
      buildRetro(incident, [{ at: '2026-11-22T10:02:00.000Z', actor: 'U0ALICE', kind: 'action', step: { kind: 'started', actionId: '7' } }], [action]),
    );
    const lines = text.split('\n');
    expect(lines).toContain('errors /close # not a heading');
    expect(lines).toContain(`- Requested by \`@${action.requestedBy}\`: bad deploy /assign @${Z}bob`);
    expect(lines).toContain(`- Result: done /label ~${Z}incident`);
    expect(lines.filter((l) => /^\s*\//.test(l) || /^#+ not/.test(l))).toEqual([]);
  });
});
