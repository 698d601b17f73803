/**
 * Start-up's configuration: the environment and the services file read together, so that
 * every problem of both, and what the services file makes required (GITLAB_URL and
 * GITLAB_TOKEN, PROMETHEUS_URL, GITLAB_WEBHOOK_TOKEN), comes in one message rather than one round per fix.
 */
import { configProblemsText, readConfig, type Config } from '../config/load.js';
import { ConfigError, ServicesFileError } from '../errors.js';
import { createCatalog, loadServicesFile } from '../services/catalog.js';
import type { ServicesFile } from '../services/schema.js';
import { webhookTokenRequirement } from './deploy-guard.js';
import { gitlabRequirement } from './executors.js';
import { prometheusRequirement } from './health-checks.js';

export interface StartupConfig {
  config: Config;
  services: ServicesFile;
}

type Env = Record<string, string | undefined>;

/** The settings the services file may make required, read from the raw environment when the rest of it is invalid. */
function requiredSettings(env: Env, config: Config | undefined) {
  const raw = (name: string) => env[name]?.trim() || undefined;
  return {
    servicesFile: config?.servicesFile ?? (raw('SERVICES_FILE') || 'services.yaml'),
    gitlab: config?.gitlab ?? { url: raw('GITLAB_URL'), token: raw('GITLAB_TOKEN') },
    prometheusUrl: config ? config.prometheus.url : raw('PROMETHEUS_URL'),
    webhookToken: config ? config.gitlab.webhookToken : raw('GITLAB_WEBHOOK_TOKEN'),
  };
}

/** The configuration and the services file, or one error naming every problem of both. */
export async function loadStartupConfig(env: Env): Promise<StartupConfig> {
  const reading = readConfig(env);
  const settings = requiredSettings(env, reading.ok ? reading.config : undefined);
  const problems = reading.ok ? [] : [...reading.problems];
  let services: ServicesFile | undefined;
  let servicesError: ServicesFileError | undefined;
  try {
    services = await loadServicesFile(settings.servicesFile);
  } catch (error) {
    if (!(error instanceof ServicesFileError)) throw error;
    servicesError = error;
  }
  if (services) {
    // The channel plays no part in what is required.
    const catalog = createCatalog(services, 'C0STARTUP');
    const requirements = [
      gitlabRequirement(catalog, settings.gitlab),
      prometheusRequirement(catalog, settings.prometheusUrl, settings.servicesFile),
      webhookTokenRequirement(catalog, settings.webhookToken, settings.servicesFile),
    ];
    for (const requirement of requirements) {
      if (requirement) problems.push(requirement);
    }
  }
  if (reading.ok && services && problems.length === 0) return { config: reading.config, services };
  if (servicesError && problems.length === 0) throw servicesError;
  const parts = [...(problems.length > 0 ? [configProblemsText(problems)] : []), ...(servicesError ? [servicesError.message] : [])];
  throw new ConfigError(parts.join('\n'), servicesError ? { cause: servicesError } : undefined);
}
