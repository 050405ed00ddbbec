// Facts about the machine and the code a run measured, stored with every result.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { openFileLimit } from './proc.js';

export interface MachineFacts {
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  kernel: string;
  node: string;
  openFileLimit: { soft: number; hard: number };
  localPortRange: string;
  redisVersion?: string;
  postgresVersion?: string;
}

export function machineFacts(): MachineFacts {
  let localPortRange = '';
  try {
    localPortRange = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().replace(/\s+/, '-');
  } catch {
    // not Linux
  }
  return {
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryBytes: os.totalmem(),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    openFileLimit: openFileLimit(),
    localPortRange,
  };
}

export interface CodeFacts {
  commit: string;
  /** True when the work tree had uncommitted changes to the measured code. */
  dirty: boolean;
}

export function codeFacts(repoRoot: string): CodeFacts {
  const git = (...args: string[]) => execFileSync('git', ['-C', repoRoot, ...args], { encoding: 'utf8' }).trim();
  try {
    const commit = git('rev-parse', 'HEAD');
    const dirty = git('status', '--porcelain', '--', 'services', 'packages', 'bench/src') !== '';
    return { commit, dirty };
  } catch {
    return { commit: 'unknown', dirty: true };
  }
}

/**
 * How many sockets one local address can have open to one destination (address and port): the
 * size of the ephemeral port range ("32768-60999" → 28,232). Undefined when it cannot be read.
 */
export function socketsPerSourceAddress(localPortRange: string): number | undefined {
  const m = /^(\d+)-(\d+)$/.exec(localPortRange);
  return m ? Number(m[2]) - Number(m[1]) + 1 : undefined;
}
