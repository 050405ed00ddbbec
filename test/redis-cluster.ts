import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, waitForRedis } from './redis-server.js';

/** A private Redis Cluster of `size` masters on free loopback ports, for the sharded pub/sub path. */
export interface LocalRedisCluster {
  seeds: string;
  /**
   * Kills the node that holds `key`'s slot and starts it again on its port, with its cluster
   * config (same slots) and no data, as a shard restarts without persistence.
   */
  restartNodeOf(key: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedisCluster(size = 3): Promise<LocalRedisCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'hd-redis-cluster-'));
  const nodes: Array<{ port: number; child: ChildProcess }> = [];
  const stop = async () => {
    for (const { child } of nodes) child.kill('SIGKILL');
    await Promise.all(nodes.filter(({ child }) => child.exitCode === null).map(({ child }) => once(child, 'exit')));
    await rm(dir, { recursive: true, force: true });
  };
  const startNode = (port: number): ChildProcess =>
    spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(dir, `nodes-${port}.conf`),
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
      ],
      { stdio: 'ignore' },
    );
  try {
    for (let i = 0; i < size; i += 1) {
      const port = await freePort();
      nodes.push({ port, child: startNode(port) });
    }
    for (const { port } of nodes) await waitForRedis(port);
    const created = spawnSync(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...nodes.map(({ port }) => `127.0.0.1:${port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { encoding: 'utf8', timeout: 20_000 },
    );
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stderr}${created.stdout}`);
    // Wait until every node agrees the cluster is up.
    for (const { port } of nodes) {
      const node = new Redis({ port, host: '127.0.0.1' });
      for (let attempt = 0; attempt < 100; attempt += 1) {
        if ((await node.cluster('INFO')).includes('cluster_state:ok')) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      node.disconnect();
    }
    const waitForClusterOk = async (port: number) => {
      const node = new Redis({ port, host: '127.0.0.1' });
      try {
        for (let attempt = 0; attempt < 150; attempt += 1) {
          if ((await node.cluster('INFO')).includes('cluster_state:ok')) return;
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error(`the cluster is not ok again after restarting 127.0.0.1:${port}`);
      } finally {
        node.disconnect();
      }
    };
    const restartNodeOf = async (key: string) => {
      const probe = new Redis({ port: nodes[0]!.port, host: '127.0.0.1' });
      const slot = Number(await probe.cluster('KEYSLOT', key));
      const ranges = (await probe.cluster('SLOTS')) as unknown as Array<[number, number, [string, number]]>;
      probe.disconnect();
      const owner = ranges.find(([from, to]) => slot >= from && slot <= to)?.[2][1];
      const node = nodes.find(({ port }) => port === owner);
      if (!node) throw new Error(`no node holds slot ${slot}`);
      node.child.kill('SIGKILL');
      await once(node.child, 'exit');
      node.child = startNode(node.port);
      await waitForRedis(node.port);
      await waitForClusterOk(node.port);
    };
    return { seeds: nodes.map(({ port }) => `redis://127.0.0.1:${port}`).join(','), restartNodeOf, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
