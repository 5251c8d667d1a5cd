// How share-file marks what it adds to a firewall, and how it tells a crashed run's leftovers.
import { readFile } from 'node:fs/promises';

export type IpFamily = 4 | 6;

const TAG = 'share-file';
const TAG_PATTERN = /^share-file pid=(\d+) port=(\d+)$/;

/** The comment on every rule share-file adds: the owner's pid, so a later start can sweep it. */
export function ruleComment(pid: number, port: number): string {
  return `${TAG} pid=${pid} port=${port}`;
}

export function parseComment(comment: string): { pid: number; port: number } | undefined {
  const match = TAG_PATTERN.exec(comment);
  return match ? { pid: Number(match[1]), port: Number(match[2]) } : undefined;
}

/** Is the share-file that tagged a rule still running? A reused pid that is not share-file is not. */
export async function isShareFileRunning(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).includes(TAG);
  } catch {
    return true;
  }
}
