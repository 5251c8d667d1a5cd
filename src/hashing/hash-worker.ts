// Worker thread: waits for one hashing job, then hashes runs of its pieces until none is left. It can be
// started before the job is known (see hash-pool.ts), so that its start-up overlaps the CLI's own.
import { parentPort } from 'node:worker_threads';
import { ChunkHasher, type HashJob } from './hash-chunks.ts';
import { epochMs, threadCpuMs, TIMELINE_ENABLED } from '../output/timeline.ts';

/** Timeline marks of the worker ([name, epoch ms, thread CPU ms]), when SHARE_FILE_TIMELINE is set. */
export type WorkerMarks = Array<[string, number, number]>;

export type HashWorkerRequest = { type: 'job'; job: HashJob };
export type HashWorkerMessage = { type: 'done'; marks: WorkerMarks };

const marks: WorkerMarks = [];
const note = (name: string): void => {
  if (TIMELINE_ENABLED) marks.push([name, epochMs(), threadCpuMs()]);
};
note('worker-start');

function hashJob(job: HashJob): void {
  note('job-received');
  const hasher = new ChunkHasher(job);
  try {
    let claimed = false;
    for (let run = hasher.claim(); run; run = hasher.claim()) {
      hasher.hash(...run);
      if (!claimed) note('first-run-hashed');
      claimed = true;
    }
    note('last-run-hashed');
  } catch (error) {
    // Nobody else needs to go on: the job has failed.
    hasher.abandon();
    throw error;
  } finally {
    hasher.close();
  }
}

if (parentPort) {
  const port = parentPort;
  port.once('message', (request: HashWorkerRequest) => {
    hashJob(request.job);
    port.postMessage({ type: 'done', marks } satisfies HashWorkerMessage);
    // One job per worker: closing the port lets the thread end on its own.
    port.close();
  });
}
