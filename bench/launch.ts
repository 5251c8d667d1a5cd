// One launch of share-file to `ready`, with its start-up timeline (SHARE_FILE_TIMELINE=1) read from stderr.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { cpuMs as processCpuMs } from './processes.ts';

const BIN = path.resolve(import.meta.dirname, '..', 'bin', 'share-file.js');

export interface TimelineMark {
  /** Milliseconds after the benchmark spawned the process. */
  at: number;
  thread: string;
  name: string;
  /** CPU time of that thread so far (NaN where Node does not tell). */
  cpuMs: number;
}

export interface Launch {
  /** Spawn to the `ready` event on stdout, as a script reading --json sees it. */
  readyMs: number;
  /** CPU time of every thread of share-file up to `ready` (10 ms resolution). */
  cpuMs: number;
  marks: TimelineMark[];
}

function parseMarks(stderr: string, spawnedAt: number): TimelineMark[] {
  const marks: TimelineMark[] = [];
  for (const line of stderr.split('\n')) {
    const [word, at, thread, name, cpu] = line.split(' ');
    if (word === 'timeline' && at && thread && name) marks.push({ at: Number(at) - spawnedAt, thread, name, cpuMs: Number(cpu) });
  }
  return marks.sort((a, b) => a.at - b.at);
}

/**
 * From spawning share-file to its `ready` event; then it is stopped with SIGINT, and its marks are
 * collected until it exits (the hash-cache write may come after `ready`).
 */
export function launchToReady(file: string, cacheHome: string, torrent: string): Promise<Launch> {
  return new Promise((resolve, reject) => {
    const spawnedAt = performance.timeOrigin + performance.now();
    const started = performance.now();
    const child = spawn(process.execPath, [BIN, file, '--json', '--firewall', 'none', '--port-map', 'none', '--ip', '127.0.0.1', '-H', '127.0.0.1', '-o', torrent], {
      env: { ...process.env, XDG_CACHE_HOME: cacheHome, SHARE_FILE_TIMELINE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let stderr = '';
    let readyMs: number | undefined;
    let readyCpuMs = Number.NaN;
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      if (readyMs === undefined && output.includes('"event":"ready"')) {
        readyMs = performance.now() - started;
        void processCpuMs(child.pid!)
          .then((used) => (readyCpuMs = used))
          .finally(() => child.kill('SIGINT'));
      }
    });
    child.on('error', reject);
    child.on('close', () => {
      if (readyMs === undefined) reject(new Error(`share-file exited before ready: ${stderr.split('\n').filter((line) => !line.startsWith('timeline ')).join(' ')}`));
      else resolve({ readyMs, cpuMs: readyCpuMs, marks: parseMarks(stderr, spawnedAt) });
    });
  });
}

/**
 * The marks as a table: one row per mark, its wall time after spawn and the step since the previous
 * mark, then the CPU time its thread has used so far and since that thread's previous mark.
 */
export function formatTimeline(marks: TimelineMark[]): string {
  let previous = 0;
  const previousCpu = new Map<string, number>();
  const header = `    ${'wall ms'.padStart(7)} ${'step'.padStart(6)}  ${'thread'.padEnd(8)} ${'cpu ms'.padStart(7)} ${'step'.padStart(6)}  mark`;
  const rows = marks.map((mark) => {
    const cpuStep = mark.cpuMs - (previousCpu.get(mark.thread) ?? 0);
    const cpu = Number.isNaN(mark.cpuMs) ? `${''.padStart(7)} ${''.padStart(6)}` : `${mark.cpuMs.toFixed(0).padStart(7)} ${`+${cpuStep.toFixed(0)}`.padStart(6)}`;
    const row = `    ${mark.at.toFixed(0).padStart(7)} ${`+${(mark.at - previous).toFixed(0)}`.padStart(6)}  ${mark.thread.padEnd(8)} ${cpu}  ${mark.name}`;
    previous = mark.at;
    if (!Number.isNaN(mark.cpuMs)) previousCpu.set(mark.thread, mark.cpuMs);
    return row;
  });
  return [header, ...rows].join('\n');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Mark by mark, the median over several launches (marks that repeat, like worker-spawn, by occurrence). */
export function medianTimeline(launches: Launch[]): TimelineMark[] {
  const groups = new Map<string, TimelineMark[]>();
  for (const launch of launches) {
    const seen = new Map<string, number>();
    for (const mark of launch.marks) {
      const occurrence = (seen.get(`${mark.thread} ${mark.name}`) ?? 0) + 1;
      seen.set(`${mark.thread} ${mark.name}`, occurrence);
      const key = `${mark.thread} ${mark.name} ${occurrence}`;
      groups.set(key, [...(groups.get(key) ?? []), mark]);
    }
  }
  return [...groups.values()]
    .map((marks) => ({ ...marks[0]!, at: median(marks.map((mark) => mark.at)), cpuMs: median(marks.map((mark) => mark.cpuMs)) }))
    .sort((a, b) => a.at - b.at);
}
