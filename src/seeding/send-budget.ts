// How much unsent data the seeder holds, per connection and in all, and who gives way when it is
// spent: the bound that keeps a peer which asks without reading (or hundreds of them) from growing
// the process's memory, and a peer that reads slowly on purpose from holding what others need.
// The numbers and their reasons are in docs/architecture.md ("What a peer may cost").
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
 * Per connection, what it may hold unsent: HOLD_SECONDS of the rate at which it takes data from
 * its socket, at least PEER_MIN_HOLD_BYTES and at most PEER_MAX_HOLD_BYTES (in buffers kept alive,
 * and again in bytes queued on the socket). The kernel's socket buffers come on top (several MiB on
 * loopback), so a peer that reads keeps its socket full and never meets the bound; one that reads
 * slowly holds a few seconds of its own rate; one that stops reading holds at most the floor once
 * its rate has gone.
 */
export const HOLD_SECONDS = 4;
export const PEER_MIN_HOLD_BYTES = 256 * 1024;
export const PEER_MAX_HOLD_BYTES = 4 * 1024 * 1024;
/** Reads in flight per connection: enough to keep a fast socket busy while the disk answers. */
export const PEER_READS = 8;
/**
 * All connections: 64 MiB of unsent buffers and 64 reads in flight (at most 64 more windows, 16 MiB),
 * on top of the ~110 MiB the seeder needs anyway: the process stays under 256 MiB whatever peers do.
 */
export const TOTAL_UNSENT_BYTES = 64 * 1024 * 1024;
export const TOTAL_READS = 64;
/**
 * Block requests queued across all connections (2000 each, see limits.ts): a queued request is a
 * ~150-byte record, so 200 connections with full queues would be 60 MiB. 64 Ki requests are 1 GiB
 * of blocks asked for, 32 libtorrent recipients at their full queue; past it requests are refused.
 */
export const TOTAL_QUEUED_REQUESTS = 64 * 1024;
/**
 * When the budget is spent and connections wait, a holder with more than this many seconds of its
 * own rate unsent gives way (its connection is closed): it is the one keeping the others waiting.
 * A holder within its HOLD_SECONDS never does.
 */
export const GIVE_WAY_SECONDS = 8;
/**
 * A connection with data queued to it for STALL_WINDOW_SECONDS that took less than STALL_MIN_BYTES
 * of it in that time, and less than an eighth of what the fastest other such connection took, has
 * stopped reading (or reads slowly on purpose): it is closed. The comparison keeps recipients on a
 * saturated uplink (each slow because all share it) from being taken for stalled peers.
 */
export const STALL_WINDOW_SECONDS = 20;
export const STALL_MIN_BYTES = 64 * 1024;
const STALL_SHARE = 8;

/** What HOLD_SECONDS of this rate (bytes per second) allows a connection to hold. */
export function holdAllowance(rate: number): number {
  return Math.min(PEER_MAX_HOLD_BYTES, Math.max(PEER_MIN_HOLD_BYTES, rate * HOLD_SECONDS));
}

/** A connection's unsent data as the budget sees it (its Outbox). */
export interface Holder {
  /** Bytes of buffers its unsent data keeps alive. */
  readonly held: number;
  /** Since when it has had unsent data without a break (ms), or undefined. */
  readonly owingSince: number | undefined;
  /** Bytes its socket took over the last `seconds` seconds. */
  drained(seconds: number, now?: number): number;
  /** Closes the connection. */
  giveWay(): void;
}

/** The seeder-wide bound, the connections holding part of it, and those waiting for room. */
export class SendBudget {
  readonly ledger = new PinLedger();
  reads = 0;
  queuedRequests = 0;
  readonly holders = new Set<Holder>();
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

  get hasRoomForRequests(): boolean {
    return this.queuedRequests < TOTAL_QUEUED_REQUESTS;
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

  /** Once a second: closes stalled holders, then, while others wait for room, the slowest one. */
  sweep(now = Date.now()): void {
    for (const holder of stalledHolders(this.holders, now)) holder.giveWay();
    while (this.#waiting.size > 0 && this.ledger.bytes >= this.#maxBytes) {
      const slowest = slowestHolder(this.holders, now);
      if (!slowest) return;
      slowest.giveWay();
    }
  }
}

/** Holders owed data for a whole window that took almost none of it, while others took far more. */
export function stalledHolders(holders: Iterable<Holder>, now = Date.now()): Holder[] {
  const owing: Array<{ holder: Holder; drained: number }> = [];
  for (const holder of holders) if (holder.owingSince !== undefined) owing.push({ holder, drained: holder.drained(STALL_WINDOW_SECONDS, now) });
  let fastest = 0;
  let second = 0;
  for (const { drained } of owing) {
    if (drained >= fastest) [fastest, second] = [drained, fastest];
    else if (drained > second) second = drained;
  }
  return owing
    .filter(({ holder, drained }) => {
      if (now - holder.owingSince! < STALL_WINDOW_SECONDS * 1000 || drained >= STALL_MIN_BYTES) return false;
      // The fastest other: alone, nothing shows the uplink is shared, and it took too little.
      const fastestOther = owing.length === 1 ? Infinity : drained === fastest ? second : fastest;
      return drained * STALL_SHARE <= fastestOther;
    })
    .map(({ holder }) => holder);
}

/** The holder with the most seconds of its own rate unsent, if more than GIVE_WAY_SECONDS. */
export function slowestHolder(holders: Iterable<Holder>, now = Date.now()): Holder | undefined {
  let slowest: Holder | undefined;
  let slowestSeconds = GIVE_WAY_SECONDS;
  for (const holder of holders) {
    if (holder.held === 0) continue;
    const rate = holder.drained(5, now) / 5;
    const seconds = holder.held / Math.max(rate, 1);
    if (seconds > slowestSeconds) {
      slowest = holder;
      slowestSeconds = seconds;
    }
  }
  return slowest;
}
