import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { RoundVerdict } from '../verify/checks.js';
import type { ArmedDeploy, ArmResult, DeployGuardStore, GuardState } from '../verify/deploy-guard-store.js';
import { StoreUnavailableError } from '../errors.js';
import { RedisBase } from './redis-base.js';

/**
 * Each service's guard is a hash (the deploy it watches as JSON, its id, the failures in a
 * row, the last slot recorded, and `done` once it stopped watching), kept past its window
 * for the retention period so that a webhook sent again never arms an old deploy anew.
 * The services armed now are a set beside it.
 */
const ARM_SCRIPT = `
local current = tonumber(redis.call('HGET', KEYS[1], 'id') or '-1')
local id = tonumber(ARGV[2])
if current > id then return 'newer' end
if current == id then return 'same' end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'id', ARGV[2], 'deploy', ARGV[3], 'failures', 0, 'lastSlot', -1)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('SADD', KEYS[2], ARGV[1])
return 'armed'
`;

const RECORD_SCRIPT = `
if redis.call('HGET', KEYS[1], 'id') ~= ARGV[1] or redis.call('HEXISTS', KEYS[1], 'done') == 1 then return -1 end
local slot = tonumber(ARGV[2])
if slot <= tonumber(redis.call('HGET', KEYS[1], 'lastSlot')) then return -1 end
redis.call('HSET', KEYS[1], 'lastSlot', ARGV[2])
if ARGV[3] == 'fail' then return redis.call('HINCRBY', KEYS[1], 'failures', 1) end
if ARGV[3] == 'pass' then redis.call('HSET', KEYS[1], 'failures', 0) end
return tonumber(redis.call('HGET', KEYS[1], 'failures'))
`;

const DISARM_SCRIPT = `
local id = redis.call('HGET', KEYS[1], 'id')
if id and id ~= ARGV[2] then return 0 end
if id then redis.call('HSET', KEYS[1], 'done', 1) end
redis.call('SREM', KEYS[2], ARGV[1])
return 1
`;

interface GuardScripts {
  chatopsArmGuard(hash: string, set: string, service: string, id: string, deploy: string, ttlMs: number): Promise<ArmResult>;
  chatopsRecordGuard(hash: string, id: string, slot: string, verdict: RoundVerdict): Promise<number>;
  chatopsDisarmGuard(hash: string, set: string, service: string, id: string): Promise<number>;
}

const StoredDeploy = z.object({
  service: z.string(),
  deploymentId: z.number().int(),
  deployableId: z.number().int().optional(),
  sha: z.string().optional(),
  ref: z.string().optional(),
  armedAt: z.number(),
  until: z.number(),
});

export class RedisDeployGuardStore extends RedisBase implements DeployGuardStore {
  private readonly scripts: GuardScripts;

  constructor(
    redis: Redis,
    keyPrefix: string,
    private readonly retentionMs: number,
  ) {
    super(redis, keyPrefix);
    redis.defineCommand('chatopsArmGuard', { numberOfKeys: 2, lua: ARM_SCRIPT });
    redis.defineCommand('chatopsRecordGuard', { numberOfKeys: 1, lua: RECORD_SCRIPT });
    redis.defineCommand('chatopsDisarmGuard', { numberOfKeys: 2, lua: DISARM_SCRIPT });
    this.scripts = redis as unknown as GuardScripts;
  }

  arm(deploy: ArmedDeploy): Promise<ArmResult> {
    const ttlMs = deploy.until - deploy.armedAt + this.retentionMs;
    return this.write(() =>
      this.scripts.chatopsArmGuard(this.hashOf(deploy.service), this.setKey(), deploy.service, String(deploy.deploymentId), JSON.stringify(deploy), ttlMs),
    );
  }

  async armed(): Promise<GuardState[]> {
    const services = await this.guard(() => this.redis.smembers(this.setKey()));
    if (services.length === 0) return [];
    // One round trip for all of them: the guard lists them every second.
    const read = await this.guard(() => services.reduce((pipeline, service) => pipeline.hgetall(this.hashOf(service)), this.redis.pipeline()).exec());
    const guards: GuardState[] = [];
    for (const [index, service] of services.entries()) {
      const [error, value] = read?.[index] ?? [new Error('no answer')];
      if (error) throw new StoreUnavailableError(error);
      const fields = value as Record<string, string>;
      if (!fields.deploy) {
        // Its key lapsed: nothing is armed under it any more.
        await this.guard(() => this.redis.srem(this.setKey(), service));
        continue;
      }
      if (fields.done) continue;
      const deploy = this.parse(StoredDeploy, this.hashOf(service), fields.deploy);
      guards.push({ ...stripUndefined(deploy), failures: Number(fields.failures ?? 0), lastSlot: Number(fields.lastSlot ?? -1) });
    }
    return guards;
  }

  async claimEvaluation(service: string, deploymentId: number, slot: number, ttlMs: number): Promise<boolean> {
    const key = this.key('deploy-guard', 'evaluation', service, String(deploymentId), String(slot));
    return (await this.guard(() => this.redis.set(key, '1', 'PX', ttlMs, 'NX'))) === 'OK';
  }

  async record(service: string, deploymentId: number, slot: number, verdict: RoundVerdict): Promise<number | undefined> {
    const failures = await this.write(() => this.scripts.chatopsRecordGuard(this.hashOf(service), String(deploymentId), String(slot), verdict));
    return failures < 0 ? undefined : failures;
  }

  async disarm(service: string, deploymentId: number): Promise<void> {
    await this.write(() => this.scripts.chatopsDisarmGuard(this.hashOf(service), this.setKey(), service, String(deploymentId)));
  }

  async claimRollback(service: string, deploymentId: number): Promise<boolean> {
    const key = this.key('deploy-guard', 'rollback', service, String(deploymentId));
    return (await this.write(() => this.redis.set(key, '1', 'PX', this.retentionMs, 'NX'))) === 'OK';
  }

  private hashOf(service: string): string {
    return this.key('deploy-guard', 'armed', service);
  }

  private setKey(): string {
    return this.key('deploy-guard', 'services');
  }
}

/** Optional fields that were absent stay absent, as the memory twin keeps them. */
function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
