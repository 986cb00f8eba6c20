// Redis clients: a single node (REDIS_URL) or a Redis Cluster (REDIS_CLUSTER_NODES), behind one
// type, with helpers for what differs between them: a pipeline or MULTI on a Cluster may only
// group keys of one hash slot, and SCAN sees one node's keys only.
import calculateSlot from 'cluster-key-slot';
import { Cluster, Redis, type ChainableCommander } from 'ioredis';
import type { Logger } from 'pino';

/** What every service and helper takes: a single Redis or a Redis Cluster. */
export type RedisClient = Redis | Cluster;

/** Where the Redis is: REDIS_URL, and REDIS_CLUSTER_NODES for a cluster. */
export interface RedisEndpoint {
  /** The single node; with clusterNodes, only its scheme (rediss: TLS), user and password are used, for every node. */
  url: string;
  /** host:port of some of the cluster's nodes (it discovers the rest): a Cluster client instead of a single node. */
  clusterNodes?: readonly string[];
}

export interface RedisClientOptions extends RedisEndpoint {
  logger: Logger;
  name?: string;
}

/**
 * ioredis client with an error listener always attached (an unhandled 'error' event
 * would crash the process) and a bounded retry per command so callers fail instead of hanging.
 */
export function createRedisClient(options: RedisClientOptions & { clusterNodes?: undefined }): Redis;
export function createRedisClient(options: RedisClientOptions): RedisClient;
export function createRedisClient(options: RedisClientOptions): RedisClient {
  const log = options.logger.child({ component: 'redis', name: options.name });
  const perCommand = {
    maxRetriesPerRequest: 3,
    // A server that stops answering (half-open connection, a paused host) fails the command
    // instead of hanging its caller forever; the recorder retries such a batch.
    commandTimeout: 15_000,
    connectionName: options.name,
  };
  const retry = (times: number) => Math.min(times * 200, 2_000);
  const client: RedisClient = options.clusterNodes?.length
    ? new Cluster(options.clusterNodes.map(hostPort), {
        redisOptions: { ...perCommand, ...credentialsOf(options.url) },
        clusterRetryStrategy: retry,
        // Reads from primaries only: a replica may lag behind what the recorder just wrote.
        scaleReads: 'master',
      })
    : new Redis(options.url, { ...perCommand, retryStrategy: retry });
  client.on('error', (err: Error) => log.warn({ err }, 'redis connection error'));
  if (client instanceof Cluster) failFastOnceReady(client);
  return client;
}

/**
 * A Cluster queues a command while it is not connected, for as long as that lasts (its per-node
 * retry limits do not apply to that queue), and an ended one (disconnect, quit) is left in status
 * 'close', queueing every later command for ever. A single Redis fails such commands after its
 * retries. So, once the cluster was reached, a command while it is unreachable fails at once
 * ("Cluster isn't ready": a transient error, the caller retries); until then commands wait.
 */
function failFastOnceReady(cluster: Cluster): void {
  const failFast = () => (cluster.options.enableOfflineQueue = false);
  cluster.once('ready', failFast);
  cluster.once('end', failFast);
  // A duplicate starts from these options: it must wait for its own first connection too.
  const duplicate = cluster.duplicate.bind(cluster);
  cluster.duplicate = (nodes, options = {}) => {
    const copy = duplicate(nodes, { enableOfflineQueue: true, ...options });
    failFastOnceReady(copy);
    return copy;
  };
}

function hostPort(node: string): { host: string; port: number } {
  const at = node.lastIndexOf(':');
  return { host: node.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(node.slice(at + 1)) };
}

/** What a REDIS_URL says about every node of a cluster: TLS, user, password (no database: a cluster has only 0). */
function credentialsOf(url: string): { username?: string; password?: string; tls?: object } {
  const u = new URL(url);
  if (u.pathname.length > 1 && u.pathname !== '/0')
    throw new Error(`a Redis Cluster has database 0 only; REDIS_URL names ${u.pathname.slice(1)}`);
  return {
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/** The cluster hash slot of a key (its {hash tag} when it has one). */
export function slotOf(key: string): number {
  return calculateSlot(key);
}

/** The primaries that hold the data: each node of a Cluster, or the single Redis itself. */
export async function primaries(client: RedisClient): Promise<Redis[]> {
  if (!(client instanceof Cluster)) return [client];
  if (client.status !== 'ready') await client.ping(); // the node list is known once the cluster is ready
  return client.nodes('master');
}

/**
 * PUBLISH, answering how many subscribers the channel has on the whole Redis. On a Cluster the
 * message reaches every node but PUBLISH counts the receiving node's subscribers only, so they
 * are counted on each node (a subscriber connection may be to any of them).
 */
export async function publishCounted(client: RedisClient, channel: string, message: string): Promise<number> {
  const here = await client.publish(channel, message);
  if (!(client instanceof Cluster)) return here;
  const counts = await Promise.all(
    client.nodes('all').map(async (node) => Number(((await node.pubsub('NUMSUB', channel)) as [string, number])[1])),
  );
  return counts.reduce((a, b) => a + b, 0);
}

/** Non-empty batches of the keys matching a pattern, on every primary (SCAN: never blocks Redis like KEYS). */
export async function* scanKeys(client: RedisClient, pattern: string, count = 1000): AsyncGenerator<string[]> {
  for (const node of await primaries(client)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', count);
      cursor = next;
      if (keys.length) yield keys;
    } while (cursor !== '0');
  }
}

/** One command of a batch: the key that decides its slot, and how to add it to a pipeline. */
export interface SlotCommand {
  key: string;
  add: (pipeline: ChainableCommander) => unknown;
}

/**
 * Runs commands in as few round trips as the client allows and answers each one's [error, reply]
 * in order: one pipeline on a single Redis; on a Cluster one pipeline per hash slot (a Cluster
 * refuses a pipeline or MULTI over several slots), all at once. `transaction`: each pipeline is a
 * MULTI (on a single Redis the whole batch is one transaction; on a Cluster, each slot's part).
 * Every key of one command must be in the slot of its `key`.
 */
export async function execBySlot(
  client: RedisClient,
  commands: readonly SlotCommand[],
  options: { transaction?: boolean } = {},
): Promise<Array<[Error | null, unknown]>> {
  if (commands.length === 0) return [];
  const groups = new Map<number, number[]>();
  commands.forEach((c, i) => {
    const slot = client instanceof Cluster ? slotOf(c.key) : 0;
    let group = groups.get(slot);
    if (!group) groups.set(slot, (group = []));
    group.push(i);
  });
  const out = new Array<[Error | null, unknown]>(commands.length);
  await Promise.all(
    [...groups.values()].map(async (group) => {
      const pipeline = options.transaction ? client.multi() : client.pipeline();
      for (const i of group) commands[i]!.add(pipeline);
      const replies = await pipeline.exec();
      if (!replies) throw new Error('redis transaction was discarded');
      group.forEach((i, j) => (out[i] = replies[j]!));
    }),
  );
  return out;
}

/** execBySlot's replies, or its first error. */
export async function execBySlotChecked(
  client: RedisClient,
  commands: readonly SlotCommand[],
  options: { transaction?: boolean } = {},
): Promise<unknown[]> {
  return (await execBySlot(client, commands, options)).map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}
