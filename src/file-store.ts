// A read-only chunk store over the shared file: pieces are read straight from it, never written.
import { close, open, read } from 'node:fs';

type Callback<T> = (error: Error | null, value?: T) => void;

/**
 * Replaces webtorrent's default fs-chunk-store + cache-chunk-store for seeding. The default opens
 * the file for writing, can delete it on destroy, and caches 20 whole pieces in memory (320 MiB
 * at 16 MiB pieces). Seeding needs none of that: reads of the requested block go to the page cache.
 */
export class ReadOnlyFileStore {
  readonly chunkLength: number;
  readonly #file: string;
  readonly #length: number;
  #fd: Promise<number> | undefined;
  #closed = false;

  constructor(chunkLength: number, options: { file: string; length: number }) {
    this.chunkLength = chunkLength;
    this.#file = options.file;
    this.#length = options.length;
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
    const pieceLength = Math.min(this.chunkLength, this.#length - pieceStart);
    const offset = options?.offset ?? 0;
    const length = options?.length ?? pieceLength - offset;
    if (index < 0 || pieceLength <= 0 || offset < 0 || length < 0 || offset + length > pieceLength) {
      queueMicrotask(() => callback(new Error(`piece ${index} has no bytes ${offset}..${offset + length}`)));
      return;
    }
    this.#open().then(
      (fd) => readFully(fd, Buffer.allocUnsafe(length), pieceStart + offset, callback),
      (error: Error) => callback(error),
    );
  }

  close(callback: Callback<void> = () => {}): void {
    this.#closed = true;
    const fd = this.#fd;
    this.#fd = undefined;
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
      open(this.#file, 'r', (error, fd) => (error ? reject(error) : resolve(fd)));
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
