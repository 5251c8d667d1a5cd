// A read-only chunk store over the shared file: pieces are read straight from it, never written,
// and never sent once the file has changed under them.
import { createHash } from 'node:crypto';
import { close, fstat, open, read } from 'node:fs';

type Callback<T> = (error: Error | null, value?: T) => void;

export interface FileStoreOptions {
  file: string;
  length: number;
  /** The version of the file the pieces were hashed from. */
  mtimeNs: bigint;
  /** Concatenated 20-byte SHA-1 digests, to re-check pieces once the file has changed. */
  pieces: Buffer;
  /** Called once per piece found changed (and once with `undefined` when the change is first seen). */
  onChange: (piece: number | undefined) => void;
  /** Whether to send a block of this piece now (see HandOutPolicy), and what was sent. */
  mayServe: (piece: number) => boolean;
  onServed: (piece: number, bytes: number) => void;
}

/**
 * Replaces webtorrent's default fs-chunk-store + cache-chunk-store for seeding. The default opens
 * the file for writing, can delete it on destroy, and caches 20 whole pieces in memory (320 MiB
 * at 16 MiB pieces). Seeding needs none of that: reads of the requested block go to the page cache.
 *
 * Every read first looks at the open file (fstat, about a microsecond). While its size and mtime are
 * those that were hashed, blocks are served as read. Once they differ, each piece is read whole and
 * checked against its SHA-1 before any block of it is sent; a piece that no longer matches is
 * refused, so a recipient never receives data that is not the file the .torrent describes.
 */
export class ReadOnlyFileStore {
  readonly chunkLength: number;
  readonly #options: FileStoreOptions;
  #fd: Promise<number> | undefined;
  #closed = false;
  #changed = false;
  /** Verdicts on pieces since the change, valid for the mtime they were reached at. */
  #verdicts = new Map<number, boolean>();
  #verdictMtime = -1n;
  /** The last piece verified whole, to serve its blocks without reading it again. */
  #verifiedPiece: { index: number; data: Buffer } | undefined;

  constructor(chunkLength: number, options: FileStoreOptions) {
    this.chunkLength = chunkLength;
    this.#options = options;
  }

  put(_index: number, _buffer: Uint8Array, callback: Callback<void>): void {
    queueMicrotask(() => callback(new Error('share-file never writes to the shared file')));
  }

  get(index: number, options: { offset?: number; length?: number } | null | undefined, callback: Callback<Buffer>): void {
    if (this.#closed) {
      queueMicrotask(() => callback(new Error('the store is closed')));
      return;
    }
    const pieceStart = index * this.chunkLength;
    const pieceLength = Math.min(this.chunkLength, this.#options.length - pieceStart);
    const offset = options?.offset ?? 0;
    const length = options?.length ?? pieceLength - offset;
    if (!Number.isInteger(index) || index < 0 || pieceLength <= 0 || offset < 0 || length < 0 || offset + length > pieceLength) {
      queueMicrotask(() => callback(new Error(`piece ${index} has no bytes ${offset}..${offset + length}`)));
      return;
    }
    if (!this.#options.mayServe(index)) {
      queueMicrotask(() => callback(new Error(`piece ${index} is left to the other recipients for now`)));
      return;
    }
    const served: Callback<Buffer> = (error, buffer) => {
      if (buffer) this.#options.onServed(index, buffer.length);
      callback(error, buffer);
    };
    this.#open().then(
      (fd) => this.#serve(fd, index, pieceStart, pieceLength, offset, length, served),
      (error: Error) => callback(error),
    );
  }

  #serve(fd: number, index: number, pieceStart: number, pieceLength: number, offset: number, length: number, callback: Callback<Buffer>): void {
    fstat(fd, { bigint: true }, (error, stats) => {
      if (error) return callback(error);
      const unchanged = Number(stats.size) === this.#options.length && stats.mtimeNs === this.#options.mtimeNs;
      if (unchanged && !this.#changed) return readFully(fd, Buffer.allocUnsafe(length), pieceStart + offset, callback);
      if (!this.#changed) {
        this.#changed = true;
        this.#options.onChange(undefined);
      }
      if (stats.mtimeNs !== this.#verdictMtime) {
        this.#verdicts.clear();
        this.#verifiedPiece = undefined;
        this.#verdictMtime = stats.mtimeNs;
      }
      const refuse = (): void => callback(new Error(`piece ${index} changed on disk since it was hashed`));
      if (this.#verdicts.get(index) === false) return refuse();
      if (this.#verifiedPiece?.index === index) return callback(null, Buffer.from(this.#verifiedPiece.data.subarray(offset, offset + length)));
      if (pieceStart + pieceLength > Number(stats.size)) return this.#condemn(index, refuse);
      readFully(fd, Buffer.allocUnsafe(pieceLength), pieceStart, (readError, data) => {
        if (readError || !data) return callback(readError);
        const expected = this.#options.pieces.subarray(index * 20, index * 20 + 20);
        if (!createHash('sha1').update(data).digest().equals(expected)) return this.#condemn(index, refuse);
        this.#verdicts.set(index, true);
        this.#verifiedPiece = { index, data };
        callback(null, Buffer.from(data.subarray(offset, offset + length)));
      });
    });
  }

  #condemn(index: number, refuse: () => void): void {
    if (!this.#verdicts.has(index)) this.#options.onChange(index);
    this.#verdicts.set(index, false);
    refuse();
  }

  close(callback: Callback<void> = () => {}): void {
    this.#closed = true;
    const fd = this.#fd;
    this.#fd = undefined;
    this.#verifiedPiece = undefined;
    if (!fd) {
      queueMicrotask(() => callback(null));
      return;
    }
    fd.then(
      (descriptor) => close(descriptor, (error) => callback(error)),
      () => callback(null),
    );
  }

  /** Closing is all there is to destroy: the shared file is the user's and stays where it is. */
  destroy(callback: Callback<void> = () => {}): void {
    this.close(callback);
  }

  #open(): Promise<number> {
    this.#fd ??= new Promise((resolve, reject) => {
      open(this.#options.file, 'r', (error, fd) => (error ? reject(error) : resolve(fd)));
    });
    return this.#fd;
  }
}

function readFully(fd: number, buffer: Buffer, position: number, callback: Callback<Buffer>, done = 0): void {
  read(fd, buffer, done, buffer.length - done, position + done, (error, bytesRead) => {
    if (error) return callback(error);
    if (bytesRead === 0) return callback(new Error(`the shared file is shorter than it was: nothing at byte ${position + done}`));
    const total = done + bytesRead;
    if (total < buffer.length) return readFully(fd, buffer, position, callback, total);
    callback(null, buffer);
  });
}
