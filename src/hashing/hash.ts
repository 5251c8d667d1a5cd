// Piece hashing on every core: each worker thread hashes a contiguous run of pieces of the file.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { HashJob, HashSpan, HashWorkerMessage } from './hash-worker.ts';

export interface HashOptions {
  /** The shared files in torrent order; pieces run across them. */
  files: Array<{ path: string; length: number }>;
  pieceLength: number;
  /** Defaults to one per core. */
  workers?: number;
  onProgress?: (hashedBytes: number) => void;
  signal?: AbortSignal;
}

// Sequential 1 MiB reads: large enough for the kernel's read-ahead, small enough that the block is
// still in the CPU cache when SHA-1 reads it (measured here: 1.40 GB/s per worker against 1.28 GB/s
// with 4 MiB reads). It also bounds the memory: one block per worker.
const READ_SIZE = 1024 * 1024;

// Type stripping runs the .ts sources directly (tests); the build runs the compiled .js.
const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? './hash-worker.ts' : './hash-worker.js', import.meta.url);

/** The concatenated 20-byte SHA-1 of every piece, in order. */
export async function hashPieces(options: HashOptions): Promise<Buffer> {
  const totalLength = options.files.reduce((sum, file) => sum + file.length, 0);
  const pieceCount = Math.ceil(totalLength / options.pieceLength);
  const workerCount = Math.max(1, Math.min(options.workers ?? availableParallelism(), pieceCount));
  const ranges = splitEvenly(pieceCount, workerCount);
  // Only a path, an offset and a length each: a folder of many files stays cheap to hand to a worker.
  let offset = 0;
  const spans: HashSpan[] = options.files.map(({ path, length }) => ({ path, offset: (offset += length) - length, length }));
  let hashed = 0;
  const parts = await Promise.all(
    ranges.map(([firstPiece, endPiece]) =>
      runWorker(
        {
          files: spans,
          pieceLength: options.pieceLength,
          firstPiece,
          endPiece,
          readSize: READ_SIZE,
        },
        (bytes) => {
          hashed += bytes;
          options.onProgress?.(hashed);
        },
        options.signal,
      ),
    ),
  );
  return Buffer.concat(parts);
}

/** [first, end) piece ranges, as equal as whole pieces allow. */
export function splitEvenly(count: number, parts: number): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (let index = 0; index < parts; index++) {
    const first = Math.floor((count * index) / parts);
    const end = Math.floor((count * (index + 1)) / parts);
    if (end > first) ranges.push([first, end]);
  }
  return ranges;
}

function runWorker(job: HashJob, onBytes: (bytes: number) => void, signal: AbortSignal | undefined): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const worker = new Worker(WORKER_URL, { workerData: job });
    let result: Uint8Array | undefined;
    const onAbort = (): void => {
      void worker.terminate();
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (message: HashWorkerMessage) => {
      if (message.type === 'progress') onBytes(message.bytes);
      else result = message.hashes;
    });
    worker.on('error', reject);
    worker.on('exit', (code) => {
      signal?.removeEventListener('abort', onAbort);
      if (result) resolve(result);
      else reject(new Error(`the hashing worker stopped with code ${code} before it finished`));
    });
  });
}
