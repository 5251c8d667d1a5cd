// How much unsent data the seeder holds, per connection and in all: the bound that keeps a peer
// which asks without reading (or hundreds of them) from growing the process's memory.
//
// A block the reader lends is a view of a buffer it reuses (a 256 KiB read window, or a whole
// piece once the files have changed), and that whole buffer stays in memory until the socket has
// written the block. So the cost of an unsent block is the buffer behind it, counted once however
// many unsent blocks share it: that is what these ledgers count, by the block's ArrayBuffer.

/** The buffers a set of unsent blocks keeps alive, and their bytes. */
export class PinLedger {
  #pins = new Map<ArrayBufferLike, number>();
  bytes = 0;

  pin(backing: ArrayBufferLike): void {
    const count = this.#pins.get(backing) ?? 0;
    if (count === 0) this.bytes += backing.byteLength;
    this.#pins.set(backing, count + 1);
  }

  unpin(backing: ArrayBufferLike): void {
    const count = this.#pins.get(backing);
    if (count === undefined) return;
    if (count > 1) {
      this.#pins.set(backing, count - 1);
      return;
    }
    this.#pins.delete(backing);
    this.bytes -= backing.byteLength;
  }
}

/**
 * Per connection: 4 MiB of buffers (16 read windows) and 4 MiB queued on the socket. The kernel's
 * socket buffers come on top (several MiB on loopback), so a peer that reads keeps its socket full
 * and never meets the bound; a peer that stops reading holds at most that much of our memory.
 */
export const PEER_UNSENT_BYTES = 4 * 1024 * 1024;
/** Reads in flight per connection: enough to keep a fast socket busy while the disk answers. */
export const PEER_READS = 8;
/**
 * All connections: 64 MiB of unsent buffers and 64 reads in flight (at most 64 more windows, 16 MiB),
 * on top of the ~110 MiB the seeder needs anyway: the process stays under 256 MiB whatever peers do.
 * Sixteen peers that all stop reading reach it; the next ones wait for them to drain or be dropped
 * (see SEND_STALL_MS in limits.ts).
 */
export const TOTAL_UNSENT_BYTES = 64 * 1024 * 1024;
export const TOTAL_READS = 64;

/** The seeder-wide bound, and the connections waiting for room under it. */
export class SendBudget {
  readonly ledger = new PinLedger();
  reads = 0;
  readonly #waiting = new Set<() => void>();
  readonly #maxBytes: number;
  readonly #maxReads: number;

  constructor(maxBytes = TOTAL_UNSENT_BYTES, maxReads = TOTAL_READS) {
    this.#maxBytes = maxBytes;
    this.#maxReads = maxReads;
  }

  hasRoom(): boolean {
    return this.ledger.bytes < this.#maxBytes && this.reads < this.#maxReads;
  }

  /** Calls `resume` once, the next time room is freed. */
  wait(resume: () => void): void {
    this.#waiting.add(resume);
  }

  forget(resume: () => void): void {
    this.#waiting.delete(resume);
  }

  /** Room was freed: every waiting connection tries again (each stops once the room is gone). */
  freed(): void {
    if (this.#waiting.size === 0 || !this.hasRoom()) return;
    const waiting = [...this.#waiting];
    this.#waiting.clear();
    for (const resume of waiting) resume();
  }
}
