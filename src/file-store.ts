// webtorrent's chunk store for seeding: reads through the ContentReader, never writes, never deletes.
import type { ContentReader } from './content-reader.ts';

type Callback<T> = (error: Error | null, value?: T) => void;

export interface FileStoreOptions {
  reader: ContentReader;
  /** Whether to send a block of this piece now (see HandOutPolicy), and what was sent. */
  mayServe: (piece: number) => boolean;
  onServed: (piece: number, bytes: number) => void;
}

/**
 * Replaces webtorrent's default fs-chunk-store + cache-chunk-store for seeding. The default opens
 * the files for writing, can delete them on destroy, and caches 20 whole pieces in memory (320 MiB
 * at 16 MiB pieces). Seeding needs none of that: reads of the requested block go to the page cache,
 * and the reader refuses blocks of pieces that changed since they were hashed.
 */
export class ReadOnlyFileStore {
  readonly chunkLength: number;
  readonly #options: FileStoreOptions;
  #closed = false;

  constructor(chunkLength: number, options: FileStoreOptions) {
    this.chunkLength = chunkLength;
    this.#options = options;
  }

  put(_index: number, _buffer: Uint8Array, callback: Callback<void>): void {
    queueMicrotask(() => callback(new Error('share-file never writes to the shared files')));
  }

  get(index: number, options: { offset?: number; length?: number } | null | undefined, callback: Callback<Buffer>): void {
    if (this.#closed) {
      queueMicrotask(() => callback(new Error('the store is closed')));
      return;
    }
    const reader = this.#options.reader;
    const offset = options?.offset ?? 0;
    const length = options?.length ?? Math.min(this.chunkLength, reader.length - index * this.chunkLength) - offset;
    if (!this.#options.mayServe(index)) {
      queueMicrotask(() => callback(new Error(`piece ${index} is left to the other recipients for now`)));
      return;
    }
    reader.readPiece(index, offset, length).then(
      (buffer) => {
        this.#options.onServed(index, buffer.length);
        callback(null, buffer);
      },
      (error: Error) => callback(error),
    );
  }

  /** The reader belongs to the share, not to webtorrent: it is closed with the share. */
  close(callback: Callback<void> = () => {}): void {
    this.#closed = true;
    queueMicrotask(() => callback(null));
  }

  /** Closing is all there is to destroy: the shared files are the user's and stay where they are. */
  destroy(callback: Callback<void> = () => {}): void {
    this.close(callback);
  }
}
