/**
 * A Redis Sentinel deployment on loopback, from Debian's `redis-server` and
 * `redis-sentinel`: one master, one replica and three sentinels watching them
 * (quorum 2), each process in its own temp dir with its own config file (the
 * sentinels and a failover rewrite them).
 *
 *   const group = await startSentinelGroup();
 *   await startTestBot({ slack, env: group.env });   // REDIS_SENTINELS, REDIS_SENTINEL_NAME
 *   const failover = await group.failover();           // SENTINEL FAILOVER, answered at once
 *   const promoted = await failover.settled();         // sentinels agree, the old master follows
 *   const redis = await group.masterClient();          // reads what the new master holds
 *   await group.stop();
 *
 * Timings are short (down after 3 s, failover timeout 5 s) so a test sees a
 * failover in seconds; diskless sync without delay, so a replica syncs at once.
 * Sentinel itself waits 8 s before it demotes a node that still says it is master
 * (the old master after SENTINEL FAILOVER, or one restarted after a crash).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { errorMessage, findExecutable, freePort, spawnTracked, type TrackedChild } from './child-process.js';
import { found, waitFor } from './wait.js';

export interface Address {
  host: string;
  port: number;
}

export interface FailoverStarted {
  /** The master when the failover began. */
  from: Address;
  /**
   * Resolves with the master once the sentinels have failed over at least once since, all
   * name it, it says it is master, and every data node still running replicates from it
   * with the link up (the old master too, once demoted): the group has settled.
   */
  settled(timeoutMs?: number): Promise<Address>;
  /**
   * Resolves with the new master as soon as the sentinels have promoted one (before the rest
   * of the group follows). Sentinel's own pace: an election lost under load is tried again
   * only after twice the failover timeout.
   */
  promoted(timeoutMs?: number): Promise<Address>;
}

export interface SentinelGroup {
  /** The master group name the sentinels monitor. */
  name: string;
  /** What the bot needs to find the master through the sentinels. */
  env: { REDIS_SENTINELS: string; REDIS_SENTINEL_NAME: string };
  /** The data nodes, by the role they started in. */
  nodes: { master: Address; replicas: Address[] };
  /** The master's address, as the first sentinel reports it. */
  masterAddress(): Promise<Address>;
  /**
   * Asks a sentinel for a failover now (SENTINEL FAILOVER: no quorum needed, the old
   * master stays up and is demoted later). Resolves as soon as the sentinel accepted it.
   */
  failover(): Promise<FailoverStarted>;
  /** Kills the master process (SIGKILL), for the sentinels to notice and fail over. */
  killMaster(): Promise<FailoverStarted>;
  /**
   * Starts a killed node again on its port, from its config file as Redis last rewrote it,
   * as a supervisor would: it comes back as an empty master if it was one, and the
   * sentinels demote it to a replica.
   */
  restart(address: Address): Promise<void>;
  /** A plain client to the current master (checked with ROLE); the caller disconnects it. */
  masterClient(): Promise<Redis>;
  /** The last lines each process printed, for failure messages. */
  output(): string;
  /** Stops every process and removes the temp dirs. Safe to call twice. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const NAME = 'chatops-test';
const QUORUM = 2;
const REPLICAS = 1;
const SENTINELS = 3;
/** Short for a quick test, long enough that a loaded machine does not fake a failure. */
const DOWN_AFTER_MS = 3_000;
const FAILOVER_TIMEOUT_MS = 5_000;
const READY_TIMEOUT_MS = 20_000;
const FAILOVER_SETTLE_TIMEOUT_MS = 30_000;
/** A down master is seen after 3 s; an election lost to a split vote is retried 10 s later, a few times at worst. */
export const PROMOTION_TIMEOUT_MS = DOWN_AFTER_MS + 6 * FAILOVER_TIMEOUT_MS;
const LOG_KEEP_LINES = 200;
const LOG_TAIL_LINES = 25;

interface Node {
  label: string;
  binary: string;
  address: Address;
  /** Its temp dir, holding its config file. */
  dir: string;
  process: TrackedChild;
}

const text = (address: Address) => `${address.host}:${address.port}`;
const same = (a: Address, b: Address) => a.host === b.host && a.port === b.port;

function binaries(): { server: string; sentinel: string } {
  const server = findExecutable('redis-server');
  const sentinel = findExecutable('redis-sentinel');
  if (!server || !sentinel) {
    const missing = [!server && 'redis-server', !sentinel && 'redis-sentinel'].filter(Boolean);
    throw new Error(
      `${missing.join(' and ')} not found on PATH: the Redis Sentinel test runs Debian's own binaries. ` +
        `Install them with \`apt-get install ${missing.join(' ')}\` (bash .ci/run does).`,
    );
  }
  return { server, sentinel };
}

/** A client for one probe: no retries, no queue, errors kept off the console. */
function probeClient(address: Address): Redis {
  const client = new Redis({ ...address, lazyConnect: true, connectTimeout: 1_000, commandTimeout: 1_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  return client;
}

async function ask<T>(address: Address, command: (client: Redis) => Promise<T>): Promise<T> {
  const client = probeClient(address);
  try {
    await client.connect();
    return await command(client);
  } finally {
    client.disconnect();
  }
}

/** `INFO replication` (or any section) as a map of its fields. */
async function info(address: Address, section: string): Promise<Record<string, string>> {
  const raw = await ask(address, (c) => c.info(section));
  return Object.fromEntries(raw.split(/\r?\n/).flatMap((line) => (line.includes(':') ? [line.split(/:(.*)/s, 2) as [string, string]] : [])));
}

/** A flat [field, value, …] reply (SENTINEL MASTER, each of SENTINEL REPLICAS) as a map. */
function fields(reply: unknown): Record<string, string> {
  const list = Array.isArray(reply) ? (reply as string[]) : [];
  const map: Record<string, string> = {};
  for (let i = 0; i + 1 < list.length; i += 2) map[String(list[i])] = String(list[i + 1]);
  return map;
}

export async function startSentinelGroup(): Promise<SentinelGroup> {
  const name = NAME;
  const { server, sentinel } = binaries();
  const started: Node[] = [];
  const output = () => started.map((n) => `--- ${n.label} (${text(n.address)}) ---\n${n.process.output()}`).join('\n');
  const stop = async () => {
    await Promise.all(started.map((n) => n.process.stop()));
  };

  /** Resolves once `node` answers PING; fails with its output if it exits first. */
  const answering = async (node: Node) => {
    await waitFor(async () => node.process.exitInfo() !== undefined || (await ask(node.address, (c) => c.ping())) === 'PONG', {
      timeoutMs: READY_TIMEOUT_MS,
      message: `${node.label} on port ${node.address.port} did not answer PING`,
    });
    const exit = node.process.exitInfo();
    if (exit) throw new Error(`${node.label} exited at start (code ${exit.code}, signal ${exit.signal}):\n${node.process.output()}`);
  };

  /** Writes `config` into a fresh temp dir and runs `binary` on it. */
  const run = (label: string, binary: string, port: number, config: (dir: string) => string): Node => {
    const dir = mkdtempSync(join(tmpdir(), `chatops-test-${label.replace(/\W+/g, '-')}-`));
    writeFileSync(join(dir, 'redis.conf'), config(dir));
    const child = spawnTracked(binary, [join(dir, 'redis.conf')], { dir, keepLines: LOG_KEEP_LINES, tailLines: LOG_TAIL_LINES });
    return { label, binary, address: { host: HOST, port }, dir, process: child };
  };

  /** Runs `binary` on a free port, retrying when the port was taken meanwhile. */
  const launch = async (label: string, binary: string, config: (port: number, dir: string) => string): Promise<Node> => {
    for (let attempt = 1; ; attempt += 1) {
      const port = await freePort();
      const node = run(label, binary, port, (dir) => config(port, dir));
      started.push(node);
      try {
        await answering(node);
        return node;
      } catch (error) {
        await node.process.stop();
        started.splice(started.indexOf(node), 1);
        if (attempt >= 3 || !/address already in use/i.test(errorMessage(error))) throw error;
      }
    }
  };

  const dataNode = (replicaOf?: Address) => (port: number, dir: string) =>
    [
      `port ${port}`,
      `bind ${HOST}`,
      `dir ${dir}`,
      'daemonize no',
      'save ""',
      'appendonly no',
      // A replica (re)syncing waits for nothing: the default waits 5 s for more replicas.
      'repl-diskless-sync-delay 0',
      ...(replicaOf ? [`replicaof ${replicaOf.host} ${replicaOf.port}`] : []),
      '',
    ].join('\n');

  try {
    const master = await launch('redis master', server, dataNode());
    const replicas: Node[] = [];
    for (let i = 1; i <= REPLICAS; i += 1) replicas.push(await launch(`redis replica ${i}`, server, dataNode(master.address)));
    await waitFor(
      async () => (await Promise.all(replicas.map(async (r) => (await info(r.address, 'replication')).master_link_status))).every((s) => s === 'up'),
      {
        timeoutMs: READY_TIMEOUT_MS,
        message: 'the replicas did not finish their first sync with the master',
      },
    );
    const sentinelConfig = (port: number, dir: string) =>
      [
        `port ${port}`,
        `bind ${HOST}`,
        `dir ${dir}`,
        'daemonize no',
        `sentinel monitor ${name} ${master.address.host} ${master.address.port} ${QUORUM}`,
        `sentinel down-after-milliseconds ${name} ${DOWN_AFTER_MS}`,
        `sentinel failover-timeout ${name} ${FAILOVER_TIMEOUT_MS}`,
        `sentinel parallel-syncs ${name} 1`,
        '',
      ].join('\n');
    const sentinels: Node[] = [];
    for (let i = 1; i <= SENTINELS; i += 1) sentinels.push(await launch(`redis-sentinel ${i}`, sentinel, sentinelConfig));

    // Ready when every sentinel knows the replicas and the other sentinels (they meet
    // through the master's hello channel, every 2 s): only then can they fail over.
    await waitFor(
      async () => {
        for (const s of sentinels) {
          const seen = fields(await ask(s.address, (c) => c.call('SENTINEL', 'MASTER', name)));
          if (seen.flags !== 'master' || seen['num-slaves'] !== String(REPLICAS) || seen['num-other-sentinels'] !== String(SENTINELS - 1)) return false;
          const known = ((await ask(s.address, (c) => c.call('SENTINEL', 'REPLICAS', name))) as unknown[]).map(fields);
          if (!known.every((r) => r.flags === 'slave' && r['master-link-status'] === 'ok')) return false;
        }
        return true;
      },
      { timeoutMs: READY_TIMEOUT_MS, intervalMs: 100, message: 'the sentinels did not all see the master, the replicas and each other' },
    );

    const nodes = [master, ...replicas];
    const masterSeenBy = async (s: Node): Promise<Address> => {
      const reply = (await ask(s.address, (c) => c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name))) as [string, string];
      return { host: reply[0], port: Number(reply[1]) };
    };
    const masterAddress = () => masterSeenBy(sentinels[0]!);
    /** Counts failovers: each one takes a new configuration epoch. */
    const epoch = async () => Number(fields(await ask(sentinels[0]!.address, (c) => c.call('SENTINEL', 'MASTER', name)))['config-epoch']);
    const nodeAt = (address: Address) => {
      const node = nodes.find((n) => same(n.address, address));
      if (!node) throw new Error(`no data node at ${text(address)}`);
      return node;
    };

    /** The settled master, or undefined while the sentinels disagree or a node has not followed yet. */
    const settledMaster = async (): Promise<Address | undefined> => {
      const seen = await Promise.all(sentinels.map(masterSeenBy));
      const master = seen[0]!;
      if (!seen.every((a) => same(a, master))) return undefined;
      if ((await info(master, 'replication')).role !== 'master') return undefined;
      for (const node of nodes.filter((n) => !same(n.address, master) && !n.process.exitInfo())) {
        const replication = await info(node.address, 'replication');
        if (replication.role !== 'slave' || replication.master_port !== String(master.port) || replication.master_link_status !== 'up') return undefined;
      }
      return master;
    };

    const beginFailover = async (): Promise<FailoverStarted> => {
      const from = await masterAddress();
      const before = await epoch();
      return {
        from,
        settled: (timeoutMs = FAILOVER_SETTLE_TIMEOUT_MS) =>
          found(async () => ((await epoch()) > before ? settledMaster() : undefined), {
            timeoutMs,
            intervalMs: 100,
            message: `the failover from ${text(from)} did not settle`,
          }).catch((error: unknown) => {
            throw new Error(`${errorMessage(error)}\n${output()}`, { cause: error });
          }),
        promoted: (timeoutMs = PROMOTION_TIMEOUT_MS) =>
          found(
            async () => {
              if ((await epoch()) <= before) return undefined;
              const master = await masterAddress();
              return same(master, from) ? undefined : master;
            },
            { timeoutMs, intervalMs: 100, message: `the sentinels promoted no master other than ${text(from)}` },
          ).catch((error: unknown) => {
            throw new Error(`${errorMessage(error)}\n${output()}`, { cause: error });
          }),
      };
    };

    return {
      name,
      env: { REDIS_SENTINELS: sentinels.map((s) => text(s.address)).join(','), REDIS_SENTINEL_NAME: name },
      nodes: { master: master.address, replicas: replicas.map((r) => r.address) },
      masterAddress,
      output,
      stop,
      async failover() {
        const failover = await beginFailover();
        // A sentinel that has not yet had a replica's INFO since the last change says NOGOODSLAVE.
        await waitFor(async () => (await ask(sentinels[0]!.address, (c) => c.call('SENTINEL', 'FAILOVER', name))) === 'OK', {
          timeoutMs: READY_TIMEOUT_MS,
          intervalMs: 100,
          message: `SENTINEL FAILOVER ${name} was not accepted`,
        });
        return failover;
      },
      async killMaster() {
        const failover = await beginFailover();
        const { process } = nodeAt(failover.from);
        process.child.kill('SIGKILL');
        await process.exited;
        return failover;
      },
      async restart(address) {
        const node = nodeAt(address);
        if (!node.process.exitInfo()) throw new Error(`${node.label} at ${text(address)} is still running`);
        const config = readFileSync(join(node.dir, 'redis.conf'), 'utf8');
        await node.process.stop();
        const again = run(node.label, node.binary, address.port, (dir) => config.replace(/^dir .*$/m, `dir ${dir}`));
        Object.assign(node, { dir: again.dir, process: again.process });
        await answering(node);
      },
      async masterClient() {
        const address = await masterAddress();
        const client = new Redis({ ...address, maxRetriesPerRequest: 1 });
        let role: string;
        try {
          [role] = (await client.role()) as [string];
        } catch (error) {
          client.disconnect();
          throw error;
        }
        if (role !== 'master') {
          client.disconnect();
          throw new Error(`the sentinels name ${text(address)} as master, but it says it is a ${role}`);
        }
        return client;
      },
    };
  } catch (error) {
    await stop();
    throw new Error(`${errorMessage(error)}\n${output()}`, { cause: error });
  }
}
