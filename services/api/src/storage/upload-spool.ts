import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

// Uploads are spooled to local disk while their size limit is checked (http/multipart-input.ts).
// Each api process spools into a folder of its own under UPLOAD_SPOOL_DIR, made with mkdtemp
// (0700, a random suffix) and named after the process, so processes sharing the configured folder
// (replicas on one host, tests, the embedded mode beside an api) never see each other's files, and
// a process can tell which folders it may clean up (issue 13, item 8).

/** `helpdesk-spool-<pid>-<host tag>-<mkdtemp's 6 characters>`: only folders named so are ever removed. */
const SPOOL_NAME = /^helpdesk-spool-(\d+)-([0-9a-f]{8})-[A-Za-z0-9]{6}$/;

export interface ProcessSpool {
  /** This process's own spool folder. */
  dir: string;
  /** Spool folders of processes that died on this host, removed before this one was made. */
  removedStale: string[];
  /** Removes the folder and whatever is still in it (at stop). */
  remove(): Promise<void>;
}

/**
 * Makes this process's spool folder under `root`, after removing the leftovers of processes of
 * this software that died on this host without cleaning up (a crash, SIGKILL).
 */
export async function openProcessSpool(root: string): Promise<ProcessSpool> {
  await mkdir(root, { recursive: true, mode: 0o700 });
  const removedStale = await removeStaleSpools(root);
  const dir = await mkdtemp(join(root, `helpdesk-spool-${process.pid}-${hostTag()}-`));
  return { dir, removedStale, remove: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Removes the spool folders under `root` that this software made on this host for a process that
 * no longer runs. Removed only when all of these hold, anything else is left alone: the name is
 * ours (SPOOL_NAME) with this host's tag (a folder shared with other hosts or containers, whose
 * process ids mean nothing here, is not judged by pid); it is a real folder, not a symbolic link;
 * this user owns it; and no process with its pid exists.
 */
export async function removeStaleSpools(root: string): Promise<string[]> {
  const removed: string[] = [];
  const tag = hostTag();
  for (const name of await readdir(root)) {
    const match = SPOOL_NAME.exec(name);
    if (!match || match[2] !== tag) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || isRunning(pid)) continue;
    const path = join(root, name);
    const entry = await lstat(path).catch(() => undefined);
    if (!entry?.isDirectory() || (process.getuid !== undefined && entry.uid !== process.getuid())) continue;
    await rm(path, { recursive: true, force: true });
    removed.push(path);
  }
  return removed;
}

/** Eight hex characters of this host's name: spool folders made on other hosts are not ours to judge. */
export function hostTag(): string {
  return createHash('sha256').update(hostname()).digest('hex').slice(0, 8);
}

/** Whether a process with this pid exists (another user's counts: kill answers EPERM). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
