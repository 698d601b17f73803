import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { log: createLogger('info', stream), text: () => lines.join('') };
}

describe('logger', () => {
  it('keeps an SDK error readable without the request it carries (and the token in it)', () => {
    const { log, text } = capture();
    const sdkError = Object.assign(new Error('A request error occurred: connect ECONNREFUSED'), {
      code: 'slack_webapi_request_error',
      original: { config: { headers: { Authorization: 'Bearer xoxb-very-secret' } } },
    });
    log.error({ err: new Error('delivery failed', { cause: sdkError }) }, 'Slack delivery dropped');
    expect(text()).not.toContain('xoxb-very-secret');
    expect(text()).toContain('slack_webapi_request_error');
    expect(text()).toContain('connect ECONNREFUSED');
  });

  it('redacts secrets wherever a log object names them', () => {
    const { log, text } = capture();
    log.info(
      { config: { slack: { botToken: 'xoxb-1', signingSecret: 'shh' } }, headers: { authorization: 'Bearer am-token' }, password: 'pw', privateKey: 'KEY' },
      'x',
    );
    for (const secret of ['xoxb-1', 'shh', 'am-token', '"pw"', 'KEY']) expect(text()).not.toContain(secret);
  });
});
