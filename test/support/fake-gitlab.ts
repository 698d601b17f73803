/**
 * A local stand-in for the GitLab REST API v4, recording every call (like fake-slack.ts).
 * Point GITLAB_URL at `url`. It serves the few routes the rollback executor uses, in
 * GitLab's shapes:
 *
 *   GET  /api/v4/projects/:id/deployments          the configured list (the query is recorded, not applied)
 *   POST /api/v4/projects/:id/jobs/:job_id/retry   a new job of the same name in the same pipeline, status "pending"
 *   GET  /api/v4/projects/:id/jobs/:job_id         status settable with setJobStatus()
 *   GET  /api/v4/projects/:id/pipelines/:id/jobs   newest first; retried jobs only with include_retried=true
 *   POST /api/v4/projects/:id/pipeline             a new pipeline, status "created" (body recorded)
 *   GET  /api/v4/projects/:id/pipelines            newest first; ref, updated_after and per_page applied
 *   GET  /api/v4/projects/:id/pipelines/:id        status settable with setPipelineStatus()
 *   GET  /api/v4/projects/:id/pipelines/:id/variables  the variables it was created with
 *   POST /api/v4/projects/:id/issues               a new issue (title, description, labels), iid counting from 1 per project
 *   PUT  /api/v4/projects/:id/issues/:iid          edits title, description and labels
 *   GET  /api/v4/projects/:id/issues               newest first; labels (all of them), search (in title) applied
 *   GET  /api/v4/projects/:id/issues/:iid          one issue, 404 when it was never made
 *
 * `:id` is a project path, URL-encoded (shop%2Fpayment-service), or a number. On these
 * routes the fake answers the 404s GitLab sends: a project that was not added is
 * {"message":"404 Project Not Found"}, a job or pipeline it never made is 404 too. A test
 * can script the next answers of a route (`script('deployments', { status: 500 })`) or
 * hold a request until it says so (`hold('retry')`), to act while the bot waits for GitLab.
 * An answer or a hold `afterEffect` lets GitLab do the work first (a retry makes its job, a
 * create its pipeline) and only then answers as scripted, drops the connection, or holds the
 * answer: what a client sees when GitLab acted but the answer failed or came too late.
 *
 * Any other route is one the fake does not know, and it will not pretend: the request is
 * answered 404 as GitLab answers an unknown API path, kept, and the test fails at the next
 * `assertNoUnexpectedCalls()`, `reset()` or `close()`.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { listenOnLoopback } from './loopback-server.js';
import { waitFor } from './wait.js';

export type GitlabRoute =
  | 'deployments'
  | 'retry'
  | 'job'
  | 'pipelineJobs'
  | 'createPipeline'
  | 'pipelines'
  | 'pipeline'
  | 'pipelineVariables'
  | 'createIssue'
  | 'editIssue'
  | 'issues'
  | 'issue';

/** An issue as the fake keeps it. */
export interface IssueJson {
  id: number;
  iid: number;
  project_id: number;
  title: string;
  description: string;
  state: 'opened';
  labels: string[];
  web_url: string;
  created_at: string;
  updated_at: string;
}

/** A request to a route the fake does not serve. */
interface UnexpectedRequest {
  method: string;
  path: string;
}

export interface GitlabCall {
  method: string;
  /** The path as received, still URL-encoded (/api/v4/projects/shop%2Fpayment-service/deployments). */
  path: string;
  route: GitlabRoute;
  /** The project as decoded from the path (shop/payment-service), when the route names one. */
  project?: string;
  query: Record<string, string>;
  /** The parsed JSON (or form) body; undefined for a request without one. */
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
  at: number;
  /** The status the fake answered (set when the answer is sent). */
  status?: number;
  /** The connection was closed without an answer, as scripted. */
  dropped?: boolean;
}

/**
 * A scripted answer: a status (with a body and headers), or `drop` to close the connection
 * without one. `afterEffect`: GitLab did the work of the request first (see the header).
 */
export type GitlabAnswer = ({ status: number; body?: unknown; headers?: Record<string, string> } | { drop: true }) & { afterEffect?: boolean };

/** A deployment as GitLab lists it (the fields the bot reads, plus a few it ignores). */
export interface DeploymentJson {
  id: number;
  iid: number;
  sha: string;
  ref: string;
  status: string;
  created_at: string;
  environment: { id: number; name: string };
  deployable: { id: number; name: string; status: string; web_url: string } | null;
}

interface Run {
  id: number;
  project: string;
  status: string;
  web_url: string;
  created_at: string;
  updated_at: string;
  /** A job's name and pipeline. */
  name?: string;
  pipelineId?: number;
  /** For a job made by a retry, the job retried. */
  retriedFrom?: number;
  /** A job that was retried (a newer one of its name exists). */
  retried?: boolean;
  /** The pipeline's ref and variables, for a pipeline. */
  ref?: string;
  variables?: Array<{ key: string; value: string; variable_type: string }>;
}

export interface Hold {
  /** Resolves with the call once a request of the route has arrived and is being held. */
  arrived: Promise<GitlabCall>;
  /** Lets the held request be answered (normally, or as scripted). */
  release(): void;
}

interface PendingHold {
  route: GitlabRoute;
  afterEffect: boolean;
  arrivedResolve: (call: GitlabCall) => void;
  released: Promise<void>;
}

const ROUTES: Array<{ method: string; pattern: RegExp; route: GitlabRoute }> = [
  { method: 'GET', pattern: /^\/api\/v4\/projects\/([^/]+)\/deployments$/, route: 'deployments' },
  { method: 'POST', pattern: /^\/api\/v4\/projects\/([^/]+)\/jobs\/(\d+)\/retry$/, route: 'retry' },
  { method: 'GET', pattern: /^\/api\/v4\/projects\/([^/]+)\/jobs\/(\d+)$/, route: 'job' },
  { method: 'GET', pattern: /^\/api\/v4\/projects\/([^/]+)\/pipelines\/(\d+)\/jobs$/, route: 'pipelineJobs' },
  { method: 'POST', pattern: /^\/api\/v4\/projects\/([^/]+)\/pipeline$/, route: 'createPipeline' },
  { method: 'GET', pattern: /^\/api\/v4\/projects\/([^/]+)\/pipelines$/, route: 'pipelines' },
  { method: 'GET', pattern: /^\/api\/v4\/projects\/([^/]+)\/pipelines\/(\d+)$/, route: 'pipeline' },
  { method: 'GET', pattern: /^\/api\/v4\/projects\/([^/]+)\/pipelines\/(\d+)\/variables$/, route: 'pipelineVariables' },
  { method: 'POST', pattern: /^\/api\/v4\/projects\/([^/]+)\/issues$/, route: 'createIssue' },
  { method: 'PUT', pattern: /^\/api\/v4\/projects\/([^/]+)\/issues\/(\d+)$/, route: 'editIssue' },
  { method: 'GET', pattern: /^\/api\/v4\/projects\/([^/]+)\/issues$/, route: 'issues' },
  { method: 'GET', pattern: /^\/api\/v4\/projects\/([^/]+)\/issues\/(\d+)$/, route: 'issue' },
];

const FINAL = new Set(['success', 'failed', 'canceled', 'skipped']);

function parseBody(raw: string, contentType: string | undefined): unknown {
  if (!raw) return undefined;
  if (contentType?.includes('application/json')) {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      return raw;
    }
  }
  if (contentType?.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(raw));
  return raw;
}

export class FakeGitlab {
  readonly calls: GitlabCall[] = [];
  /** Requests to routes the fake does not serve, kept until a check reports them. */
  private readonly unexpected: UnexpectedRequest[] = [];
  private readonly projects = new Map<string, { numericId: number; deployments: DeploymentJson[] }>();
  private readonly jobs = new Map<number, Run>();
  private readonly pipelines = new Map<number, Run>();
  private readonly scripted = new Map<GitlabRoute, GitlabAnswer[]>();
  private readonly holds: PendingHold[] = [];
  /** Every issue made, by project path, oldest first. */
  readonly issues = new Map<string, IssueJson[]>();
  private nextRunId = 9001;
  private nextProjectId = 278960;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeGitlab> {
    let fake: FakeGitlab | undefined;
    const { server, url } = await listenOnLoopback((req, res) => void fake?.handle(req, res));
    fake = new FakeGitlab(server, url);
    return fake;
  }

  /** Adds (or replaces) a project and its successful deployments, newest first as GitLab lists them with sort=desc. */
  addProject(path: string, deployments: DeploymentJson[]): void {
    const known = this.projects.get(path)?.numericId;
    if (known === undefined) this.nextProjectId += 1;
    this.projects.set(path, { numericId: known ?? this.nextProjectId, deployments });
    for (const d of deployments) {
      if (d.deployable && !this.jobs.has(d.deployable.id)) {
        this.jobs.set(d.deployable.id, {
          id: d.deployable.id,
          project: path,
          status: d.deployable.status,
          web_url: d.deployable.web_url,
          created_at: d.created_at,
          updated_at: d.created_at,
          name: d.deployable.name,
          // Each deployment's job ran in a pipeline of its own.
          pipelineId: d.deployable.id + 5000,
        });
      }
    }
  }

  /** Replaces the deployments of a project already added. */
  setDeployments(path: string, deployments: DeploymentJson[]): void {
    this.addProject(path, deployments);
  }

  setJobStatus(id: number | string, status: string): void {
    const job = this.jobs.get(Number(id));
    if (!job) throw new Error(`fake GitLab: no job ${id}`);
    job.status = status;
    job.updated_at = new Date().toISOString();
  }

  setPipelineStatus(id: number | string, status: string): void {
    const pipeline = this.pipelines.get(Number(id));
    if (!pipeline) throw new Error(`fake GitLab: no pipeline ${id}`);
    pipeline.status = status;
    pipeline.updated_at = new Date().toISOString();
  }

  /** The next `times` requests of `route` get this answer instead of the normal one (recorded all the same). */
  script(route: GitlabRoute, answer: GitlabAnswer, times = 1): void {
    const list = this.scripted.get(route) ?? [];
    for (let i = 0; i < times; i += 1) list.push(answer);
    this.scripted.set(route, list);
  }

  /**
   * The next request of `route` is recorded at once but answered only after `release()`;
   * with `afterEffect`, GitLab does its work at once and only the answer waits.
   */
  hold(route: GitlabRoute, options: { afterEffect?: boolean } = {}): Hold {
    let arrivedResolve!: (call: GitlabCall) => void;
    let releaseResolve!: () => void;
    const arrived = new Promise<GitlabCall>((resolve) => (arrivedResolve = resolve));
    const released = new Promise<void>((resolve) => (releaseResolve = resolve));
    this.holds.push({ route, afterEffect: options.afterEffect === true, arrivedResolve, released });
    return { arrived, release: () => releaseResolve() };
  }

  /** The jobs GitLab has made by retrying (each a newer job of the retried one's name and pipeline). */
  retriedJobs(): Array<{ id: number; retriedFrom: number; pipelineId: number | undefined }> {
    return [...this.jobs.values()].flatMap((j) => (j.retriedFrom === undefined ? [] : [{ id: j.id, retriedFrom: j.retriedFrom, pipelineId: j.pipelineId }]));
  }

  /** Every pipeline GitLab has made, oldest first, with the variables it was given. */
  createdPipelines(): Array<{ id: number; ref: string | undefined; variables: Record<string, string> }> {
    return [...this.pipelines.values()].map((p) => ({
      id: p.id,
      ref: p.ref,
      variables: Object.fromEntries((p.variables ?? []).map((v) => [v.key, v.value])),
    }));
  }

  callsTo(route: GitlabRoute): GitlabCall[] {
    return this.calls.filter((c) => c.route === route);
  }

  async waitForCalls(route: GitlabRoute, count: number, timeoutMs = 10_000): Promise<GitlabCall[]> {
    await waitFor(() => this.callsTo(route).length >= count, {
      timeoutMs,
      message: `expected ${count} GitLab ${route} call(s), saw ${this.callsTo(route).length}`,
    });
    return this.callsTo(route);
  }

  /** Throws, once, naming every request to a route the fake does not serve since the last check. */
  assertNoUnexpectedCalls(): void {
    const unexpected = this.unexpected.splice(0);
    if (unexpected.length === 0) return;
    throw new Error(
      `fake GitLab: ${unexpected.length} request(s) to routes it does not serve, answered 404: ${unexpected.map((u) => `${u.method} ${u.path}`).join('; ')}. ` +
        "If the bot should make them, teach test/support/fake-gitlab.ts the route in GitLab's shape.",
    );
  }

  /** Forgets calls, scripts and holds (projects, jobs and pipelines stay); then fails if an unknown route was requested. */
  reset(): void {
    this.calls.length = 0;
    this.scripted.clear();
    this.holds.length = 0;
    this.assertNoUnexpectedCalls();
  }

  /** Stops the server; then fails if an unknown route was requested. */
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.assertNoUnexpectedCalls();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const parsed = new URL(req.url ?? '/', this.url);
    const method = (req.method ?? 'GET').toUpperCase();
    const matched = ROUTES.map((r) => ({ route: r.route, match: r.method === method ? r.pattern.exec(parsed.pathname) : null })).find(
      (x): x is { route: GitlabRoute; match: RegExpExecArray } => x.match !== null,
    );
    if (!matched) {
      this.unexpected.push({ method, path: parsed.pathname });
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: '404 Not Found' }));
      return;
    }
    const { route, match } = matched;
    const call: GitlabCall = {
      method,
      path: parsed.pathname,
      route,
      ...(match[1] ? { project: decodeURIComponent(match[1]) } : {}),
      query: Object.fromEntries(parsed.searchParams),
      body: parseBody(raw, req.headers['content-type']),
      headers: req.headers,
      at: Date.now(),
    };
    this.calls.push(call);

    const holdIndex = this.holds.findIndex((h) => h.route === route);
    const hold = holdIndex >= 0 ? this.holds.splice(holdIndex, 1)[0] : undefined;
    const wait = async () => {
      hold?.arrivedResolve(call);
      await hold?.released;
    };
    if (hold && !hold.afterEffect) await wait();

    const scripted = this.scripted.get(route)?.shift();
    // GitLab's own answer is also its work (a retry makes a job): done unless a script replaces it.
    const own = scripted && !scripted.afterEffect ? undefined : this.answer(call, match);
    if (hold?.afterEffect) await wait();
    const answer = scripted ?? own;
    if (!answer) throw new Error('fake GitLab: no answer');
    if ('drop' in answer) {
      call.dropped = true;
      req.socket.destroy();
      return;
    }
    call.status = answer.status;
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
  }

  private answer(call: GitlabCall, match: RegExpExecArray): { status: number; body: unknown; headers?: Record<string, string> } {
    const project = this.findProject(call.project ?? '');
    if (!project) return { status: 404, body: { message: '404 Project Not Found' } };
    const [path, info] = project;
    const projectUrl = `${this.url}/${path}`;
    switch (call.route) {
      case 'deployments':
        return { status: 200, body: info.deployments };
      case 'retry': {
        const retried = this.jobs.get(Number(match[2]));
        if (!retried || retried.project !== path) return { status: 404, body: { message: '404 Job Not Found' } };
        this.nextRunId += 1;
        const id = this.nextRunId;
        const now = new Date().toISOString();
        const job: Run = {
          id,
          project: path,
          status: 'pending',
          web_url: `${projectUrl}/-/jobs/${id}`,
          created_at: now,
          updated_at: now,
          ...(retried.name === undefined ? {} : { name: retried.name }),
          ...(retried.pipelineId === undefined ? {} : { pipelineId: retried.pipelineId }),
          retriedFrom: retried.id,
        };
        retried.retried = true;
        this.jobs.set(id, job);
        return { status: 201, body: this.jobJson(job) };
      }
      case 'job': {
        const job = this.jobs.get(Number(match[2]));
        if (!job || job.project !== path) return { status: 404, body: { message: '404 Job Not Found' } };
        return { status: 200, body: this.jobJson(job) };
      }
      case 'pipelineJobs': {
        const pipelineId = Number(match[2]);
        const jobs = [...this.jobs.values()].filter((j) => j.project === path && j.pipelineId === pipelineId);
        if (jobs.length === 0 && this.pipelines.get(pipelineId)?.project !== path) return { status: 404, body: { message: '404 Not found' } };
        const listed = call.query.include_retried === 'true' ? jobs : jobs.filter((j) => j.retried !== true);
        return { status: 200, body: this.page(listed, call.query).map((j) => this.jobJson(j)) };
      }
      case 'createPipeline': {
        const body = (call.body ?? {}) as { ref?: unknown; variables?: unknown };
        if (typeof body.ref !== 'string' || !body.ref) return { status: 400, body: { message: { base: ['ref is missing'] } } };
        this.nextRunId += 1;
        const id = this.nextRunId;
        const now = new Date().toISOString();
        const variables = Array.isArray(body.variables) ? (body.variables as NonNullable<Run['variables']>) : [];
        const pipeline: Run = {
          id,
          project: path,
          status: 'created',
          web_url: `${projectUrl}/-/pipelines/${id}`,
          created_at: now,
          updated_at: now,
          ref: body.ref,
          variables,
        };
        this.pipelines.set(id, pipeline);
        return { status: 201, body: this.pipelineJson(pipeline) };
      }
      case 'pipelines': {
        const { ref, updated_after: after } = call.query;
        const listed = [...this.pipelines.values()].filter(
          (p) => p.project === path && (ref === undefined || p.ref === ref) && (after === undefined || Date.parse(p.updated_at) > Date.parse(after)),
        );
        return { status: 200, body: this.page(listed, call.query).map((p) => this.pipelineJson(p)) };
      }
      case 'pipeline': {
        const pipeline = this.pipelines.get(Number(match[2]));
        if (!pipeline || pipeline.project !== path) return { status: 404, body: { message: '404 Not found' } };
        return { status: 200, body: this.pipelineJson(pipeline) };
      }
      case 'pipelineVariables': {
        const pipeline = this.pipelines.get(Number(match[2]));
        if (!pipeline || pipeline.project !== path) return { status: 404, body: { message: '404 Not found' } };
        return { status: 200, body: pipeline.variables ?? [] };
      }
      case 'createIssue':
      case 'editIssue':
      case 'issues':
      case 'issue':
        return this.answerIssues(call, match, path, info.numericId);
    }
  }

  private answerIssues(call: GitlabCall, match: RegExpExecArray, path: string, projectId: number): { status: number; body: unknown } {
    const list = this.issues.get(path) ?? [];
    this.issues.set(path, list);
    const body = (call.body ?? {}) as { title?: unknown; description?: unknown; labels?: unknown };
    const labels = typeof body.labels === 'string' ? body.labels.split(',').filter(Boolean) : undefined;
    const now = new Date().toISOString();
    if (call.route === 'createIssue') {
      if (typeof body.title !== 'string' || !body.title) return { status: 400, body: { message: { title: ["can't be blank"] } } };
      const iid = list.length + 1;
      this.nextRunId += 1;
      const issue: IssueJson = {
        id: this.nextRunId,
        iid,
        project_id: projectId,
        title: body.title,
        description: typeof body.description === 'string' ? body.description : '',
        state: 'opened',
        labels: labels ?? [],
        web_url: `${this.url}/${path}/-/issues/${iid}`,
        created_at: now,
        updated_at: now,
      };
      list.push(issue);
      return { status: 201, body: issue };
    }
    if (call.route === 'editIssue' || call.route === 'issue') {
      const issue = list.find((i) => i.iid === Number(match[2]));
      if (!issue) return { status: 404, body: { message: '404 Not found' } };
      if (call.route === 'issue') return { status: 200, body: issue };
      if (typeof body.title === 'string') issue.title = body.title;
      if (typeof body.description === 'string') issue.description = body.description;
      if (labels) issue.labels = labels;
      issue.updated_at = now;
      return { status: 200, body: issue };
    }
    const wanted = (call.query.labels ?? '').split(',').filter(Boolean);
    const search = call.query.search?.toLowerCase();
    const listed = list.filter((i) => wanted.every((l) => i.labels.includes(l)) && (search === undefined || i.title.toLowerCase().includes(search)));
    const perPage = Number(call.query.per_page ?? 20);
    const page = Number(call.query.page ?? 1);
    return { status: 200, body: [...listed].reverse().slice((page - 1) * perPage, page * perPage) };
  }

  /** Newest first, as GitLab lists jobs and (with sort=desc) pipelines; one page of per_page (default 20). */
  private page(runs: Run[], query: Record<string, string>): Run[] {
    const perPage = Number(query.per_page ?? 20);
    const page = Number(query.page ?? 1);
    return [...runs].sort((a, b) => b.id - a.id).slice((page - 1) * perPage, page * perPage);
  }

  private findProject(id: string): [string, { numericId: number; deployments: DeploymentJson[] }] | undefined {
    for (const entry of this.projects) {
      if (entry[0] === id || String(entry[1].numericId) === id) return entry;
    }
    return undefined;
  }

  private jobJson(job: Run) {
    return {
      id: job.id,
      name: job.name ?? 'deploy',
      stage: 'deploy',
      status: job.status,
      web_url: job.web_url,
      duration: FINAL.has(job.status) ? 42.5 : null,
      failure_reason: job.status === 'failed' ? 'script_failure' : null,
      created_at: job.created_at,
      retried: job.retried === true,
      ...(job.pipelineId === undefined ? {} : { pipeline: { id: job.pipelineId, project_id: 278964, ref: 'main', status: 'success' } }),
    };
  }

  private pipelineJson(pipeline: Run) {
    return {
      id: pipeline.id,
      iid: pipeline.id - 9000,
      status: pipeline.status,
      ref: pipeline.ref ?? 'main',
      source: 'api',
      web_url: pipeline.web_url,
      created_at: pipeline.created_at,
      updated_at: pipeline.updated_at,
      duration: FINAL.has(pipeline.status) ? 312 : null,
    };
  }
}

/** A successful deployment to `environment` whose deployable is job `jobId`. */
export function deployment(opts: {
  id: number;
  iid: number;
  sha: string;
  jobId: number | null;
  project?: string;
  environment?: string;
  ref?: string;
}): DeploymentJson {
  const project = opts.project ?? 'shop/payment-service';
  return {
    id: opts.id,
    iid: opts.iid,
    sha: opts.sha,
    ref: opts.ref ?? 'main',
    status: 'success',
    created_at: `2024-05-0${Math.min(opts.iid, 9)}T09:00:00.000Z`,
    environment: { id: 12, name: opts.environment ?? 'production' },
    deployable:
      opts.jobId === null ? null : { id: opts.jobId, name: 'deploy', status: 'success', web_url: `https://gitlab.example.com/${project}/-/jobs/${opts.jobId}` },
  };
}
