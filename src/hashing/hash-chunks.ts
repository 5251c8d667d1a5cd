// The hashing work, shared by the worker threads and the main thread: chunks of whole pieces, handed
// out one at a time from a shared counter, so a thread that started late or lost its core to
// something else simply takes fewer chunks instead of finishing last.
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
  /** Pieces per chunk: the unit a thread claims. */
  chunkPieces: number;
  readSize: number;
  chunkCount: number;
  /** Int32Array[1]: the next chunk to claim. */
  nextChunk: SharedArrayBuffer;
  /** Int32Array[1]: chunks whose hashes are written; the job is done when it reaches chunkCount. */
  doneChunks: SharedArrayBuffer;
  /** BigInt64Array[1]: bytes hashed so far, read by the main thread for progress. */
  hashedBytes: SharedArrayBuffer;
  /** 20 bytes per piece, written in place by whichever thread hashes the piece. */
  hashes: SharedArrayBuffer;
}

// About 8 MiB per chunk: 5-7 ms of SHA-1 on one core, so the threads end within a few ms of each
// other, while each chunk is still read sequentially in 1 MiB blocks.
const CHUNK_BYTES = 8 * 1024 * 1024;

export function createHashJob(files: Array<{ path: string; length: number }>, pieceLength: number, readSize: number): HashJob {
  // Only a path, an offset and a length each: a folder of many files stays cheap to hand to a worker.
  let offset = 0;
  const spans: HashSpan[] = files.map(({ path, length }) => ({ path, offset: (offset += length) - length, length }));
  const totalLength = offset;
  const pieceCount = Math.ceil(totalLength / pieceLength);
  const chunkPieces = Math.max(1, Math.floor(CHUNK_BYTES / pieceLength));
  return {
    files: spans,
    totalLength,
    pieceLength,
    pieceCount,
    chunkPieces,
    chunkCount: Math.ceil(pieceCount / chunkPieces),
    readSize,
    nextChunk: new SharedArrayBuffer(4),
    doneChunks: new SharedArrayBuffer(4),
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

/** Resolves once every chunk is hashed, by whichever threads; rejects when `signal` aborts first. */
export async function allChunksHashed(job: HashJob, signal: AbortSignal): Promise<void> {
  const done = new Int32Array(job.doneChunks);
  const aborted = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  for (;;) {
    signal.throwIfAborted();
    const value = Atomics.load(done, 0);
    if (value >= job.chunkCount) return;
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

/** One thread's side of a job: its read buffer and open file, and the chunks it claims. */
export class ChunkHasher {
  readonly #job: HashJob;
  readonly #buffer: Buffer;
  readonly #reader: SpanReader;
  readonly #next: Int32Array;
  readonly #hashed: BigInt64Array;
  readonly #hashes: Uint8Array;
  readonly #done: Int32Array;

  constructor(job: HashJob) {
    this.#job = job;
    this.#buffer = Buffer.allocUnsafe(job.readSize);
    this.#reader = new SpanReader(job.files);
    this.#next = new Int32Array(job.nextChunk);
    this.#hashed = new BigInt64Array(job.hashedBytes);
    this.#hashes = new Uint8Array(job.hashes);
    this.#done = new Int32Array(job.doneChunks);
  }

  /** Claims and hashes the next chunk; false once every chunk is taken. */
  hashNextChunk(): boolean {
    const chunk = Atomics.add(this.#next, 0, 1);
    if (chunk >= this.#job.chunkCount) return false;
    const firstPiece = chunk * this.#job.chunkPieces;
    this.#hashPieces(firstPiece, Math.min(firstPiece + this.#job.chunkPieces, this.#job.pieceCount));
    Atomics.add(this.#done, 0, 1);
    Atomics.notify(this.#done, 0);
    return true;
  }

  /** Gives up the rest of the job: other threads then find no chunk left either. */
  abandon(): void {
    Atomics.store(this.#next, 0, this.#job.chunkCount);
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
