/**
 * The demo's Slack, one HTTP server with three faces:
 *   /api/<method>      the Web API the bot calls (SLACK_API_URL points here)
 *   /response/<id>     the response_url of each request sent to the bot
 *   /upload/<id>       the upload URL of a file the bot shares (files.getUploadURLExternal)
 *   / and /ui/*        the page a person (or the browser test) uses: the channels and
 *                      threads, live over server-sent events, and what a click, a choice,
 *                      a slash command or a sample alert sends.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DemoRequestError, type Interactions } from './interactions.js';
import type { Workspace } from './workspace.js';

const PAGE_FILES: Record<string, string> = {
  '/': 'index.html',
  '/app.js': 'app.js',
  '/style.css': 'style.css',
};
const CONTENT_TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };

export interface PageHooks {
  /** Fires a sample alert scenario at the bot; resolves with what to tell the person. */
  fire(scenario: string): Promise<string>;
  /** Anything else the page shows beside Slack (the GitLab runs, the scenarios). */
  extraState(): Record<string, unknown>;
}

export interface DemoSlackOptions {
  port: number;
  /** Called with a Web API method the demo does not answer: the bot started calling something new. */
  onUnknownMethod?: (method: string) => void;
}

function decodeForm(raw: string, contentType: string | undefined): Record<string, unknown> {
  if (contentType?.includes('application/json')) return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
  const params: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    // Slack's clients send nested fields (blocks) as JSON inside form bodies.
    let parsed: unknown = value;
    if (/^[[{]/.test(value)) {
      try {
        parsed = JSON.parse(value);
      } catch {
        parsed = value;
      }
    }
    params[key] = parsed;
  }
  return params;
}

export class DemoSlack {
  private readonly streams = new Set<ServerResponse>();
  hooks: PageHooks | undefined;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly workspace: Workspace,
    private readonly interactions: () => Interactions,
    private readonly options: DemoSlackOptions,
  ) {
    workspace.baseUrl = url;
    workspace.onChange(() => this.notify());
  }

  static async start(workspace: Workspace, interactions: () => Interactions, options: DemoSlackOptions): Promise<DemoSlack> {
    let slack: DemoSlack | undefined;
    const server = createServer((req, res) => {
      slack?.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: false, error: (error as Error).message }));
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, '127.0.0.1', resolve);
    });
    slack = new DemoSlack(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, workspace, interactions, options);
    return slack;
  }

  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  /** Tells every open page that something changed; each then asks for the state. */
  notify(): void {
    for (const stream of this.streams) stream.write('event: change\ndata: {}\n\n');
  }

  close(): Promise<void> {
    for (const stream of this.streams) stream.end();
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', this.url).pathname;
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET') {
      const file = PAGE_FILES[path];
      if (file) {
        const text = await readFile(new URL(`../page/${file}`, import.meta.url), 'utf8');
        res.writeHead(200, { 'content-type': CONTENT_TYPES[file.split('.').pop() ?? ''] ?? 'text/plain', 'cache-control': 'no-store' });
        return void res.end(text);
      }
      if (path === '/ui/state') return send(200, this.state());
      if (path === '/ui/events') return this.openStream(req, res);
      return send(404, { error: 'not found' });
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (path.startsWith('/upload/')) {
      const taken = this.workspace.receiveUpload(path.slice('/upload/'.length), Buffer.concat(chunks));
      res.writeHead(taken ? 200 : 400, { 'content-type': 'text/plain' });
      return void res.end(taken ? 'OK' : 'no such upload, or not the length declared');
    }
    const params = decodeForm(Buffer.concat(chunks).toString('utf8'), req.headers['content-type']);
    if (path.startsWith('/api/')) {
      const method = path.slice('/api/'.length);
      const answer = this.workspace.webApi(method, params);
      if (!answer) this.options.onUnknownMethod?.(method);
      return send(200, answer ?? { ok: false, error: 'unknown_method', req_method: method });
    }
    if (path.startsWith('/response/')) {
      const known = this.interactions().respond(path.slice('/response/'.length), params);
      return send(known ? 200 : 404, known ? { ok: true } : { ok: false, error: 'expired_url' });
    }
    try {
      return send(200, await this.page(path, params));
    } catch (error) {
      if (error instanceof DemoRequestError) return send(400, { error: error.message });
      throw error;
    }
  }

  /** What the page asks for: each answers the bot's HTTP status, or what to tell the person. */
  private async page(path: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
    const user = String(params.user ?? '');
    if (!this.workspace.users.some((u) => u.id === user) && path !== '/ui/alerts') throw new DemoRequestError(`unknown user ${user}`);
    switch (path) {
      case '/ui/click':
        return {
          status: await this.interactions().click({
            user,
            channel: String(params.channel),
            ts: String(params.ts),
            block: Number(params.block),
            element: Number(params.element),
            ...(typeof params.option === 'string' ? { option: params.option } : {}),
          }),
        };
      case '/ui/command':
        return { status: await this.interactions().command(user, String(params.channel), String(params.text ?? '')) };
      case '/ui/alerts':
        if (!this.hooks) throw new DemoRequestError('the bot is not running yet');
        return { said: await this.hooks.fire(String(params.scenario)) };
      default:
        throw new DemoRequestError(`no page action ${path}`);
    }
  }

  private state(): Record<string, unknown> {
    const { users, channels, messages } = this.workspace;
    return { users, channels, messages, ...this.hooks?.extraState() };
  }

  private openStream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write('event: change\ndata: {}\n\n');
    this.streams.add(res);
    req.on('close', () => this.streams.delete(res));
  }
}
