// Reads the shared bytes for whoever sends them (the seeder's peers, the web seed), and makes sure
// no byte goes out that is not the content the .torrent describes.
import { createHash } from 'node:crypto';
import { leave, Lease, recycle, type Window } from './lease.ts';
import { SharedFiles, type ReaderFile } from './shared-files.ts';

export { Lease } from './lease.ts';
export type { ReaderFile } from './shared-files.ts';

export interface ContentReaderOptions {
  files: ReaderFile[];
  pieceLength: number;
  /** Concatenated 20-byte SHA-1 digests, to re-check pieces once the content has changed. */
  pieces: Buffer;
  /** Called once per piece found changed (and once with `undefined` when a change is first seen). */
  onChange: (piece: number | undefined) => void;
}

/**
 * Peers ask for 16 KiB blocks, mostly one after the other within a piece. Reading 256 KiB at a
 * time and serving the blocks from it takes one read (one thread-pool round trip) where there were
 * 16. Measured seeding 1 GiB to aria2c: the per-block async fstat and read cost the main thread
 * 0.57 s and 0.66 s of the 3.4 s of CPU share-file used (see bench/seeding.ts).
 */
const WINDOW_BYTES = 256 * 1024;
/** Windows kept: a few peers' worth of current pieces, 2 MiB in all. */
const MAX_WINDOWS = 8;

export type LeaseCallback = (error: Error | null, lease?: Lease) => void;

/**
 * Reads blocks of pieces straight from the shared files (the page cache does the caching).
 *
 * Every read from disk looks at the files it touches before and after (fstat, about a microsecond
 * each). While their size and mtime are those that were hashed, blocks are served as read. Once any
 * file differs, each piece is read whole and checked against its SHA-1 before any block of it is
 * sent; a piece that no longer matches is refused, so nobody receives data that is not the content
 * the .torrent describes.
 */
export class ContentReader {
  readonly length: number;
  readonly pieceLength: number;
  readonly #options: ContentReaderOptions;
  readonly #files: SharedFiles;
  /** Recently read windows of the content, by window index, least recently used first. */
  readonly #windows = new Map<number, Window>();
  /** Window buffers that nothing uses any more, ready for the next window. */
  readonly #pool: Buffer[] = [];
  #closed = false;
  #changed = false;
  /** Verdicts on pieces since the change, valid for the state of the files they were reached at. */
  #verdicts = new Map<number, boolean>();
  #verdictState = '';
  /** The last piece verified whole, to serve its blocks without reading it again. */
  #verifiedPiece: { index: number; data: Buffer } | undefined;

  constructor(options: ContentReaderOptions) {
    this.#options = options;
    this.pieceLength = options.pieceLength;
    this.length = options.files.reduce((sum, file) => sum + file.length, 0);
    this.#files = new SharedFiles(options.files);
  }

  get pieceCount(): number {
    return Math.ceil(this.length / this.pieceLength);
  }

  /** The piece's length: the piece length, but for a shorter last piece; 0 past the end. */
  lengthOfPiece(index: number): number {
    return Math.max(0, Math.min(this.pieceLength, this.length - index * this.pieceLength));
  }

  /**
   * Lends `length` bytes at `offset` within piece `index`, or fails when they changed since hashing.
   * Calls back at once when the bytes are already in memory (the usual case for a peer's next block).
   */
  lend(index: number, offset: number, length: number, callback: LeaseCallback): void {
    if (this.#closed) return callback(new Error('the content reader is closed'));
    const pieceStart = index * this.pieceLength;
    const pieceLength = this.lengthOfPiece(index);
    if (!Number.isInteger(index) || index < 0 || pieceLength <= 0 || offset < 0 || length < 0 || offset + length > pieceLength) {
      return callback(new Error(`piece ${index} has no bytes ${offset}..${offset + length}`));
    }
    const start = pieceStart + offset;
    const windowIndex = Math.floor(start / WINDOW_BYTES);
    // The usual case: nothing changed since hashing, and the bytes lie within one window.
    if (this.#changed || start + length > (windowIndex + 1) * WINDOW_BYTES) {
      this.#lendChecked(index, offset, length).then((lease) => callback(null, lease), callback);
      return;
    }
    const window = this.#window(windowIndex);
    // Counted before any waiting, so the window's buffer cannot be reused while its read is under way.
    window.users += 1;
    const within = start - windowIndex * WINDOW_BYTES;
    if (window.bytes) return callback(null, new Lease(window.bytes.subarray(within, within + length), window));
    window.read.then(
      (bytes) => {
        if (bytes) return callback(null, new Lease(bytes.subarray(within, within + length), window));
        leave(window);
        this.#lendChecked(index, offset, length).then((lease) => callback(null, lease), callback);
      },
      (error: Error) => {
        leave(window);
        callback(error);
      },
    );
  }

  /** `lend()` as a promise. */
  borrow(index: number, offset: number, length: number): Promise<Lease> {
    return new Promise((resolve, reject) => this.lend(index, offset, length, (error, lease) => (error ? reject(error) : resolve(lease!))));
  }

  /**
   * Once the files changed (or for bytes across two windows, read on their own): each piece is read
   * whole and checked against its SHA-1 before any of its bytes are lent.
   */
  async #lendChecked(index: number, offset: number, length: number): Promise<Lease> {
    const pieceStart = index * this.pieceLength;
    const pieceLength = this.lengthOfPiece(index);
    if (!this.#changed) {
      const bytes = await this.#readUnchanged(pieceStart + offset, length);
      if (bytes) return new Lease(bytes);
    }
    for (const cached of [...this.#windows.keys()]) this.#evict(cached);
    const parts = this.#files.partsOf(pieceStart, pieceLength);
    const states = parts.map((part) => this.#files.stat(part.file));
    if (!this.#changed) {
      this.#changed = true;
      this.#options.onChange(undefined);
    }
    const state = states.map((stats) => `${stats.size}:${stats.mtimeNs}`).join(',');
    if (state !== this.#verdictState) {
      // Something was written since the last verdicts: they no longer hold.
      this.#verdicts.clear();
      this.#verifiedPiece = undefined;
      this.#verdictState = state;
    }
    if (this.#verdicts.get(index) === false) throw new ContentChangedError(index);
    if (this.#verifiedPiece?.index === index) return new Lease(Buffer.from(this.#verifiedPiece.data.subarray(offset, offset + length)));
    const tooShort = states.some((stats, at) => Number(stats.size) < parts[at]!.file.length);
    const data = tooShort ? undefined : await this.#files.read(pieceStart, pieceLength);
    const expected = this.#options.pieces.subarray(index * 20, index * 20 + 20);
    if (!data || !createHash('sha1').update(data).digest().equals(expected)) {
      if (!this.#verdicts.has(index)) this.#options.onChange(index);
      this.#verdicts.set(index, false);
      throw new ContentChangedError(index);
    }
    this.#verdicts.set(index, true);
    this.#verifiedPiece = { index, data };
    return new Lease(Buffer.from(data.subarray(offset, offset + length)));
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#verifiedPiece = undefined;
    this.#windows.clear();
    this.#pool.length = 0;
    await this.#files.close();
  }

  /**
   * The window with this index, moved to the end of the list, its read started if it is new. A
   * window is kept only if the files were the hashed version both before and after it was read, so
   * a write that raced with the read is caught; its bytes are then the hashed ones, and stay right
   * to send even if the files change later.
   */
  #window(index: number): Window {
    let window = this.#windows.get(index);
    if (window) {
      this.#windows.delete(index);
    } else {
      const windowStart = index * WINDOW_BYTES;
      const buffer = this.#pool.pop() ?? Buffer.allocUnsafeSlow(WINDOW_BYTES);
      const fresh: Window = { buffer, bytes: undefined, read: this.#readUnchanged(windowStart, Math.min(WINDOW_BYTES, this.length - windowStart), buffer), users: 0, cached: true, pool: this.#pool };
      // A failed read is not kept for later borrowers.
      const forget = (): void => {
        if (this.#windows.get(index) === fresh) this.#evict(index);
      };
      void fresh.read.then((bytes) => (bytes ? (fresh.bytes = bytes) : forget()), forget);
      window = fresh;
    }
    this.#windows.set(index, window);
    if (this.#windows.size > MAX_WINDOWS) this.#evict(this.#windows.keys().next().value!);
    return window;
  }

  #evict(index: number): void {
    const window = this.#windows.get(index);
    if (!window) return;
    this.#windows.delete(index);
    window.cached = false;
    recycle(window);
  }

  async #readUnchanged(start: number, length: number, into?: Buffer): Promise<Buffer | undefined> {
    if (!this.#files.unchanged(start, length)) return undefined;
    const data = await this.#files.read(start, length, into);
    return this.#files.unchanged(start, length) ? data : undefined;
  }

}

/** A piece whose bytes on disk are no longer those the .torrent describes. */
export class ContentChangedError extends Error {
  constructor(index: number) {
    super(`piece ${index} changed on disk since it was hashed`);
  }
}

