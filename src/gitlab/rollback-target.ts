/**
 * Which deployment a rollback returns to: the one the requester named (a deployment number
 * or a sha prefix), else the last successful one with another sha than what runs now. Pure:
 * the executor reads the deployments, this decides, and a refusal says what to name instead.
 */
import { ExecutorRefusal } from '../actions/executor.js';
import type { GitlabDeployment } from './schema.js';

/** The current deployment and the one to return to: the one named, or the last with another sha. */
export function chooseTarget(
  deployments: readonly GitlabDeployment[],
  context: { project: string; environment: string; target: string | undefined },
): { current: GitlabDeployment; target: GitlabDeployment } {
  const { project, environment } = context;
  const [current, ...older] = deployments;
  if (!current) {
    throw new ExecutorRefusal(
      `GitLab has no successful deployment of ${project} to ${environment}, so there is nothing to roll back to; ` +
        'check gitlab.environment in services.yaml',
    );
  }
  const requested = context.target?.trim();
  if (!requested) {
    const previous = older.find((d) => d.sha !== current.sha);
    if (!previous) {
      throw new ExecutorRefusal(
        `No earlier version of ${project} was deployed successfully to ${environment} ` +
          `(the last ${deployments.length} successful deployments are all sha ${short(current.sha)}), so there is nothing to roll back to`,
      );
    }
    return { current, target: previous };
  }

  const named = findNamed(deployments, requested, context);
  if (named.sha === current.sha) {
    throw new ExecutorRefusal(`${requested} is ${describeDeployment(named)}, which is what ${environment} runs now; name an earlier deployment`);
  }
  return { current, target: named };
}

/** A deployment number (iid as GitLab shows it, or id) or a sha prefix of 7 or more hex digits. */
function findNamed(deployments: readonly GitlabDeployment[], requested: string, context: { project: string; environment: string }): GitlabDeployment {
  const wanted = requested.replace(/^#/, '').toLowerCase();
  if (/^\d+$/.test(wanted)) {
    const n = Number(wanted);
    const byNumber = deployments.find((d) => d.iid === n) ?? deployments.find((d) => d.id === n);
    if (byNumber) return byNumber;
  }
  if (/^[0-9a-f]{7,40}$/.test(wanted)) {
    const matches = deployments.filter((d) => d.sha.toLowerCase().startsWith(wanted));
    const shas = new Set(matches.map((d) => d.sha));
    if (shas.size > 1) throw new ExecutorRefusal(`${requested} matches more than one deployed sha; give more characters of it`);
    if (matches[0]) return matches[0];
  } else if (!/^\d+$/.test(wanted)) {
    throw new ExecutorRefusal(`${requested} is neither a deployment number nor a sha (at least 7 hex characters)`);
  }
  throw new ExecutorRefusal(
    `None of the last ${deployments.length} successful deployments of ${context.project} to ${context.environment} ` +
      `is ${requested}; name a deployment number or sha (at least 7 characters) from that list`,
  );
}

export function describeDeployment(d: GitlabDeployment): string {
  return `deployment #${d.iid}, sha ${short(d.sha)} (${d.ref})`;
}

/** GitLab's own short sha length. */
function short(sha: string): string {
  return sha.slice(0, 8);
}
