// The floor Node can reach: one worker thread per core and nothing else, each hashing a contiguous half
// (third, ...) of the file in 1 MiB reads with one createHash('sha1') per piece, as share-file's
// workers do. Run as `node bench/bare-hash.ts FILE PIECE_LENGTH`; prints one JSON line with the
// time from before the first worker is spawned to the last piece hashed, measured in this process.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

// Plain JavaScript, evaluated as the worker's script: no TypeScript to strip, no module loader.
const WORKER_SOURCE = `
const { createHash } = require('node:crypto');
const { openSync, readSync, closeSync } = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');
const { file, pieceLength, firstPiece, endPiece, totalLength } = workerData;
const hashes = new Uint8Array((endPiece - firstPiece) * 20);
const buffer = Buffer.allocUnsafe(1024 * 1024);
const fd = openSync(file, 'r');
const end = Math.min(endPiece * pieceLength, totalLength);
let position = firstPiece * pieceLength;
let piece = firstPiece;
let pieceEnd = Math.min(position + pieceLength, end);
let hash = createHash('sha1');
while (position < end) {
  const read = readSync(fd, buffer, 0, Math.min(buffer.length, end - position), position);
  if (read === 0) throw new Error('short read');
  let offset = 0;
  while (offset < read) {
    const take = Math.min(read - offset, pieceEnd - (position + offset));
    hash.update(buffer.subarray(offset, offset + take));
    offset += take;
    if (position + offset === pieceEnd) {
      hashes.set(hash.digest(), (piece - firstPiece) * 20);
      piece += 1;
      pieceEnd = Math.min(pieceEnd + pieceLength, end);
      hash = createHash('sha1');
    }
  }
  position += read;
}
closeSync(fd);
parentPort.postMessage(hashes, [hashes.buffer]);
`;

function hashRange(file: string, pieceLength: number, firstPiece: number, endPiece: number, totalLength: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, pieceLength, firstPiece, endPiece, totalLength } });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

const [file, pieceLengthArgument, lengthArgument] = process.argv.slice(2);
if (!file || !pieceLengthArgument || !lengthArgument) throw new Error('usage: node bench/bare-hash.ts FILE PIECE_LENGTH FILE_LENGTH');
const pieceLength = Number(pieceLengthArgument);
const totalLength = Number(lengthArgument);
const pieceCount = Math.ceil(totalLength / pieceLength);
const threads = availableParallelism();
const started = performance.now();
const parts = await Promise.all(
  Array.from({ length: threads }, (_, index) => hashRange(file, pieceLength, Math.floor((pieceCount * index) / threads), Math.floor((pieceCount * (index + 1)) / threads), totalLength)),
);
const hashMs = performance.now() - started;
const pieces = parts.reduce((sum, part) => sum + part.length / 20, 0);
if (pieces !== pieceCount) throw new Error(`hashed ${pieces} pieces of ${pieceCount}`);
process.stdout.write(`${JSON.stringify({ hashMs, processMs: performance.now() })}\n`);
