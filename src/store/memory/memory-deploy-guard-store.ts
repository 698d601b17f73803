import type { RoundVerdict } from '../../verify/checks.js';
import type { ArmedDeploy, ArmResult, DeployGuardStore, GuardState } from '../../verify/deploy-guard-store.js';
import type { MemoryKeyspace } from './keyspace.js';

interface Guard {
  deploy: ArmedDeploy;
  failures: number;
  lastSlot: number;
  done: boolean;
}

/** The twin of RedisDeployGuardStore: one guard per service, kept past its window for the retention period. */
export class MemoryDeployGuardStore implements DeployGuardStore {
  constructor(
    private readonly keyspace: MemoryKeyspace,
    private readonly retentionMs: number,
  ) {}

  async arm(deploy: ArmedDeploy): Promise<ArmResult> {
    const current = this.keyspace.read<Guard>(this.hashOf(deploy.service));
    if (current && current.deploy.deploymentId > deploy.deploymentId) return 'newer';
    if (current && current.deploy.deploymentId === deploy.deploymentId) return 'same';
    this.keyspace.write(
      this.hashOf(deploy.service),
      { deploy: { ...deploy }, failures: 0, lastSlot: -1, done: false },
      deploy.until - deploy.armedAt + this.retentionMs,
    );
    this.keyspace.update<Set<string>>(
      SERVICES,
      () => new Set(),
      (set) => set.add(deploy.service),
    );
    return 'armed';
  }

  async armed(): Promise<GuardState[]> {
    const guards: GuardState[] = [];
    for (const service of [...(this.keyspace.read<Set<string>>(SERVICES) ?? [])]) {
      const guard = this.keyspace.read<Guard>(this.hashOf(service));
      if (!guard) {
        this.keyspace.update<Set<string>>(
          SERVICES,
          () => new Set(),
          (set) => set.delete(service),
        );
        continue;
      }
      if (!guard.done) guards.push({ ...guard.deploy, failures: guard.failures, lastSlot: guard.lastSlot });
    }
    return guards;
  }

  async claimEvaluation(service: string, deploymentId: number, slot: number, ttlMs: number): Promise<boolean> {
    return this.keyspace.writeIfAbsent(`deploy-guard:evaluation:${service}:${deploymentId}:${slot}`, '1', ttlMs);
  }

  async record(service: string, deploymentId: number, slot: number, verdict: RoundVerdict): Promise<number | undefined> {
    const guard = this.keyspace.read<Guard>(this.hashOf(service));
    if (!guard || guard.done || guard.deploy.deploymentId !== deploymentId || slot <= guard.lastSlot) return undefined;
    guard.lastSlot = slot;
    if (verdict === 'fail') guard.failures += 1;
    if (verdict === 'pass') guard.failures = 0;
    return guard.failures;
  }

  async disarm(service: string, deploymentId: number): Promise<void> {
    const guard = this.keyspace.read<Guard>(this.hashOf(service));
    if (guard && guard.deploy.deploymentId !== deploymentId) return;
    if (guard) guard.done = true;
    this.keyspace.update<Set<string>>(
      SERVICES,
      () => new Set(),
      (set) => set.delete(service),
    );
  }

  async claimRollback(service: string, deploymentId: number): Promise<boolean> {
    return this.keyspace.writeIfAbsent(`deploy-guard:rollback:${service}:${deploymentId}`, '1', this.retentionMs);
  }

  private hashOf(service: string): string {
    return `deploy-guard:armed:${service}`;
  }
}

const SERVICES = 'deploy-guard:services';
