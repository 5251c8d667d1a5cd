// Answers one peer's queued block and metadata requests lazily: a block is read only when the
// peer's socket and the seeder's send budget have room for it, so 2000 queued requests are 2000
// small records, not 2000 blocks in memory, and a peer asking for the info dictionary again and
// again without reading has it queued once.
import type { Outbox, LentBytes } from './outbox.ts';
import { RateMeter } from './rate.ts';
import { RequestQueue } from './request-queue.ts';
import { HOLD_SECONDS, holdAllowance, PEER_MIN_HOLD_BYTES, PEER_READS, type SendBudget } from '../send-budget.ts';
import { extendedHeader, pieceHeader } from './messages.ts';
import type { MetadataPieces } from './metadata.ts';

/** Where blocks come from: the ContentReader. */
export interface BlockSource {
  readonly pieceCount: number;
  lengthOfPiece(index: number): number;
  lend(index: number, offset: number, length: number, callback: (error: Error | null, lease?: LentBytes) => void): void;
  /** Whether the piece is known to have changed on disk since it was hashed. */
  refuses?(index: number): boolean;
}

export interface ServingContext {
  reader: BlockSource;
  /** Whether to send a block of this piece now (see HandOutPolicy), and what was sent. */
  mayServe: (piece: number, requester?: unknown) => boolean;
  onServed: (piece: number, bytes: number) => void;
  budget: SendBudget;
  /** The info dictionary's pieces, for ut_metadata (BEP 9). */
  metadata: MetadataPieces;
}

/** A metadata answer is ours, shared by every connection: nothing to hand back. */
const notLent = (bytes: Buffer): LentBytes => ({ bytes, release: () => {} });

export class BlockServer {
  readonly requests: RequestQueue;
  readonly rate = new RateMeter();
  /** Metadata pieces asked for and not yet sent, each once, and the peer's id for ut_metadata. */
  readonly #metadataWanted = new Set<number>();
  #metadataId = 0;
  uploaded = 0;
  /** Called when a block went out, and when one will not be served (to send a BEP 6 reject). */
  readonly #onSent: (index: number, length: number) => void;
  readonly #reject: (index: number, offset: number, length: number) => void;
  readonly #context: ServingContext;
  readonly #outbox: Outbox;
  #reads = 0;
  #closed = false;
  #pumping = false;
  readonly #resume = (): void => this.pump();

  constructor(context: ServingContext, outbox: Outbox, onSent: (index: number, length: number) => void, reject: (index: number, offset: number, length: number) => void) {
    this.#context = context;
    this.#outbox = outbox;
    this.#onSent = onSent;
    this.#reject = reject;
    this.requests = new RequestQueue(context.budget);
  }

  /** Requests queued or blocks unsent: the peer is being served. */
  get busy(): boolean {
    return this.requests.size > 0 || this.#metadataWanted.size > 0 || this.#outbox.hasUnsent;
  }

  /** Queues a piece of the info dictionary for the peer, which calls ut_metadata `extensionId`. */
  askMetadata(piece: number, extensionId: number): void {
    this.#metadataId = extensionId;
    this.#metadataWanted.add(piece);
    this.pump();
  }

  /**
   * Reads the next blocks while this peer's and the seeder's unsent data leave room: the peer may
   * hold a few seconds of the rate at which it reads (see holdAllowance). Unsent is counted twice:
   * the buffers blocks keep alive (many blocks can share one hot read window) and the bytes queued
   * on the socket (each block queued is a write of its own).
   */
  pump(): void {
    // The reader answers from a cached window synchronously: its callback must not start a second
    // loop inside this one.
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      this.#fill();
    } finally {
      this.#pumping = false;
    }
  }

  #fill(): void {
    const { budget } = this.#context;
    const rate = this.#outbox.drainRate();
    const allowance = holdAllowance(rate);
    // A slow peer's blocks are copied out of the reader's windows: each keeps its own 16 KiB alive.
    const copy = rate * HOLD_SECONDS < PEER_MIN_HOLD_BYTES;
    while (!this.#closed && this.#reads < PEER_READS && this.#outbox.ledger.bytes < allowance && this.#outbox.queuedBytes < allowance) {
      if (!budget.hasRoom()) return budget.wait(this.#resume);
      if (this.#sendMetadata()) continue;
      const request = this.requests.shift();
      if (!request) return;
      if (!this.#context.mayServe(request.index)) {
        this.requests.done(request);
        this.#reject(request.index, request.offset, request.length);
        continue;
      }
      this.#reads += 1;
      budget.reads += 1;
      this.#context.reader.lend(request.index, request.offset, request.length, (error, lease) => {
        this.#reads -= 1;
        budget.reads -= 1;
        this.requests.done(request);
        // Cancelled meanwhile, or the connection is gone: nothing will write the block.
        if (this.#closed || request.cancelled) lease?.release();
        // The piece no longer matches what was hashed (the file changed): refused, not sent.
        else if (!lease) this.#reject(request.index, request.offset, request.length);
        else this.#send(request.index, request.offset, lease, copy);
        budget.freed();
        this.pump();
      });
    }
  }

  close(): void {
    this.#closed = true;
    this.#context.budget.forget(this.#resume);
    this.requests.clear();
    this.#metadataWanted.clear();
  }

  /** Sends the next metadata piece asked for, if any. */
  #sendMetadata(): boolean {
    const [piece] = this.#metadataWanted;
    if (piece === undefined) return false;
    this.#metadataWanted.delete(piece);
    const answer = this.#context.metadata.answer(piece);
    this.#outbox.sendBlock(extendedHeader(this.#metadataId, answer.length), notLent(answer));
    return true;
  }

  #send(index: number, offset: number, lease: LentBytes, copy: boolean): void {
    const length = lease.bytes.length;
    this.#context.onServed(index, length);
    this.#outbox.sendBlock(pieceHeader(index, offset, length), lease, copy);
    this.uploaded += length;
    this.rate.add(length);
    this.#onSent(index, length);
  }
}
