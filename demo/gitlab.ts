/**
 * The demo's GitLab: a few projects with successful deployments, answering the REST v4
 * routes the bot's rollback executor calls, in GitLab's shapes. A job or pipeline it
 * starts runs on its own: pending, running, then success a few seconds later, and a
 * succeeded retry of a deploy job becomes the newest deployment, as in GitLab.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How long a started job or pipeline is pending, then running (ms from its start). */
const PENDING_MS = 1_000;
const RUNNING_UNTIL_MS = 5_000;

interface Deployment {
  id: number;
  iid: number;
  sha: string;
  ref: string;
  status: 'success';
  created_at: string;
  environment: { id: number; name: string };
  deployable: { id: number; name: string; status: string; web_url: string } | null;
}

interface Run {
  id: number;
  project: string;
  kind: 'job' | 'pipeline';
  started: number;
  /** A deploy job's pipeline and sha; a pipeline's ref and variables. */
  pipelineId?: number;
  sha?: string;
  ref?: string;
  variables?: Array<{ key: string; value: string; variable_type: string }>;
  retried?: boolean;
  /** Set once a finished deploy job has been recorded as a deployment. */
  deployed?: boolean;
}

export interface DemoProject {
  path: string;
  environment: string;
  /** Newest first: the sha each deployment shipped. */
  shas: string[];
}

export interface GitlabRunView {
  project: string;
  kind: 'job' | 'pipeline';
  id: number;
  status: string;
  web_url: string;
}

const ROUTES: Array<[method: string, pattern: RegExp, route: string]> = [
  ['GET', /^\/api\/v4\/projects\/([^/]+)\/deployments$/, 'deployments'],
  ['POST', /^\/api\/v4\/projects\/([^/]+)\/jobs\/(\d+)\/retry$/, 'retry'],
  ['GET', /^\/api\/v4\/projects\/([^/]+)\/jobs\/(\d+)$/, 'job'],
  ['GET', /^\/api\/v4\/projects\/([^/]+)\/pipelines\/(\d+)\/jobs$/, 'pipelineJobs'],
  ['POST', /^\/api\/v4\/projects\/([^/]+)\/pipeline$/, 'createPipeline'],
  ['GET', /^\/api\/v4\/projects\/([^/]+)\/pipelines$/, 'pipelines'],
  ['GET', /^\/api\/v4\/projects\/([^/]+)\/pipelines\/(\d+)$/, 'pipeline'],
  ['GET', /^\/api\/v4\/projects\/([^/]+)\/pipelines\/(\d+)\/variables$/, 'pipelineVariables'],
];

export class DemoGitlab {
  private readonly deployments = new Map<string, Deployment[]>();
  private readonly runs = new Map<number, Run>();
  private nextId = 700;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly onChange: () => void,
  ) {}

  static async start(projects: DemoProject[], onChange: () => void = () => {}): Promise<DemoGitlab> {
    let gitlab: DemoGitlab | undefined;
    const server = createServer((req, res) => void gitlab?.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    gitlab = new DemoGitlab(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, onChange);
    for (const project of projects) gitlab.addProject(project);
    return gitlab;
  }

  /** Jobs and pipelines started since the demo began, newest first, with their status now. */
  started(): GitlabRunView[] {
    return [...this.runs.values()]
      .filter((run) => run.started > 0)
      .sort((a, b) => b.id - a.id)
      .map((run) => ({ project: run.project, kind: run.kind, id: run.id, status: this.statusOf(run), web_url: this.webUrl(run) }));
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private addProject({ path, environment, shas }: DemoProject): void {
    const list = shas.map((sha, index): Deployment => {
      const job: Run = { id: this.id(), project: path, kind: 'job', started: 0, sha, pipelineId: this.id() };
      this.runs.set(job.id, job);
      const iid = shas.length - index;
      return this.deployment(environment, iid, job, new Date(Date.now() - index * 86_400_000));
    });
    this.deployments.set(path, list);
  }

  private deployment(environment: string, iid: number, job: Run, at: Date): Deployment {
    return {
      id: iid + 1000,
      iid,
      sha: job.sha ?? '',
      ref: 'main',
      status: 'success',
      created_at: at.toISOString(),
      environment: { id: 1, name: environment },
      deployable: { id: job.id, name: 'deploy', status: 'success', web_url: this.webUrl(job) },
    };
  }

  private id(): number {
    this.nextId += 1;
    return this.nextId;
  }

  private webUrl(run: Run): string {
    return `${this.url}/${run.project}/-/${run.kind === 'job' ? 'jobs' : 'pipelines'}/${run.id}`;
  }

  /** Runs started here finish by themselves; the deploy jobs listed at start-up have finished long ago. */
  private statusOf(run: Run): string {
    if (run.started === 0) return 'success';
    const age = Date.now() - run.started;
    if (age < PENDING_MS) return run.kind === 'job' ? 'pending' : 'created';
    if (age < RUNNING_UNTIL_MS) return 'running';
    if (run.kind === 'job' && !run.deployed) this.recordDeployment(run);
    return 'success';
  }

  private recordDeployment(job: Run): void {
    job.deployed = true;
    const list = this.deployments.get(job.project) ?? [];
    const environment = list[0]?.environment.name ?? 'production';
    list.unshift(this.deployment(environment, (list[0]?.iid ?? 0) + 1, job, new Date()));
    this.onChange();
  }

  /** The page a job or pipeline link in Slack opens: GitLab's would show the log; this one says how it went. */
  private webPage(path: string, res: ServerResponse): boolean {
    const match = /^\/(.+)\/-\/(jobs|pipelines)\/(\d+)$/.exec(path);
    const run = match ? this.runs.get(Number(match[3])) : undefined;
    if (!run || run.project !== match?.[1]) return false;
    const what = `${run.project} ${run.kind} #${run.id}`;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(
      `<!doctype html><title>${what}</title><h1>${what}</h1><p>Status: <b>${this.statusOf(run)}</b> (demo GitLab: jobs finish about 5 seconds after they start).</p>`,
    );
    return true;
  }

  private jobJson(run: Run) {
    const status = this.statusOf(run);
    return {
      id: run.id,
      name: 'deploy',
      stage: 'deploy',
      status,
      web_url: this.webUrl(run),
      duration: status === 'success' ? RUNNING_UNTIL_MS / 1_000 : null,
      failure_reason: null,
      retried: run.retried === true,
      pipeline: { id: run.pipelineId, ref: 'main', status },
    };
  }

  private pipelineJson(run: Run) {
    const status = this.statusOf(run);
    return {
      id: run.id,
      iid: run.id,
      status,
      ref: run.ref ?? 'main',
      source: 'api',
      web_url: this.webUrl(run),
      created_at: new Date(run.started).toISOString(),
      updated_at: new Date().toISOString(),
      duration: status === 'success' ? RUNNING_UNTIL_MS / 1_000 : null,
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', this.url);
    const found = ROUTES.map(([method, pattern, route]) => ({ route, match: method === req.method ? pattern.exec(url.pathname) : null })).find(
      (r) => r.match !== null,
    );
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (!found?.match) return this.webPage(url.pathname, res) ? undefined : send(404, { error: '404 Not Found' });
    const project = decodeURIComponent(found.match[1] ?? '');
    if (!this.deployments.has(project)) return send(404, { message: '404 Project Not Found' });
    const run = this.runs.get(Number(found.match[2]));
    const mine = run?.project === project ? run : undefined;
    let body: Record<string, unknown> = {};
    try {
      body = chunks.length > 0 ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
    } catch {
      return send(400, { message: 'body is not JSON' });
    }
    const newest = (kind: Run['kind']) =>
      [...this.runs.values()].filter((r) => r.project === project && r.kind === kind && r.started > 0).sort((a, b) => b.id - a.id);
    switch (found.route) {
      case 'deployments':
        return send(200, this.deployments.get(project));
      case 'retry': {
        if (mine?.kind !== 'job') return send(404, { message: '404 Job Not Found' });
        mine.retried = true;
        const job: Run = { id: this.id(), project, kind: 'job', started: Date.now(), ...(mine.sha ? { sha: mine.sha } : {}), pipelineId: mine.pipelineId ?? 0 };
        this.runs.set(job.id, job);
        this.onChange();
        return send(201, this.jobJson(job));
      }
      case 'job':
        return mine?.kind === 'job' ? send(200, this.jobJson(mine)) : send(404, { message: '404 Job Not Found' });
      case 'pipelineJobs': {
        const pipelineId = Number(found.match[2]);
        const jobs = [...this.runs.values()].filter((r) => r.project === project && r.kind === 'job' && r.pipelineId === pipelineId);
        const listed = url.searchParams.get('include_retried') === 'true' ? jobs : jobs.filter((j) => !j.retried);
        return send(
          200,
          listed.sort((a, b) => b.id - a.id).map((j) => this.jobJson(j)),
        );
      }
      case 'createPipeline': {
        if (typeof body.ref !== 'string' || !body.ref) return send(400, { message: { base: ['ref is missing'] } });
        const variables = Array.isArray(body.variables) ? (body.variables as Run['variables']) : [];
        const pipeline: Run = { id: this.id(), project, kind: 'pipeline', started: Date.now(), ref: body.ref, ...(variables ? { variables } : {}) };
        this.runs.set(pipeline.id, pipeline);
        this.onChange();
        return send(201, this.pipelineJson(pipeline));
      }
      case 'pipelines': {
        const ref = url.searchParams.get('ref');
        return send(
          200,
          newest('pipeline')
            .filter((p) => !ref || p.ref === ref)
            .map((p) => this.pipelineJson(p)),
        );
      }
      case 'pipeline':
        return mine?.kind === 'pipeline' ? send(200, this.pipelineJson(mine)) : send(404, { message: '404 Not found' });
      default:
        return mine?.kind === 'pipeline' ? send(200, mine.variables ?? []) : send(404, { message: '404 Not found' });
    }
  }
}
