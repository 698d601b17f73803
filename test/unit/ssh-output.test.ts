import { describe, expect, it } from 'vitest';
import { CappedOutput } from '../../src/fleet/ssh-output.js';

function capture(max: number, ...chunks: (string | Buffer)[]): CappedOutput {
  const out = new CappedOutput(max);
  for (const chunk of chunks) out.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return out;
}

describe('CappedOutput', () => {
  it('keeps output under the cap whole', () => {
    const out = capture(100, 'hello ', 'wörld ✓');
    expect(out.text()).toBe('hello wörld ✓');
    expect(out.truncated).toBe(false);
  });

  it('keeps output of exactly the cap whole, and not truncated', () => {
    const out = capture(7, 'ab€cd'); // 2 + 3 + 2 bytes
    expect(out.text()).toBe('ab€cd');
    expect(out.truncated).toBe(false);
  });

  it('keeps the first bytes and drops a character the cap cuts', () => {
    for (const [max, text] of [
      [2, 'ab'],
      [3, 'ab'],
      [4, 'ab'],
      [5, 'ab€'],
      [6, 'ab€c'],
    ] as const) {
      const out = capture(max, 'ab€cd');
      expect(out.text(), `cap ${max}`).toBe(text);
      expect(out.truncated, `cap ${max}`).toBe(true);
    }
  });

  it('never splits a 4-byte character, also when chunks split it', () => {
    const emoji = Buffer.from('😀'); // F0 9F 98 80
    const out = capture(6, 'ab', emoji.subarray(0, 1), emoji.subarray(1, 3), emoji.subarray(3), 'cd');
    expect(out.text()).toBe('ab😀');
    const cut = capture(5, 'ab', emoji.subarray(0, 2), emoji.subarray(2), 'cd');
    expect(cut.text()).toBe('ab');
    expect(cut.truncated).toBe(true);
  });

  it('marks a character the command itself left unfinished', () => {
    const out = capture(100, Buffer.from([0x61, 0xe2, 0x82]));
    expect(out.text()).toBe('a\ufffd');
    expect(out.truncated).toBe(false);
  });

  it('drops everything with a cap of 0, and says so only if there was output', () => {
    expect(capture(0).truncated).toBe(false);
    const out = capture(0, 'x');
    expect(out.text()).toBe('');
    expect(out.truncated).toBe(true);
  });

  it('copies the chunks it keeps (the producer may reuse its buffer)', () => {
    const buffer = Buffer.from('abc');
    const out = new CappedOutput(10);
    out.push(buffer);
    buffer.fill(0x7a);
    expect(out.text()).toBe('abc');
  });
});
