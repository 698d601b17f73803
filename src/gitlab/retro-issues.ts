/**
 * The retrospective draft as one GitLab issue per incident (label `postmortem`). Filing is
 * idempotent: the issue's iid is kept in Redis (the incident's timeline), and a regenerate
 * edits that issue. Creating is sent once (send-once.ts); before creating, and after an
 * ambiguous answer to a create, the bot looks for an issue already carrying the incident's
 * marker (its title starts with it), so a create GitLab did but did not confirm, or one made
 * just before a crash, is adopted rather than made again.
 */
import type { Logger } from 'pino';
import { DEFAULT_RETRY, GitlabUnavailableError, withRetry, type GitlabApi, type RetryPolicy } from './client.js';
import { sendOnce } from './send-once.js';

export const RETRO_LABEL = 'postmortem';

export interface RetroIssue {
  project: string;
  iid: number;
  url: string;
}

export interface RetroIssueContent {
  /** Unique per incident: "INC-42"; finding the issue relies on the title starting with it and a colon. */
  marker: string;
  title: string;
  description: string;
}

interface IssueJson {
  iid: number;
  title: string;
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
    const existing = known ?? (await this.find(project, content.marker));
    if (existing !== undefined) return this.edit(project, existing, title, content.description);
    const op = { method: 'POST' as const, action: 'create the retrospective issue', project };
    const sent = await sendOnce(op, this.policy, this.log, () =>
      this.api.Issues.create(project, title, { description: content.description, labels: RETRO_LABEL }),
    );
    if ('answered' in sent) return issueOf(project, sent.answered as IssueJson);
    const found = await this.find(project, content.marker);
    if (found !== undefined) return this.edit(project, found, title, content.description);
    // Not there yet: the next try looks again before it creates, so at most one issue comes of it.
    throw new GitlabUnavailableError(`GitLab ${sent.ambiguous.what} when asked to create the retrospective issue in ${project}, and none was found`);
  }

  private async edit(project: string, iid: number, title: string, description: string): Promise<RetroIssue> {
    const op = { method: 'PUT' as const, action: 'update the retrospective issue', project, object: `issue #${iid}` };
    const issue = await withRetry(op, this.policy, this.log, () => this.api.Issues.edit(project, iid, { title, description }));
    return issueOf(project, issue as IssueJson);
  }

  private async find(project: string, marker: string): Promise<number | undefined> {
    const op = { method: 'GET' as const, action: 'look for the retrospective issue', project };
    const issues = (await withRetry(op, this.policy, this.log, () =>
      this.api.Issues.all({ projectId: project, labels: RETRO_LABEL, search: marker, in: 'title', perPage: 100, page: 1 }),
    )) as IssueJson[];
    // GitLab's search matches words, so INC-4 finds INC-42 too: only the exact prefix counts.
    return issues.find((i) => i.title.startsWith(`${marker}:`))?.iid;
  }
}

function issueOf(project: string, issue: IssueJson): RetroIssue {
  return { project, iid: issue.iid, url: issue.web_url };
}
