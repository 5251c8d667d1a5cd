// Bytes the reader lends out of its window buffers, and when a buffer may be used again: only once
// every block lent from it was written out, and the window has left the reader's list.

/**
 * Window buffers kept for reuse once nothing uses them. Allocating a fresh 256 KiB buffer for
 * every window made V8 count 1 GiB of new external memory per GiB seeded, and run a full
 * (mark-compact) collection every ~20 MiB of it: 48 of them while seeding 1 GiB, a third of the
 * process's CPU time in GC threads. Reused buffers keep that churn near zero.
 */
const MAX_POOLED_WINDOWS = 32;

/** A window of the content in memory, and who still uses it. */
export interface Window {
  /** The whole buffer (the content's last window uses only the start of it). */
  buffer: Buffer;
  /** The bytes, once read and found to be the hashed version. */
  bytes: Buffer | undefined;
  /** Settles when the read is over: the bytes, or undefined if the files changed around it. */
  read: Promise<Buffer | undefined>;
  /** Leases of its bytes not yet released. */
  users: number;
  /** Still in the recently-read list, so new borrowers may come. */
  cached: boolean;
  /** Where its buffer goes once it is out of the list and nobody uses it. */
  pool: Buffer[];
}

/** A window out of the list whose bytes nobody holds any more lends its buffer to the next window. */
export function recycle(window: Window): void {
  if (!window.cached && window.users === 0 && window.pool.length < MAX_POOLED_WINDOWS) window.pool.push(window.buffer);
}

/** One user of the window is done with it. */
export function leave(window: Window): void {
  window.users -= 1;
  recycle(window);
}

/**
 * Bytes lent by the reader. They may be a view of a buffer the reader reuses: call `release()`
 * once they are written out (a socket's write callback), and do not touch them after. Bytes never
 * released are simply not reused.
 */
export class Lease {
  readonly bytes: Buffer;
  #window: Window | undefined;

  constructor(bytes: Buffer, window?: Window) {
    this.bytes = bytes;
    this.#window = window;
  }

  release(): void {
    const window = this.#window;
    if (!window) return;
    this.#window = undefined;
    leave(window);
  }
}
