/**
 * Builds the executors' outside ends from the configuration: the GitLab rollback executor,
 * and the ways a fleet action reaches its hosts (SSH, or GitLab pipelines). Part of the
 * composition root (src/app.ts): the one place besides it that reads SSH and GitLab settings.
 */
import type { Logger } from 'pino';
import { ExecutorRefusal, refusingExecutor, type Executor } from '../actions/executor.js';
import { configProblemsText, type Config } from '../config/load.js';
import { ConfigError } from '../errors.js';
import { perHost, type BatchRun } from '../fleet/rollout-runner.js';
import { loadSshCredentials } from '../fleet/ssh-credentials.js';
import { sshHostRun } from '../fleet/ssh-host-run.js';
import { SshRunner } from '../fleet/ssh-runner.js';
import { createGitlabApi } from '../gitlab/client.js';
import type { LookupPolicy } from '../gitlab/lookup.js';
import { gitlabPipelineBatchRun } from '../gitlab/pipeline-batch-run.js';
import { GitlabRollbackExecutor } from '../gitlab/rollback-executor.js';
import type { FleetAction } from '../runbooks/schema.js';
import type { ServiceCatalog } from '../services/catalog.js';

/** What the services file makes required of the GitLab settings, as a `VARIABLE: reason` line; undefined when they suffice. */
export function gitlabRequirement(catalog: ServiceCatalog, gitlab: { url: string | undefined; token: string | undefined }): string | undefined {
  const users = catalog.names().filter((name) => catalog.get(name)?.gitlab);
  const missing = [!gitlab.url && 'GITLAB_URL', !gitlab.token && 'GITLAB_TOKEN'].filter(Boolean);
  if (users.length === 0 || missing.length === 0) return undefined;
  return `${missing.join(', ')}: required because ${users.join(', ')} roll back through GitLab`;
}

/** GitLab settings are needed only when some service rolls back through GitLab. */
export function createRollbackExecutor(config: Config, catalog: ServiceCatalog, log: Logger): Executor {
  if (!catalog.names().some((name) => catalog.get(name)?.gitlab)) {
    return refusingExecutor('No service has a gitlab section in the services file, so nothing can be rolled back.');
  }
  // Start-up (startup-config.ts) has already refused this with every other problem; kept for other callers.
  const { url, token } = config.gitlab;
  if (!url || !token) throw new ConfigError(configProblemsText([gitlabRequirement(catalog, config.gitlab) ?? 'GITLAB_URL, GITLAB_TOKEN: required']));
  return new GitlabRollbackExecutor({
    url,
    token,
    services: (name) => catalog.get(name)?.gitlab,
    log: log.child({ component: 'gitlab' }),
    lookup: lookupOf(config),
  });
}

/**
 * How a fleet action's commands reach its hosts: each batch as a GitLab pipeline for
 * `executor: gitlab-pipeline`, else over SSH. `signal` stops the pipelines' polling.
 */
export function createFleetRunners(
  config: Config,
  log: Logger,
  signal: AbortSignal,
): (action: FleetAction, addresses: ReadonlyMap<string, string>) => BatchRun {
  const sshRun = createSshRun(config, log);
  const pipelineRun = createPipelineRun(config, log, signal);
  return (action, addresses) => (action.executor.type === 'gitlab-pipeline' ? pipelineRun(action) : sshRun(addresses));
}

/**
 * How fleet commands reach hosts. SSH settings are read only when some are set: a team
 * that only rolls back needs none, and its fleet actions are refused with the reason.
 */
function createSshRun(config: Config, log: Logger): (addresses: ReadonlyMap<string, string>) => BatchRun {
  const { SSH_PRIVATE_KEY_FILE, SSH_PRIVATE_KEY, SSH_KNOWN_HOSTS_FILE } = config.ssh;
  const configured = [SSH_PRIVATE_KEY_FILE, SSH_PRIVATE_KEY, SSH_KNOWN_HOSTS_FILE].some((value) => value !== undefined && value !== '');
  if (!configured) {
    log.warn('SSH is not configured (SSH_PRIVATE_KEY_FILE, SSH_KNOWN_HOSTS_FILE): fleet actions over SSH will be refused');
    return () => {
      throw new ExecutorRefusal('Fleet actions over SSH are not configured on this bot: set SSH_PRIVATE_KEY_FILE and SSH_KNOWN_HOSTS_FILE.');
    };
  }
  const credentials = loadSshCredentials(config.ssh);
  for (const problem of credentials.knownHostsProblems) log.warn({ file: credentials.knownHostsFile, problem }, 'known_hosts line skipped');
  const runner = new SshRunner({
    privateKey: credentials.privateKey,
    ...(credentials.passphrase ? { passphrase: credentials.passphrase } : {}),
    knownHosts: credentials.knownHosts,
    log: log.child({ component: 'ssh' }),
  });
  const run = perHost(sshHostRun(runner, credentials.user));
  // Hosts are planned by inventory name; SSH goes to each one's address.
  return (addresses) => async (hosts, command, timeoutMs) => {
    const outcomes = await run(
      hosts.map((host) => addresses.get(host) ?? host),
      command,
      timeoutMs,
    );
    return outcomes.map((outcome, i) => ({ ...outcome, host: hosts[i] ?? outcome.host }));
  };
}

/** Fleet actions with `executor: gitlab-pipeline` run each batch as a pipeline. */
function createPipelineRun(config: Config, log: Logger, signal: AbortSignal): (action: FleetAction) => BatchRun {
  const { url, token, pollIntervalMs } = config.gitlab;
  const lookup = lookupOf(config);
  const api = url && token ? createGitlabApi({ url, token }) : undefined;
  return (action) => {
    if (action.executor.type !== 'gitlab-pipeline') throw new Error(`not a pipeline action: ${action.id}`);
    if (!api) throw new ExecutorRefusal(`${action.id} runs through a GitLab pipeline, and GITLAB_URL and GITLAB_TOKEN are not both set.`);
    const { project, ref, variables } = action.executor;
    return gitlabPipelineBatchRun({ api, spec: { project, ref, variables }, pollIntervalMs, lookup, log: log.child({ component: 'gitlab-pipeline' }), signal });
  };
}

/** A change GitLab did not confirm is looked for every poll interval, for GITLAB_LOOKUP_WINDOW. */
function lookupOf(config: Config): LookupPolicy {
  return { windowMs: config.gitlab.lookupWindowMs, intervalMs: Math.min(config.gitlab.pollIntervalMs, config.gitlab.lookupWindowMs) };
}
