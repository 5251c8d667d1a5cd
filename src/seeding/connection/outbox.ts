// Writes one connection's messages to its socket: batched per tick, encrypted when the peer chose
// RC4, and each lent block handed back to the reader only once the socket is done with it. It is
// the connection's account with the send budget: what it holds unsent, and how fast the peer takes it.
import type { Socket } from 'node:net';
import type { Rc4 } from './encryption/rc4.ts';
import { RateMeter } from './rate.ts';
import { STALLED_BYTES, STALLED_SECONDS } from './limits.ts';
import { PinLedger, STALL_WINDOW_SECONDS, type Holder, type SendBudget } from '../send-budget.ts';

/** Bytes lent by the reader (ContentReader's Lease): `release()` once they are written out. */
export interface LentBytes {
  readonly bytes: Buffer;
  release(): void;
}

/** A block in the socket's queue: what to release and unpin once written. */
interface Unsent {
  lease: LentBytes | undefined;
  backing: ArrayBufferLike;
  length: number;
}

export class Outbox implements Holder {
  readonly #socket: Socket;
  readonly #budget: SendBudget;
  /** This connection's unsent blocks, by the buffers they keep alive. */
  readonly ledger = new PinLedger();
  readonly #unsent = new Set<Unsent>();
  /** Bytes of the unsent blocks (the rest of the socket's queue is our own messages). */
  #unsentBytes = 0;
  /** Bytes of blocks the socket has taken, second by second. */
  readonly #drained = new RateMeter(STALL_WINDOW_SECONDS);
  owingSince: number | undefined;
  #encrypt: Rc4 | undefined;
  #corked = false;
  #closed = false;
  /** Called after blocks are written, when there may be room for more. */
  onWritten: () => void = () => {};
  /** Closes the connection: the budget's call when it stalls or holds what others wait for. */
  giveWay: () => void = () => {};

  constructor(socket: Socket, budget: SendBudget) {
    this.#socket = socket;
    this.#budget = budget;
    budget.holders.add(this);
  }

  get held(): number {
    return this.ledger.bytes;
  }

  drained(seconds: number, now = Date.now()): number {
    return this.#drained.total(seconds, now);
  }

  /** Owed data for STALLED_SECONDS and took less than STALLED_BYTES of it meanwhile. */
  stalled(now = Date.now()): boolean {
    return this.owingSince !== undefined && now - this.owingSince > STALLED_SECONDS * 1000 && this.drained(STALLED_SECONDS, now) < STALLED_BYTES;
  }

  /** Bytes per second the peer took over the last few seconds. */
  drainRate(): number {
    return this.#drained.perSecond(5);
  }

  /** From now on everything sent is RC4-encrypted with this keystream. */
  encryptWith(cipher: Rc4): void {
    this.#encrypt = cipher;
  }

  get encrypted(): boolean {
    return this.#encrypt !== undefined;
  }

  /** Bytes written to the socket and not yet taken by the kernel. */
  get queuedBytes(): number {
    return this.#socket.writableLength;
  }

  get hasUnsent(): boolean {
    return this.#unsent.size > 0;
  }

  /** Our own messages (not blocks) queued on the socket. */
  get queuedOwnBytes(): number {
    return Math.max(0, this.#socket.writableLength - this.#unsentBytes);
  }

  /** Bytes of our own (a fresh buffer nobody else holds): encrypted in place when needed. */
  send(bytes: Buffer): void {
    if (this.#closed) return;
    this.#cork();
    this.#socket.write(this.#encrypt ? this.#encrypt.process(bytes) : bytes);
  }

  /**
   * A piece message: our header and a lent block. In plaintext the block goes out as lent (no copy)
   * and is released in the write callback. Encrypted, it is ciphered into a new buffer, since the
   * lent bytes are shared with other connections and reused by the reader: the lease is released
   * at once, and the copy is what stays unsent. `copy` does the same in plaintext, for a slow peer:
   * its block then keeps 16 KiB alive instead of the reader's whole window.
   */
  sendBlock(header: Buffer, lease: LentBytes, copy = false): void {
    if (this.#closed) {
      lease.release();
      return;
    }
    this.send(header);
    let bytes = lease.bytes;
    let held: LentBytes | undefined = lease;
    if (this.#encrypt || copy) {
      bytes = this.#encrypt ? this.#encrypt.copy(lease.bytes) : Buffer.from(lease.bytes);
      lease.release();
      held = undefined;
    }
    const entry: Unsent = { lease: held, backing: bytes.buffer, length: bytes.length };
    if (this.#unsent.size === 0) this.owingSince = Date.now();
    this.#unsent.add(entry);
    this.#unsentBytes += entry.length;
    this.ledger.pin(entry.backing);
    this.#budget.ledger.pin(entry.backing);
    this.#socket.write(bytes, () => {
      this.#drained.add(entry.length);
      this.#settle(entry);
      this.onWritten();
    });
  }

  /** Nothing will be written any more: every unsent block is handed back. */
  close(): void {
    this.#closed = true;
    this.#budget.holders.delete(this);
    for (const entry of [...this.#unsent]) this.#settle(entry);
  }

  #settle(entry: Unsent): void {
    if (!this.#unsent.delete(entry)) return;
    this.#unsentBytes -= entry.length;
    if (this.#unsent.size === 0) this.owingSince = undefined;
    entry.lease?.release();
    this.ledger.unpin(entry.backing);
    this.#budget.ledger.unpin(entry.backing);
    this.#budget.freed();
  }

  // Messages sent in the same tick go out in one writev: header and block of a piece message were
  // two writes, and seeding 1 GiB to aria2c took 1.7-1.9 s of CPU that way, 1.0-1.3 s corked.
  #cork(): void {
    if (this.#corked) return;
    this.#corked = true;
    this.#socket.cork();
    process.nextTick(() => {
      this.#corked = false;
      this.#socket.uncork();
    });
  }
}
