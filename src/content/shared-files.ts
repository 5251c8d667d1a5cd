// The shared files on disk: descriptors opened once and kept in a bounded list, reads that cross
// file boundaries, and the in-place check that a file is still the version that was hashed.
import { close, fstatSync, openSync, read, type BigIntStats } from 'node:fs';
import { partsOf } from './file-spans.ts';

export interface ReaderFile {
  path: string;
  /** Where its bytes start in the concatenation of all files. */
  offset: number;
  length: number;
  /** The version that was hashed. */
  mtimeNs: bigint;
}

/** Enough descriptors for any realistic fan-out of requests, few enough for any ulimit. */
const MAX_OPEN_FILES = 64;

export class SharedFiles {
  readonly #files: ReaderFile[];
  /** Open descriptors, least recently used first. */
  readonly #open = new Map<string, number>();

  constructor(files: ReaderFile[]) {
    this.#files = files;
  }

  /** Whether every file holding bytes [start, start + length) is still the version that was hashed. */
  unchanged(start: number, length: number): boolean {
    for (const part of this.partsOf(start, length)) {
      const stats = this.stat(part.file);
      if (Number(stats.size) !== part.file.length || stats.mtimeNs !== part.file.mtimeNs) return false;
    }
    return true;
  }

  /** The files (and the part of each) that hold bytes [start, start + length). */
  partsOf(start: number, length: number): Array<{ file: ReaderFile; at: number; length: number }> {
    return partsOf(this.#files, start, length);
  }

  async read(start: number, length: number, into?: Buffer): Promise<Buffer> {
    const buffer = into ? into.subarray(0, length) : Buffer.allocUnsafe(length);
    let done = 0;
    for (const part of this.partsOf(start, length)) {
      const fd = this.#fd(part.file);
      await readFully(fd, buffer.subarray(done, done + part.length), part.at, part.file.path);
      done += part.length;
    }
    return buffer;
  }

  /**
   * fstat of an open file: a system call of about a microsecond that never waits for the disk, so
   * it is made in place rather than through the thread pool (which costs far more than the call).
   */
  stat(file: ReaderFile): BigIntStats {
    return fstatSync(this.#fd(file), { bigint: true });
  }

  /** Opened once (in place: it is quick, and once per file), kept while it is in use. */
  #fd(file: ReaderFile): number {
    let fd = this.#open.get(file.path);
    if (fd !== undefined) {
      // Most recently used goes last.
      this.#open.delete(file.path);
      this.#open.set(file.path, fd);
      return fd;
    }
    fd = openSync(file.path, 'r');
    this.#open.set(file.path, fd);
    if (this.#open.size > MAX_OPEN_FILES) {
      const [oldestPath, oldest] = this.#open.entries().next().value as [string, number];
      this.#open.delete(oldestPath);
      // Reads already under way on it finish first: close a little later.
      setTimeout(() => void closeFd(oldest), 1000).unref();
    }
    return fd;
  }

  async close(): Promise<void> {
    const open = [...this.#open.values()];
    this.#open.clear();
    await Promise.all(open.map((fd) => closeFd(fd)));
  }
}

function readFully(fd: number, buffer: Buffer, position: number, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (done: number): void => {
      read(fd, buffer, done, buffer.length - done, position + done, (error, bytesRead) => {
        if (error) return reject(error);
        if (bytesRead === 0) return reject(new Error(`\`${file}\` is shorter than it was: nothing at byte ${position + done}`));
        if (done + bytesRead < buffer.length) step(done + bytesRead);
        else resolve();
      });
    };
    step(0);
  });
}

function closeFd(fd: number): Promise<void> {
  return new Promise((resolve) => close(fd, () => resolve()));
}
