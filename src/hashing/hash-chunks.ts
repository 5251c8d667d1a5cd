// The hashing work, shared by the worker threads and the main thread: runs of whole pieces claimed
// from a shared counter, so a thread that started late or lost its core to something else simply
// claims less instead of finishing last.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { fileIndexAt, type FileSpan } from '../content/file-spans.ts';

export interface HashSpan extends FileSpan {
  path: string;
}

/** One hashing job, shared by every thread that works on it (the buffers are SharedArrayBuffers). */
export interface HashJob {
  /** Every shared file, in torrent order. */
  files: HashSpan[];
  totalLength: number;
  pieceLength: number;
  pieceCount: number;
  readSize: number;
  /** Threads hashing this job (workers and the main thread): claims shrink as they near the end. */
  threads: number;
  /** The smallest and largest run of pieces one claim takes; see claim(). */
  minClaimPieces: number;
  maxClaimPieces: number;
  /** Int32Array[1]: the first piece nobody has claimed yet. */
  nextPiece: SharedArrayBuffer;
  /** Int32Array[1]: pieces whose hashes are written; the job is done when it reaches pieceCount. */
  donePieces: SharedArrayBuffer;
  /** BigInt64Array[1]: bytes hashed so far, read by the main thread for progress. */
  hashedBytes: SharedArrayBuffer;
  /** 20 bytes per piece, written in place by whichever thread hashes the piece. */
  hashes: SharedArrayBuffer;
}

// Claims are guided: each takes a share of what is left (half of it divided among the threads), at
// most 64 MiB and at least 2 MiB. Long runs early keep each thread's reads sequential for the
// kernel's read-ahead (with the page cache dropped, two threads taking 8 MiB turns read 1 GiB in
// 9.1-10.0 s, 64 MiB turns in 6.2-6.6 s, one thread alone in 4.7-5.2 s); short runs at the end
// let the threads finish within a few ms of each other.
const MAX_CLAIM_BYTES = 64 * 1024 * 1024;
const MIN_CLAIM_BYTES = 2 * 1024 * 1024;

export function createHashJob(files: Array<{ path: string; length: number }>, pieceLength: number, readSize: number, threads: number): HashJob {
  // Only a path, an offset and a length each: a folder of many files stays cheap to hand to a worker.
  let offset = 0;
  const spans: HashSpan[] = files.map(({ path, length }) => ({ path, offset: (offset += length) - length, length }));
  const totalLength = offset;
  const pieceCount = Math.ceil(totalLength / pieceLength);
  return {
    files: spans,
    totalLength,
    pieceLength,
    pieceCount,
    readSize,
    threads,
    minClaimPieces: Math.max(1, Math.floor(MIN_CLAIM_BYTES / pieceLength)),
    maxClaimPieces: Math.max(1, Math.floor(MAX_CLAIM_BYTES / pieceLength)),
    nextPiece: new SharedArrayBuffer(4),
    donePieces: new SharedArrayBuffer(4),
    hashedBytes: new SharedArrayBuffer(8),
    hashes: new SharedArrayBuffer(pieceCount * 20),
  };
}

export function hashedBytesOf(job: HashJob): number {
  return Number(Atomics.load(new BigInt64Array(job.hashedBytes), 0));
}

// Atomics.waitAsync is ES2024 (in Node since 16); the project's TypeScript lib stops at ES2023.
const { waitAsync } = Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number): { async: false; value: string } | { async: true; value: Promise<string> };
};

/** Resolves once every piece is hashed, by whichever threads; rejects when `signal` aborts first. */
export async function allPiecesHashed(job: HashJob, signal: AbortSignal): Promise<void> {
  const done = new Int32Array(job.donePieces);
  const aborted = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  for (;;) {
    signal.throwIfAborted();
    const value = Atomics.load(done, 0);
    if (value >= job.pieceCount) return;
    const waiting = waitAsync(done, 0, value);
    if (waiting.async) await Promise.race([waiting.value, aborted]);
  }
}

/** Reads the stream of all files, keeping the file it reads from open until it moves to another. */
class SpanReader {
  readonly #files: HashSpan[];
  #index = -1;
  #fd: number | undefined;

  constructor(files: HashSpan[]) {
    this.#files = files;
  }

  /** Reads up to `length` bytes at `position` (never across a file boundary). */
  read(buffer: Buffer, length: number, position: number): number {
    const index = fileIndexAt(this.#files, position);
    const file = this.#files[index];
    if (!file) return 0;
    if (index !== this.#index) {
      this.close();
      this.#fd = openSync(file.path, 'r');
      this.#index = index;
    }
    const within = position - file.offset;
    const read = readSync(this.#fd!, buffer, 0, Math.min(length, file.length - within), within);
    if (read === 0) throw new Error(`\`${file.path}\` ended at byte ${within}, before the ${file.length} bytes it had when hashing began`);
    return read;
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
    this.#index = -1;
  }
}

/** One thread's side of a job: its read buffer and open file, and the runs of pieces it claims. */
export class ChunkHasher {
  readonly #job: HashJob;
  readonly #buffer: Buffer;
  readonly #reader: SpanReader;
  readonly #next: Int32Array;
  readonly #done: Int32Array;
  readonly #hashed: BigInt64Array;
  readonly #hashes: Uint8Array;

  constructor(job: HashJob) {
    this.#job = job;
    this.#buffer = Buffer.allocUnsafe(job.readSize);
    this.#reader = new SpanReader(job.files);
    this.#next = new Int32Array(job.nextPiece);
    this.#done = new Int32Array(job.donePieces);
    this.#hashed = new BigInt64Array(job.hashedBytes);
    this.#hashes = new Uint8Array(job.hashes);
  }

  /** The next run of pieces for this thread, [first, end); undefined once every piece is taken. */
  claim(): [number, number] | undefined {
    const { pieceCount, threads, minClaimPieces, maxClaimPieces } = this.#job;
    for (;;) {
      const first = Atomics.load(this.#next, 0);
      if (first >= pieceCount) return undefined;
      const share = Math.ceil((pieceCount - first) / (2 * threads));
      const end = Math.min(pieceCount, first + Math.min(maxClaimPieces, Math.max(minClaimPieces, share)));
      if (Atomics.compareExchange(this.#next, 0, first, end) === first) return [first, end];
    }
  }

  /** Hashes pieces [first, end) of a claimed run (a run may be hashed in several calls, in order). */
  hash(first: number, end: number): void {
    this.#hashPieces(first, end);
    Atomics.add(this.#done, 0, end - first);
    Atomics.notify(this.#done, 0);
  }

  /** Gives up the rest of the job: other threads then find nothing left to claim either. */
  abandon(): void {
    Atomics.store(this.#next, 0, this.#job.pieceCount);
  }

  close(): void {
    this.#reader.close();
  }

  #hashPieces(firstPiece: number, endPiece: number): void {
    const { pieceLength, totalLength } = this.#job;
    const end = Math.min(endPiece * pieceLength, totalLength);
    let position = firstPiece * pieceLength;
    let piece = firstPiece;
    let pieceEnd = Math.min(position + pieceLength, end);
    let hash = createHash('sha1');
    while (position < end) {
      const read = this.#reader.read(this.#buffer, Math.min(this.#buffer.length, end - position), position);
      let offset = 0;
      while (offset < read) {
        const take = Math.min(read - offset, pieceEnd - (position + offset));
        hash.update(this.#buffer.subarray(offset, offset + take));
        offset += take;
        if (position + offset === pieceEnd) {
          this.#hashes.set(hash.digest(), piece * 20);
          piece += 1;
          pieceEnd = Math.min(pieceEnd + pieceLength, end);
          hash = createHash('sha1');
        }
      }
      position += read;
    }
    Atomics.add(this.#hashed, 0, BigInt(end - firstPiece * pieceLength));
  }
}
