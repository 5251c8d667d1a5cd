// Once a shared file changed: which pieces still match their SHA-1, found by reading each whole, and
// remembered for as long as the files it lies in stay as they were when it was checked.
import { createHash } from 'node:crypto';
import { mergeRanges, type FileRange } from './changed-ranges.ts';
import type { FileState, ReaderFile, SharedFiles } from './shared-files.ts';

/** A piece that no longer matches, and its parts (in file coordinates) in the files that changed. */
export interface PieceChange {
  index: number;
  parts: FileRange[];
}

export interface PieceCheckOptions {
  files: readonly ReaderFile[];
  pieceLength: number;
  /** Concatenated 20-byte SHA-1 digests. */
  pieces: Buffer;
  onChange: (change: PieceChange) => void;
}

interface Verdict {
  matches: boolean;
  /** The size and mtime of the piece's files when it was checked: the verdict holds while they do. */
  state: string;
}

interface PieceState {
  state: string;
  parts: Array<{ file: ReaderFile; at: number; length: number }>;
  stats: FileState[];
}

/** A read that failed because a file shrank under it is tried again, this often at most. */
const READ_ATTEMPTS = 3;

export class PieceCheck {
  readonly #files: SharedFiles;
  readonly #options: PieceCheckOptions;
  readonly #length: number;
  readonly #fileIndex: Map<ReaderFile, number>;
  /** At most one per piece. */
  readonly #verdicts = new Map<number, Verdict>();
  /** Checks under way, so that everyone asking for one piece meanwhile waits for one read. */
  readonly #pending = new Map<number, Promise<Buffer | undefined>>();
  /** Pieces reported as changed (each once), with their changed parts. */
  readonly #reported = new Map<number, FileRange[]>();
  /** The size each shortened file had when the pieces past its end were marked. */
  readonly #markedShort = new Map<ReaderFile, bigint>();
  /** The last piece found to match, to lend its blocks without reading it again. */
  #lastMatch: { index: number; state: string; data: Buffer } | undefined;

  constructor(files: SharedFiles, options: PieceCheckOptions) {
    this.#files = files;
    this.#options = options;
    this.#length = options.files.reduce((sum, file) => sum + file.length, 0);
    this.#fileIndex = new Map(options.files.map((file, index) => [file, index]));
  }

  /** Whether the piece is known not to match, as its files are now. */
  refuses(index: number): boolean {
    const verdict = this.#verdicts.get(index);
    return verdict !== undefined && !verdict.matches && verdict.state === this.#stateOf(index).state;
  }

  /** `length` bytes at `offset` in the piece, or undefined when the piece no longer matches. */
  async lend(index: number, offset: number, length: number): Promise<Buffer | undefined> {
    const { state } = this.#stateOf(index);
    const verdict = this.#verdicts.get(index);
    if (verdict?.state === state) {
      if (!verdict.matches) return undefined;
      const last = this.#lastMatch;
      if (last?.index === index && last.state === state) return last.data.subarray(offset, offset + length);
      // Found right, and its files untouched since: the block alone is read, and is right unless
      // a write came in meanwhile.
      const bytes = await this.#files.read(index * this.#options.pieceLength + offset, length).catch(() => undefined);
      if (bytes && this.#stateOf(index).state === state) return bytes;
    }
    return (await this.verify(index))?.subarray(offset, offset + length);
  }

  /** The piece's bytes if they match its SHA-1, read whole; undefined if they do not. */
  verify(index: number): Promise<Buffer | undefined> {
    let pending = this.#pending.get(index);
    if (!pending) {
      pending = this.#verify(index, READ_ATTEMPTS).finally(() => this.#pending.delete(index));
      this.#pending.set(index, pending);
    }
    return pending;
  }

  /**
   * The pieces from `first` to `last` known not to match, after checking the unknown ones in order
   * while `budgetBytes` lasts. Pieces past the new end of a shortened file are known without a read.
   */
  async refusedIn(first: number, last: number, budgetBytes: number): Promise<number[]> {
    const { pieceLength } = this.#options;
    const start = first * pieceLength;
    const parts = this.#files.partsOf(start, Math.min(this.#length, (last + 1) * pieceLength) - start);
    this.#markShortened(parts, parts.map((part) => this.#files.stat(part.file)));
    const refused: number[] = [];
    let budget = budgetBytes;
    for (let index = first; index <= last; index++) {
      const verdict = this.#verdicts.get(index);
      if (verdict && verdict.state === this.#stateOf(index).state) {
        if (!verdict.matches) refused.push(index);
      } else if (budget > 0) {
        budget -= pieceLength;
        if (!(await this.verify(index))) refused.push(index);
      }
    }
    return refused;
  }

  /** The changed parts of these pieces, merged into ranges per file. */
  changedRanges(pieces: readonly number[]): FileRange[] {
    return mergeRanges(pieces.flatMap((index) => this.#reported.get(index) ?? []));
  }

  forget(): void {
    this.#lastMatch = undefined;
  }

  async #verify(index: number, attempts: number): Promise<Buffer | undefined> {
    const { state, parts, stats } = this.#stateOf(index);
    this.#markShortened(parts, stats);
    const start = index * this.#options.pieceLength;
    const length = Math.min(this.#options.pieceLength, this.#length - start);
    const fits = parts.every((part, at) => stats[at]!.size >= BigInt(part.at + part.length));
    let data: Buffer | undefined;
    if (fits) {
      try {
        data = await this.#files.read(start, length);
      } catch (error) {
        // Shortened while it was read: look again. Anything else is a failure to read.
        if (this.#stateOf(index).state === state || attempts <= 1) throw error;
        return this.#verify(index, attempts - 1);
      }
    }
    const expected = this.#options.pieces.subarray(index * 20, index * 20 + 20);
    // A match holds whatever was written during the read: the bytes are the hashed ones.
    const matches = data !== undefined && createHash('sha1').update(data).digest().equals(expected);
    this.#verdicts.set(index, { matches, state });
    if (matches) {
      this.#lastMatch = { index, state, data: data! };
      return data;
    }
    this.#report(index, parts, stats);
    return undefined;
  }

  /** Every piece past the new end of a file that shrank is gone: marked and reported at once. */
  #markShortened(parts: PieceState['parts'], stats: FileState[]): void {
    parts.forEach(({ file }, at) => {
      const size = stats[at]!.size;
      if (size >= BigInt(file.length) || this.#markedShort.get(file) === size) return;
      this.#markedShort.set(file, size);
      const { pieceLength } = this.#options;
      const lastPiece = Math.floor((file.offset + file.length - 1) / pieceLength);
      for (let index = Math.floor((file.offset + Number(size)) / pieceLength); index <= lastPiece; index++) {
        const piece = this.#stateOf(index);
        this.#verdicts.set(index, { matches: false, state: piece.state });
        this.#report(index, piece.parts, piece.stats);
      }
    });
  }

  #report(index: number, parts: PieceState['parts'], stats: FileState[]): void {
    if (this.#reported.has(index)) return;
    const differs = (at: number): boolean => stats[at]!.size !== BigInt(parts[at]!.file.length) || stats[at]!.mtimeNs !== parts[at]!.file.mtimeNs;
    const changed = parts.filter((_, at) => differs(at));
    const ranges = (changed.length > 0 ? changed : parts).map((part) => ({ file: this.#fileIndex.get(part.file)!, start: part.at, end: part.at + part.length }));
    this.#reported.set(index, ranges);
    this.#options.onChange({ index, parts: ranges });
  }

  /** The size and mtime of every file holding the piece (fstat: a microsecond, no disk). */
  #stateOf(index: number): PieceState {
    const start = index * this.#options.pieceLength;
    const parts = this.#files.partsOf(start, Math.min(this.#options.pieceLength, this.#length - start));
    const stats = parts.map((part) => this.#files.stat(part.file));
    return { state: stats.map((stat) => `${stat.size}:${stat.mtimeNs}`).join(','), parts, stats };
  }
}
