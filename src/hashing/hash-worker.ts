// Worker thread: SHA-1 of a contiguous run of pieces, read sequentially in large blocks. The pieces
// run across the shared files as if they were one stream (a multi-file torrent's pieces do).
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { fileIndexAt, type FileSpan } from '../content/file-spans.ts';

export interface HashSpan extends FileSpan {
  path: string;
}

export interface HashJob {
  /** Every shared file, in torrent order. */
  files: HashSpan[];
  pieceLength: number;
  firstPiece: number;
  endPiece: number;
  readSize: number;
}

export type HashWorkerMessage = { type: 'progress'; bytes: number } | { type: 'done'; hashes: Uint8Array };

const PROGRESS_EVERY_BYTES = 32 * 1024 * 1024;

/** Reads the stream of all files from `position`, one file at a time, each opened once. */
class SpanReader {
  readonly #files: HashSpan[];
  #index = 0;
  #start = 0;
  #fd: number | undefined;

  constructor(files: HashSpan[], position: number) {
    this.#files = files;
    this.#index = fileIndexAt(files, position);
    this.#start = files[this.#index]?.offset ?? 0;
  }

  /** Reads up to `length` bytes at `position` (never across a file boundary). */
  read(buffer: Buffer, length: number, position: number): number {
    let file = this.#files[this.#index];
    while (file && position >= this.#start + file.length) {
      this.#close();
      this.#start += file.length;
      this.#index += 1;
      file = this.#files[this.#index];
    }
    if (!file) return 0;
    this.#fd ??= openSync(file.path, 'r');
    const within = position - this.#start;
    const read = readSync(this.#fd, buffer, 0, Math.min(length, file.length - within), within);
    if (read === 0) throw new Error(`\`${file.path}\` ended at byte ${within}, before the ${file.length} bytes it had when hashing began`);
    return read;
  }

  #close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  close(): void {
    this.#close();
  }
}

function hashRange(job: HashJob, post: (message: HashWorkerMessage, transfer?: ArrayBuffer[]) => void): void {
  const hashes = new Uint8Array((job.endPiece - job.firstPiece) * 20);
  const buffer = Buffer.allocUnsafe(job.readSize);
  const totalLength = job.files.reduce((sum, file) => sum + file.length, 0);
  const end = Math.min(job.endPiece * job.pieceLength, totalLength);
  let position = job.firstPiece * job.pieceLength;
  let piece = job.firstPiece;
  let pieceEnd = Math.min(position + job.pieceLength, end);
  let hash = createHash('sha1');
  let unreported = 0;
  const reader = new SpanReader(job.files, position);
  try {
    while (position < end) {
      const read = reader.read(buffer, Math.min(buffer.length, end - position), position);
      let offset = 0;
      while (offset < read) {
        const take = Math.min(read - offset, pieceEnd - (position + offset));
        hash.update(buffer.subarray(offset, offset + take));
        offset += take;
        if (position + offset === pieceEnd) {
          hashes.set(hash.digest(), (piece - job.firstPiece) * 20);
          piece += 1;
          pieceEnd = Math.min(pieceEnd + job.pieceLength, end);
          hash = createHash('sha1');
        }
      }
      position += read;
      unreported += read;
      if (unreported >= PROGRESS_EVERY_BYTES) {
        post({ type: 'progress', bytes: unreported });
        unreported = 0;
      }
    }
  } finally {
    reader.close();
  }
  if (unreported > 0) post({ type: 'progress', bytes: unreported });
  post({ type: 'done', hashes }, [hashes.buffer]);
}

if (parentPort) {
  const port = parentPort;
  hashRange(workerData as HashJob, (message, transfer) => port.postMessage(message, transfer));
}
