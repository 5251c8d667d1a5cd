// Worker thread: SHA-1 of a contiguous run of pieces, read sequentially in large blocks.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

export interface HashJob {
  file: string;
  fileLength: number;
  pieceLength: number;
  firstPiece: number;
  endPiece: number;
  readSize: number;
}

export type HashWorkerMessage = { type: 'progress'; bytes: number } | { type: 'done'; hashes: Uint8Array };

const PROGRESS_EVERY_BYTES = 32 * 1024 * 1024;

function hashRange(job: HashJob, post: (message: HashWorkerMessage, transfer?: ArrayBuffer[]) => void): void {
  const hashes = new Uint8Array((job.endPiece - job.firstPiece) * 20);
  const buffer = Buffer.allocUnsafe(job.readSize);
  const end = Math.min(job.endPiece * job.pieceLength, job.fileLength);
  let position = job.firstPiece * job.pieceLength;
  let piece = job.firstPiece;
  let pieceEnd = Math.min(position + job.pieceLength, end);
  let hash = createHash('sha1');
  let unreported = 0;
  const fd = openSync(job.file, 'r');
  try {
    while (position < end) {
      const read = readSync(fd, buffer, 0, Math.min(buffer.length, end - position), position);
      if (read === 0) throw new Error(`the file ended at byte ${position}, before the ${end} bytes it had when hashing began`);
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
    closeSync(fd);
  }
  if (unreported > 0) post({ type: 'progress', bytes: unreported });
  post({ type: 'done', hashes }, [hashes.buffer]);
}

if (parentPort) {
  const port = parentPort;
  hashRange(workerData as HashJob, (message, transfer) => port.postMessage(message, transfer));
}
