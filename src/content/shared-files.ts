// The shared files on disk: descriptors opened on demand within a budget derived from `ulimit -n`,
// reads that cross file boundaries, and the in-place check that a file is still the version that
// was hashed.
import { closeSync, fstatSync, openSync, read, statSync } from 'node:fs';
import { openFileBudget } from './descriptor-budget.ts';
import { partsOf } from './file-spans.ts';

export interface ReaderFile {
  path: string;
  /** Where its bytes start in the concatenation of all files. */
  offset: number;
  length: number;
  /** The version that was hashed. */
  mtimeNs: bigint;
  /** A block device: fstat gives it no size, so its length stands for it. */
  blockDevice?: boolean;
}

/** What tells one version of a file from another: its size and its modification time. */
export interface FileState {
  size: bigint;
  mtimeNs: bigint;
}

/** A file no longer at its path: no size, and a time no file has. */
const GONE: FileState = { size: 0n, mtimeNs: -1n };

interface Descriptor {
  fd: number;
  /** Reads under way on it: it is closed only once they are done. */
  reads: number;
  /** Let go of (at close()) while a read was under way: closed as soon as its last read is done. */
  released: boolean;
}

export class SharedFiles {
  readonly #files: ReaderFile[];
  readonly #budget: number;
  /** Open descriptors, least recently used first. */
  readonly #open = new Map<string, Descriptor>();
  /** Let go of while a read was under way on them: still open, and counted. */
  #closing = 0;
  /** Reads waiting for a descriptor while every one in the budget has a read under way. */
  readonly #waiting: Array<() => void> = [];
  #closed = false;

  constructor(files: ReaderFile[], budget = openFileBudget()) {
    this.#files = files;
    this.#budget = budget;
  }

  /** Descriptors open now: never more than the budget. */
  get openDescriptors(): number {
    return this.#open.size + this.#closing;
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
      const descriptor = this.#take(part.file) ?? (await this.#takeSoon(part.file));
      try {
        await readFully(descriptor.fd, buffer.subarray(done, done + part.length), part.at, part.file.path);
      } finally {
        descriptor.reads -= 1;
        if (descriptor.reads === 0) this.#idle(descriptor);
      }
      done += part.length;
    }
    return buffer;
  }

  /**
   * fstat of an open file, or stat of one that is not open (no descriptor taken for it): system
   * calls of microseconds that never wait for the disk, so they are made in place rather than
   * through the thread pool (which costs far more than the call). A block device's size is its
   * length: (f)stat says 0, and its size does not change under us. A file that is no longer there
   * (deleted, moved, unreadable) stands as one cut to nothing: changed, and none of its pieces sent.
   */
  stat(file: ReaderFile): FileState {
    const open = this.#open.get(file.path);
    const stats = open ? fstatSync(open.fd, { bigint: true }) : statSync(file.path, { bigint: true, throwIfNoEntry: false });
    if (stats === undefined) return GONE;
    return { size: file.blockDevice ? BigInt(file.length) : stats.size, mtimeNs: stats.mtimeNs };
  }

  /**
   * The file's descriptor, counted as read from until #idle() is called: opened in place (it is
   * quick) if there is room in the budget, made by closing the least recently used idle descriptors
   * (close(2) of a file is quick too). Undefined when every descriptor has a read under way.
   */
  #take(file: ReaderFile): Descriptor | undefined {
    if (this.#closed) throw new Error('the shared files are closed');
    let descriptor = this.#open.get(file.path);
    if (descriptor !== undefined) {
      // Most recently used goes last.
      this.#open.delete(file.path);
      this.#open.set(file.path, descriptor);
      descriptor.reads += 1;
      return descriptor;
    }
    for (const [key, idle] of this.#open) {
      if (this.openDescriptors < this.#budget) break;
      if (idle.reads > 0) continue;
      this.#open.delete(key);
      closeSync(idle.fd);
    }
    if (this.openDescriptors >= this.#budget) return undefined;
    descriptor = { fd: this.#openFile(file.path), reads: 1, released: false };
    this.#open.set(file.path, descriptor);
    return descriptor;
  }

  /** Waits for a read under way to finish and free a descriptor (reads take milliseconds). */
  async #takeSoon(file: ReaderFile): Promise<Descriptor> {
    for (;;) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
      const descriptor = this.#take(file);
      if (descriptor) return descriptor;
    }
  }

  /** A descriptor's last read is done: closed if it was let go of, and a waiting read may go on. */
  #idle(descriptor: Descriptor): void {
    if (descriptor.released) {
      this.#closing -= 1;
      closeSync(descriptor.fd);
    }
    this.#waiting.shift()?.();
  }

  /** Out of descriptors all the same (sockets took them): give back every idle one and try once more. */
  #openFile(path: string): number {
    try {
      return openSync(path, 'r');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EMFILE' && code !== 'ENFILE') throw error;
      for (const [key, descriptor] of [...this.#open]) {
        if (descriptor.reads > 0) continue;
        this.#open.delete(key);
        closeSync(descriptor.fd);
      }
      return openSync(path, 'r');
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    // Reads still waiting for a descriptor fail (the reader is closed: nobody awaits their bytes).
    for (const wake of this.#waiting.splice(0)) wake();
    for (const descriptor of this.#open.values()) {
      if (descriptor.reads === 0) {
        closeSync(descriptor.fd);
      } else {
        descriptor.released = true;
        this.#closing += 1;
      }
    }
    this.#open.clear();
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
