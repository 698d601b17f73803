/**
 * One strict HTTP mock over nock for the tests that fake a remote API at the HTTP edge
 * (like renovate's test/http-mock.ts). Nothing reaches the network, and a test fails when
 * a request matched no expectation (even if the code under test swallowed the error) or
 * when an expectation it set up was never used.
 *
 *   const http = useHttpMock();
 *   http.scope('https://gitlab.test').get('/api/v4/user').reply(200, { id: 1 });
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll } from 'vitest';

/** What nock hands its "no match" listeners: the request, or the options it was made with. */
interface RequestSeen {
  method?: string;
  proto?: string;
  protocol?: string;
  host?: string;
  path?: string;
}

function describeRequest(req: RequestSeen, options?: RequestSeen): string {
  const seen = { ...req, ...options };
  const proto = seen.proto ?? seen.protocol?.replace(/:$/, '') ?? 'http';
  return `${seen.method ?? 'GET'} ${proto}://${seen.host ?? '?'}${seen.path ?? ''}`;
}

export class HttpMock {
  private readonly unmatched: string[] = [];
  private readonly onNoMatch = (req: RequestSeen, options?: RequestSeen) => this.unmatched.push(describeRequest(req, options));

  /** From now on every HTTP request of the process goes to nock's expectations, none to the network. */
  start(): void {
    if (!nock.isActive()) nock.activate();
    nock.disableNetConnect();
    nock.emitter.on('no match', this.onNoMatch);
  }

  /** Expectations for requests to `base`; each must be used before the test ends. */
  scope(base: string, options?: nock.Options): nock.Scope {
    return nock(base, options);
  }

  /** Forgets every expectation, then throws naming those never used and the requests no expectation matched. */
  verify(): void {
    const unused = nock.pendingMocks();
    const unmatched = this.unmatched.splice(0);
    nock.cleanAll();
    const problems = [
      ...unused.map((mock) => `expected but never requested: ${mock}`),
      ...unmatched.map((request) => `requested but not expected: ${request}`),
    ];
    if (problems.length > 0) throw new Error(`HTTP mock: ${problems.join('; ')}`);
  }

  /** Gives the network back to the process. */
  stop(): void {
    nock.emitter.removeListener('no match', this.onNoMatch);
    nock.cleanAll();
    nock.enableNetConnect();
    nock.restore();
  }
}

/** A strict HTTP mock for the tests of the calling file: started before them, verified after each, stopped after all. */
export function useHttpMock(): HttpMock {
  const mock = new HttpMock();
  beforeAll(() => mock.start());
  afterEach(() => mock.verify());
  afterAll(() => mock.stop());
  return mock;
}
