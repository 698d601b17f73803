/**
 * A local stand-in for the three GitLab REST calls a retry-job rollback makes:
 *
 *   GET  /api/v4/projects/:id/deployments        two successful deployments, newest first
 *   POST /api/v4/projects/:id/jobs/:job/retry    a new job (201), its arrival time recorded
 *   GET  /api/v4/projects/:id/jobs/:job          the job, status 'success'
 *
 * Anything else answers 404 and is recorded as unexpected, and the bench fails at
 * `assertNoUnexpectedCalls()`. Arrival times are performance.now() of this process, taken
 * when the request's headers are in.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

export const FAKE_GITLAB_PROJECT = '4242';
/** The older deployment's job: what every rollback retries. */
export const TARGET_JOB_ID = 801;
const SHA_CURRENT = 'b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f80';
const SHA_PREVIOUS = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';

export interface RetryPost {
  /** performance.now() when the request arrived. */
  at: number;
  project: string;
  retriedJobId: number;
  /** The id of the job this answer created. */
  newJobId: number;
}

const DEPLOYMENTS = /^\/api\/v4\/projects\/([^/]+)\/deployments$/;
const RETRY = /^\/api\/v4\/projects\/([^/]+)\/jobs\/(\d+)\/retry$/;
const JOB = /^\/api\/v4\/projects\/([^/]+)\/jobs\/(\d+)$/;

async function drain(req: IncomingMessage): Promise<void> {
  for await (const _chunk of req) {
    // The bodies are not needed; reading them lets keep-alive reuse the connection.
  }
}

export class GitlabFake {
  readonly retries: RetryPost[] = [];
  /** performance.now() of each deployments GET (a plan or a re-plan), in order. */
  readonly deploymentReads: number[] = [];
  readonly counts = { deployments: 0, retries: 0, jobs: 0 };
  private readonly unexpected: string[] = [];
  private nextJobId = 10_000;
  private readonly retryWaiters = new Map<number, Array<(post: RetryPost) => void>>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<GitlabFake> {
    let fake: GitlabFake | undefined;
    const server = createServer((req, res) => void fake?.handle(req, res, performance.now()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    fake = new GitlabFake(server, `http://127.0.0.1:${port}`);
    return fake;
  }

  /** Resolves with the retry POST number `index` (0-based) once it has arrived. */
  retryNumber(index: number): Promise<RetryPost> {
    const arrived = this.retries[index];
    if (arrived) return Promise.resolve(arrived);
    return new Promise((resolve) => {
      const list = this.retryWaiters.get(index) ?? [];
      list.push(resolve);
      this.retryWaiters.set(index, list);
    });
  }

  /** Throws, naming every request to a route the fake does not serve. */
  assertNoUnexpectedCalls(): void {
    const unexpected = this.unexpected.splice(0);
    if (unexpected.length > 0)
      throw new Error(`GitLab fake: ${unexpected.length} request(s) to routes it does not serve: ${[...new Set(unexpected)].join(', ')}`);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse, at: number): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const retry = method === 'POST' ? RETRY.exec(path) : null;
    if (retry) {
      const post: RetryPost = { at, project: decodeURIComponent(retry[1] ?? ''), retriedJobId: Number(retry[2]), newJobId: this.nextJobId++ };
      const index = this.retries.push(post) - 1;
      this.counts.retries += 1;
      for (const wake of this.retryWaiters.get(index) ?? []) wake(post);
      this.retryWaiters.delete(index);
      await drain(req);
      return this.reply(res, 201, this.job(post.project, post.newJobId, 'pending'));
    }
    await drain(req);
    const deployments = method === 'GET' ? DEPLOYMENTS.exec(path) : null;
    if (deployments) {
      this.counts.deployments += 1;
      this.deploymentReads.push(at);
      return this.reply(res, 200, this.deployments(decodeURIComponent(deployments[1] ?? '')));
    }
    const job = method === 'GET' ? JOB.exec(path) : null;
    if (job) {
      this.counts.jobs += 1;
      return this.reply(res, 200, { ...this.job(decodeURIComponent(job[1] ?? ''), Number(job[2]), 'success'), duration: 1.5 });
    }
    this.unexpected.push(`${method} ${path}`);
    this.reply(res, 404, { message: '404 Not Found' });
  }

  private deployments(project: string): unknown[] {
    const deployment = (id: number, sha: string, jobId: number) => ({
      id,
      iid: id,
      ref: 'main',
      sha,
      status: 'success',
      created_at: '2024-05-02T09:10:02.101Z',
      updated_at: '2024-05-02T09:15:20.733Z',
      deployable: { id: jobId, name: 'deploy', status: 'success', web_url: `${this.url}/projects/${project}/-/jobs/${jobId}` },
    });
    return [deployment(2, SHA_CURRENT, 802), deployment(1, SHA_PREVIOUS, TARGET_JOB_ID)];
  }

  private job(project: string, id: number, status: string): Record<string, unknown> {
    return { id, name: 'deploy', status, web_url: `${this.url}/projects/${project}/-/jobs/${id}`, duration: null, failure_reason: null };
  }

  private reply(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }
}
