// Hashing workers started ahead of their job. A worker thread takes 50-130 ms of CPU to start (a
// whole Node environment); started from the bin shim, that happens on the second core while the main
// thread is still evaluating the CLI, instead of after it, when both cores should be hashing.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { mark } from '../output/timeline.ts';

// Type stripping runs the .ts sources directly (tests); the build runs the compiled .js, one folder
// level for every chunk, so the worker sits next to whichever chunk this code lands in.
const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? './hash-worker.ts' : './hash-worker.js', import.meta.url);

interface Waiting {
  worker: Worker;
  /** Set when the worker failed or stopped before it was given a job: it is not handed out. */
  failed: boolean;
}

const waiting: Waiting[] = [];

function spawnHashWorker(): Worker {
  mark('worker-spawn');
  return new Worker(WORKER_URL);
}

/**
 * How many threads hash on this machine: one per core, the main thread being one of them. The main
 * thread hashes chunks between its own steps; see hashPieces.
 */
export function defaultWorkerCount(): number {
  return Math.max(0, availableParallelism() - 1);
}

/** Starts workers that wait, without keeping the process alive, until takeHashWorkers hands them out. */
export function prestartHashWorkers(count = defaultWorkerCount()): void {
  for (let index = waiting.length; index < count; index++) {
    const entry: Waiting = { worker: spawnHashWorker(), failed: false };
    entry.worker.unref();
    // Until it is taken, an error is only remembered: the job then gets a fresh worker.
    entry.worker.once('error', () => (entry.failed = true));
    entry.worker.once('exit', () => (entry.failed = true));
    waiting.push(entry);
  }
}

/** `count` workers for a job: the ones started ahead first, then new ones. */
export function takeHashWorkers(count: number): Worker[] {
  const taken: Worker[] = [];
  for (const entry of waiting.splice(0)) {
    if (entry.failed || taken.length >= count) {
      void entry.worker.terminate();
      continue;
    }
    entry.worker.removeAllListeners();
    entry.worker.ref();
    taken.push(entry.worker);
  }
  while (taken.length < count) taken.push(spawnHashWorker());
  return taken;
}

/** Nothing to hash after all (the hash cache had it): stops the workers started ahead. */
export function releaseHashWorkers(): void {
  for (const entry of waiting.splice(0)) void entry.worker.terminate();
}

/**
 * Called by the bin shim before the CLI loads: starts the workers unless the command line asks only
 * for help or the version (anything else may share a file; a wrong guess costs one idle core a worker
 * start-up, and the workers never keep the process alive).
 */
export function prestartForArguments(args: string[]): void {
  const informational = args.length === 0 || args.some((arg) => arg === '-h' || arg === '--help' || arg === '-V' || arg === '--version');
  if (!informational) prestartHashWorkers();
}
