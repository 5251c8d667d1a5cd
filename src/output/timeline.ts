// Start-up timing marks for the benchmarks: with SHARE_FILE_TIMELINE=1, one stderr line per step.
// Not part of the user-facing contract: the line format may change with the benchmark that reads it.
import { isMainThread, threadId } from 'node:worker_threads';

/** Read once: a mark costs one property test when the timeline is off. */
export const TIMELINE_ENABLED = (process.env.SHARE_FILE_TIMELINE ?? '0') !== '0' && process.env.SHARE_FILE_TIMELINE !== '';

/** Milliseconds since the Unix epoch, to the microsecond: comparable across threads and processes. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/** CPU time this thread has used so far, in milliseconds: robust where wall times are noisy. */
export function threadCpuMs(): number {
  const usage = process.threadCpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** One mark as the bench reads it: `timeline <epoch ms> <thread> <name> <thread CPU ms>`. */
export function formatMark(name: string, at: number, thread: string, cpuMs: number): string {
  return `timeline ${at.toFixed(3)} ${thread} ${name} ${cpuMs.toFixed(1)}\n`;
}

/** Marks a step of the main thread (workers hand their marks over with their result instead). */
export function mark(name: string): void {
  if (!TIMELINE_ENABLED) return;
  process.stderr.write(formatMark(name, epochMs(), isMainThread ? 'main' : `worker${threadId}`, threadCpuMs()));
}

/** Node's own start-up steps, from the process's start: printed once, at the first mark of the CLI. */
export function markNodeStart(): void {
  if (!TIMELINE_ENABLED) return;
  const timing = performance.nodeTiming;
  const origin = performance.timeOrigin;
  let lines = formatMark('node-start', origin + timing.nodeStart, 'main', Number.NaN);
  lines += formatMark('node-v8-start', origin + timing.v8Start, 'main', Number.NaN);
  lines += formatMark('node-bootstrap-complete', origin + timing.bootstrapComplete, 'main', Number.NaN);
  process.stderr.write(lines);
}
