/**
 * The retrospective draft as one GitLab issue per incident (label `postmortem`). Filing is
 * idempotent: the issue's iid is kept in Redis (the incident's timeline), and a regenerate
 * edits that issue. Creating is sent once (send-once.ts); before creating, and after an
 * ambiguous answer to a create, the bot looks for an issue already carrying the incident's
 * hidden comment (retro-section.ts), so a create GitLab did but did not confirm, or one made
 * just before a crash, is adopted rather than made again. An edit reads the description first
 * and replaces only the bot's section of it.
 */
import type { Logger } from 'pino';
import { DEFAULT_RETRY, GitlabUnavailableError, withRetry, type GitlabApi, type RetryPolicy } from './client.js';
import { hasRetroSection, withRetroSection } from './retro-section.js';
import { sendOnce } from './send-once.js';

export const RETRO_LABEL = 'postmortem';

export interface RetroIssue {
  project: string;
  iid: number;
  url: string;
}

export interface RetroIssueContent {
  /** The incident's id as people read it, "INC-42": the title starts with it and a colon. */
  marker: string;
  /** Unique across deployments and Redis resets (retro-section.ts): only an issue carrying it is this incident's. */
  key: string;
  title: string;
  /** The bot's section of the description. */
  description: string;
}

interface IssueJson {
  iid: number;
  title: string;
  description?: string | null;
  web_url: string;
}

export class GitlabRetroIssues {
  constructor(
    private readonly api: GitlabApi,
    private readonly log: Logger,
    private readonly policy: RetryPolicy = DEFAULT_RETRY,
  ) {}

  /** Edits `known` (the issue filed before) or the one found by its marker, else creates it. */
  async file(project: string, content: RetroIssueContent, known: number | undefined): Promise<RetroIssue> {
    const title = content.title.startsWith(`${content.marker}:`) ? content.title : `${content.marker}: ${content.title}`;
    const existing = known ?? (await this.find(project, content));
    if (existing !== undefined) return this.edit(project, existing, title, content);
    const op = { method: 'POST' as const, action: 'create the retrospective issue', project };
    const description = withRetroSection(undefined, content.key, content.description);
    const sent = await sendOnce(op, this.policy, this.log, () => this.api.Issues.create(project, title, { description, labels: RETRO_LABEL }));
    if ('answered' in sent) return issueOf(project, sent.answered as IssueJson);
    const found = await this.find(project, content);
    if (found !== undefined) return this.edit(project, found, title, content);
    // Not there yet: the next try looks again before it creates, so at most one issue comes of it.
    throw new GitlabUnavailableError(`GitLab ${sent.ambiguous.what} when asked to create the retrospective issue in ${project}, and none was found`);
  }

  private async edit(project: string, iid: number, title: string, content: RetroIssueContent): Promise<RetroIssue> {
    const read = { method: 'GET' as const, action: 'read the retrospective issue', project, object: `issue #${iid}` };
    const current = (await withRetry(read, this.policy, this.log, () => this.api.Issues.show(iid, { projectId: project }))) as IssueJson;
    // What people wrote between this read and the write below is lost: GitLab offers no compare-and-set on a description.
    const description = withRetroSection(current.description, content.key, content.description);
    const op = { method: 'PUT' as const, action: 'update the retrospective issue', project, object: `issue #${iid}` };
    const issue = await withRetry(op, this.policy, this.log, () => this.api.Issues.edit(project, iid, { title, description }));
    return issueOf(project, issue as IssueJson);
  }

  private async find(project: string, { marker, key }: RetroIssueContent): Promise<number | undefined> {
    const op = { method: 'GET' as const, action: 'look for the retrospective issue', project };
    const issues = (await withRetry(op, this.policy, this.log, () =>
      this.api.Issues.all({ projectId: project, labels: RETRO_LABEL, search: marker, in: 'title', perPage: 100, page: 1 }),
    )) as IssueJson[];
    // The title narrows the search; only the hidden comment tells this incident's issue from an
    // older INC-42 (before a Redis reset) or another deployment's.
    return issues.find((i) => hasRetroSection(i.description, key))?.iid;
  }
}

function issueOf(project: string, issue: IssueJson): RetroIssue {
  return { project, iid: issue.iid, url: issue.web_url };
}
