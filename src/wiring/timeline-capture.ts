/**
 * Incident command's lookups wired to Redis: which incident a thread or war room belongs to
 * (the war room binds its channel through `locator`), and the capture of messages into
 * timelines, each message once per incident.
 */
import type { Config } from '../config/load.js';
import { TimelineCapture } from '../incidents/capture.js';
import type { IncidentService } from '../incidents/service.js';
import { RedisIncidentLocator } from '../store/redis-locator.js';

export function createTimelineCapture(
  config: Config,
  redis: ConstructorParameters<typeof RedisIncidentLocator>[0],
  incidents: IncidentService,
): TimelineCapture {
  const locator = new RedisIncidentLocator(redis, config.redis.keyPrefix, config.retentionMs);
  return new TimelineCapture(incidents, locator, locator);
}
