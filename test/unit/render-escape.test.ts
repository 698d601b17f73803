/**
 * The one way outside text enters a message (src/slack/render/escape.ts), and how mentions
 * are written (mention.ts): nothing typed or labelled can mention, link or break a message.
 */
import { describe, expect, it } from 'vitest';
import { escapeText, link, MAX_LINK_ADDRESS, plainText } from '../../src/slack/render/escape.js';
import { renderUnknownButton } from '../../src/slack/render/command-usage.js';
import { channelLink, groupMention, mention } from '../../src/slack/render/mention.js';

describe('escapeText', () => {
  it.each([
    ['<!channel> <!here> <!everyone>', '&lt;!channel&gt; &lt;!here&gt; &lt;!everyone&gt;'],
    ['<!subteam^S0ONCALL> <@U0ALICE> <#C0OPS>', '&lt;!subteam^S0ONCALL&gt; &lt;@U0ALICE&gt; &lt;#C0OPS&gt;'],
    ['<https://evil.example|click here>', '&lt;https://evil.example|click here&gt;'],
    ['Q&A &amp; more', 'Q&amp;A &amp;amp; more'],
    ['*bold* _it_ `code`', '*bold* _it_ `code`'],
  ])('writes %j so that it reads as typed', (input, expected) => {
    expect(escapeText(input)).toBe(expected);
  });

  it('removes NUL, escape sequences, other control characters and bidi overrides, keeping newlines and tabs', () => {
    expect(escapeText('a\u0000b\u0007c\u001b[31md\u007fe\u0085f\u202eg\u2066h\r\ni\tj\nk')).toBe('abc[31mdefgh\ni\tj\nk');
  });

  it('replaces half a surrogate pair, and keeps whole ones', () => {
    expect(plainText('x\ud800y\udc00z 😀')).toBe('x\ufffdy\ufffdz 😀');
  });

  it('leaves plain_text unescaped: Slack parses nothing there', () => {
    expect(plainText('<!channel> & co\u0000')).toBe('<!channel> & co');
  });
});

describe('link', () => {
  it('encodes what would end or break the link, and writes & as an entity', () => {
    expect(link('https://prom.example/graph?g0.expr=up{job="a b"}&g0.tab=1|x>y<z', 'Source')).toBe(
      '<https://prom.example/graph?g0.expr=up{job=%22a%20b%22}&amp;g0.tab=1%7Cx%3Ey%3Cz|Source>',
    );
  });

  it('escapes its label', () => {
    expect(link('https://a.example/', '<!here>')).toBe('<https://a.example/|&lt;!here&gt;>');
  });

  it.each([['javascript:alert(1)'], ['mailto:a@example.com'], ['not a url'], [''], [undefined], [`https://a.example/${'x'.repeat(MAX_LINK_ADDRESS)}`]])(
    'does not link %j',
    (url) => {
      expect(link(url, 'Source')).toBeUndefined();
    },
  );
});

describe('mentions', () => {
  it('mention only what looks like a Slack id, and show anything else as text', () => {
    expect(mention('U0ALICE')).toBe('<@U0ALICE>');
    expect(mention('W0GRID')).toBe('<@W0GRID>');
    expect(mention('scheduler')).toBe('scheduler');
    expect(mention('U0X> <!channel')).toBe('U0X&gt; &lt;!channel');
    expect(groupMention('S0ONCALL')).toBe('<!subteam^S0ONCALL>');
    expect(groupMention('S0X>|<!here')).toBe('S0X&gt;|&lt;!here');
    expect(channelLink('C0OPS')).toBe('<#C0OPS>');
    expect(channelLink('#ops')).toBe('#ops');
  });
});

describe('the answer to an unknown button', () => {
  it('shows its action_id as the text it is', () => {
    expect(renderUnknownButton('x`<!channel>')).toBe(
      'This button (`x`&lt;!channel&gt;`) is not handled by this version of the bot. Use `/incident help` to see what it can do.',
    );
  });
});
