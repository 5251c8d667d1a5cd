// How many shared files may be open at once: a share of the process's limit on open files (the
// soft `ulimit -n`), so that sockets, Node's own descriptors and the hashing workers keep the rest.
import { readFileSync } from 'node:fs';

/** Where no limit can be read (not Linux): macOS's default soft limit, the lowest in common use. */
const FALLBACK_LIMIT = 256;
/**
 * A quarter of the limit goes to shared files: with `ulimit -n 128`, 32 files, and 96 descriptors
 * for Node itself (about 20), the listening sockets and the peers and HTTP clients connected.
 */
const SHARE_OF_LIMIT = 4;
/** Enough for any realistic fan-out of requests across files. */
const MOST_FILES = 64;
/** A few, so that a read across several small files never has to wait for one of its own. */
const FEWEST_FILES = 4;

/** The soft "Max open files" of /proc/self/limits (Node has no getrlimit), or undefined. */
export function softOpenFileLimit(limits: string): number | undefined {
  const line = limits.split('\n').find((entry) => entry.startsWith('Max open files'));
  const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
  if (soft === 'unlimited') return Number.POSITIVE_INFINITY;
  return soft !== undefined && /^\d+$/.test(soft) ? Number(soft) : undefined;
}

export function openFileBudgetFor(limit: number): number {
  return Math.max(FEWEST_FILES, Math.min(MOST_FILES, Math.floor(limit / SHARE_OF_LIMIT)));
}

/** The budget for this process, read once: the limit does not change while share-file runs. */
export function openFileBudget(): number {
  let limit: number | undefined;
  try {
    limit = softOpenFileLimit(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    limit = undefined;
  }
  return openFileBudgetFor(limit ?? FALLBACK_LIMIT);
}
