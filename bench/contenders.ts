// The peers share-file's start-up is measured against: mktorrent, and bare Node workers (the floor);
// each timed from spawn to exit, with the CPU time it used (every thread).
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';

const BARE_HASH = path.resolve(import.meta.dirname, 'bare-hash.ts');
/** Linux counts CPU time in clock ticks of 1/100 s (USER_HZ) on every architecture. */
const TICKS_PER_SECOND = 100;

export interface Run {
  wallMs: number;
  /** CPU time of every thread of the process (10 ms resolution). */
  cpuMs: number;
  /** Bare workers only: spawning the first worker to the last piece, inside the process. */
  hashMs?: number;
}

/** CPU time of this process's children that have been waited for (cutime + cstime of /proc/self/stat). */
async function waitedChildrenCpuMs(): Promise<number> {
  const stat = await readFile('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / TICKS_PER_SECOND;
}

async function timeProcess(command: string, args: string[]): Promise<Run & { stdout: string }> {
  const cpuBefore = await waitedChildrenCpuMs();
  const { wallMs, stdout } = await new Promise<{ wallMs: number; stdout: string }>((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve({ wallMs: performance.now() - started, stdout }) : reject(new Error(`${command} exited ${code}`))));
  });
  return { wallMs, cpuMs: (await waitedChildrenCpuMs()) - cpuBefore, stdout };
}

/** mktorrent with a thread per core, the same piece length, private, writing its .torrent. */
export async function runMktorrent(file: string, pieceLength: number, output: string): Promise<Run> {
  const args = ['-t', String(availableParallelism()), '-l', String(Math.log2(pieceLength)), '-p', '-a', 'http://127.0.0.1:1/announce', '-o', output, file];
  const { wallMs, cpuMs } = await timeProcess('mktorrent', args);
  return { wallMs, cpuMs };
}

/** bench/bare-hash.ts: bare worker threads hashing the file, nothing else. */
export async function runBareWorkers(file: string, pieceLength: number, length: number): Promise<Run> {
  const { wallMs, cpuMs, stdout } = await timeProcess(process.execPath, [BARE_HASH, file, String(pieceLength), String(length)]);
  const { hashMs } = JSON.parse(stdout) as { hashMs: number };
  return { wallMs, cpuMs, hashMs };
}

/** Empties the page cache (root only), so the next reader waits for the disk; false if not allowed. */
export async function dropPageCache(): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  await new Promise<void>((resolve, reject) => spawn('sync', { stdio: 'ignore' }).on('close', () => resolve()).on('error', reject));
  await writeFile('/proc/sys/vm/drop_caches', '3\n');
  return true;
}

/**
 * Reads the file once, so the next contender finds it in the page cache: the file was just written,
 * or a turn with the page cache dropped (ours, or anyone's on a shared machine) evicted it.
 */
export async function fillPageCache(file: string): Promise<void> {
  await new Promise<void>((resolve, reject) => spawn('sync', { stdio: 'ignore' }).on('close', () => resolve()).on('error', reject));
  for await (const block of createReadStream(file, { highWaterMark: 8 * 1024 * 1024 })) void block;
}
