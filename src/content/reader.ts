// Reads the shared bytes for whoever sends them (the seeder's peers, the web seed), and makes sure
// no byte goes out that is not the content the .torrent describes.
import type { FileRange } from './changed-ranges.ts';
import { leave, Lease, recycle, type Window } from './lease.ts';
import { PieceCheck, type PieceChange } from './piece-check.ts';
import { SharedFiles, type ReaderFile } from './shared-files.ts';

export { Lease } from './lease.ts';
export type { FileRange } from './changed-ranges.ts';
export type { PieceChange } from './piece-check.ts';
export type { ReaderFile } from './shared-files.ts';

export interface ContentReaderOptions {
  files: ReaderFile[];
  pieceLength: number;
  /** Concatenated 20-byte SHA-1 digests, to re-check pieces once the content has changed. */
  pieces: Buffer;
  /** Called once per piece found changed (and once with `undefined` when a change is first seen). */
  onChange: (change: PieceChange | undefined) => void;
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
 * sent (PieceCheck); a piece that no longer matches is refused, so nobody receives data that is not
 * the content the .torrent describes, and every piece that still matches is still served, even from
 * a file cut short, as long as the piece lies wholly before its new end.
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
  readonly #check: PieceCheck;
  #closed = false;
  #changed = false;

  constructor(options: ContentReaderOptions) {
    this.#options = options;
    this.pieceLength = options.pieceLength;
    this.length = options.files.reduce((sum, file) => sum + file.length, 0);
    this.#files = new SharedFiles(options.files);
    this.#check = new PieceCheck(this.#files, options);
  }

  /** Whether a shared file was seen to differ from the hashed version. */
  get changed(): boolean {
    return this.#changed;
  }

  /** Whether the piece is known not to match the .torrent any more (no read: for whom to tell of it). */
  refuses(index: number): boolean {
    if (!this.#changed || this.#closed) return false;
    try {
      return this.#check.refuses(index);
    } catch {
      // A file that can no longer be opened: unknown here, and refused when it is read.
      return false;
    }
  }

  /**
   * The pieces `first` to `last` that no longer match: those known, and those found by reading the
   * unknown ones while `budgetBytes` lasts. None while the files are the hashed version.
   */
  async refusedIn(first: number, last: number, budgetBytes: number): Promise<number[]> {
    if (this.#closed) return [];
    if (!this.#changed) {
      const start = first * this.pieceLength;
      if (this.#files.unchanged(start, Math.min(this.length, (last + 1) * this.pieceLength) - start)) return [];
      this.#noticeChange();
    }
    return this.#check.refusedIn(first, last, budgetBytes);
  }

  /** The byte ranges of changed files these refused pieces cover, merged, per file. */
  changedRanges(pieces: readonly number[]): FileRange[] {
    return this.#check.changedRanges(pieces);
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
    if (!this.#changed) {
      const bytes = await this.#readUnchanged(index * this.pieceLength + offset, length);
      if (bytes) return new Lease(bytes);
      this.#noticeChange();
    }
    const bytes = await this.#check.lend(index, offset, length);
    if (!bytes) throw new ContentChangedError(index);
    return new Lease(bytes);
  }

  /** The first sign of a change: windows read before it are dropped, and the change is reported. */
  #noticeChange(): void {
    if (this.#changed) return;
    this.#changed = true;
    for (const cached of [...this.#windows.keys()]) this.#evict(cached);
    this.#options.onChange(undefined);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#check.forget();
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
    try {
      const data = await this.#files.read(start, length, into);
      return this.#files.unchanged(start, length) ? data : undefined;
    } catch (error) {
      // A file cut short under the read is a change, not a failure.
      if (this.#files.unchanged(start, length)) throw error;
      return undefined;
    }
  }

}

/** A piece whose bytes on disk are no longer those the .torrent describes. */
export class ContentChangedError extends Error {
  readonly piece: number;

  constructor(index: number) {
    super(`piece ${index} changed on disk since it was hashed`);
    this.piece = index;
  }
}

