// The block requests a peer has queued with us (BEP 3 `request`), answered in order as its socket
// drains, with O(1) cancel: at libtorrent's queue length of 2000 a linear search per request and
// per cancel would cost millions of comparisons per second. Cancelled requests leave the list as
// soon as they outnumber the live ones, so a peer that requests and cancels in a loop while not
// reading (nothing is shifted then) holds at most twice its live requests.

export interface BlockRequest {
  index: number;
  offset: number;
  length: number;
  cancelled: boolean;
  /** Shifted: out of the waiting list, being answered. */
  taken: boolean;
}

/** Requests queued across every connection (the send budget keeps the count). */
export interface RequestTally {
  queuedRequests: number;
}

const keyOf = (index: number, offset: number, length: number): string => `${index}:${offset}:${length}`;
/** Below this many cancelled entries, the list is not worth compacting. */
const COMPACT_AFTER = 64;

export class RequestQueue {
  #items: BlockRequest[] = [];
  #head = 0;
  /** Cancelled requests still in `#items` past `#head`. */
  #cancelledInList = 0;
  readonly #live = new Map<string, BlockRequest>();
  readonly #tally: RequestTally;

  constructor(tally: RequestTally = { queuedRequests: 0 }) {
    this.#tally = tally;
  }

  /** Requests waiting or being answered, cancelled ones not counted. */
  get size(): number {
    return this.#live.size;
  }

  /** Entries kept in the waiting list, cancelled ones included: what the queue costs. */
  get listed(): number {
    return this.#items.length - this.#head;
  }

  has(index: number, offset: number, length: number): boolean {
    return this.#live.has(keyOf(index, offset, length));
  }

  /** Queues a request; a duplicate of one still waiting is ignored (as libtorrent does). */
  add(index: number, offset: number, length: number): void {
    const key = keyOf(index, offset, length);
    if (this.#live.has(key)) return;
    const request = { index, offset, length, cancelled: false, taken: false };
    this.#live.set(key, request);
    this.#tally.queuedRequests += 1;
    this.#items.push(request);
  }

  cancel(index: number, offset: number, length: number): void {
    const key = keyOf(index, offset, length);
    const request = this.#live.get(key);
    if (!request) return;
    request.cancelled = true;
    this.#forget(key);
    // Shifted requests (being answered) are out of the list already.
    if (request.taken) return;
    this.#cancelledInList += 1;
    if (this.#cancelledInList > COMPACT_AFTER && this.#cancelledInList * 2 > this.listed) this.#compact();
  }

  /**
   * The oldest request still waiting. It stays outstanding (counted, and cancellable: a cancel
   * sets `cancelled`) until `done()`.
   */
  shift(): BlockRequest | undefined {
    while (this.#head < this.#items.length) {
      const request = this.#items[this.#head]!;
      this.#head += 1;
      if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
        this.#items.splice(0, this.#head);
        this.#head = 0;
      }
      if (!request.cancelled) {
        request.taken = true;
        return request;
      }
      this.#cancelledInList -= 1;
    }
    return undefined;
  }

  /** The request was answered (or refused): no longer outstanding. */
  done(request: BlockRequest): void {
    const key = keyOf(request.index, request.offset, request.length);
    if (this.#live.get(key) === request) this.#forget(key);
  }

  clear(): void {
    this.#tally.queuedRequests -= this.#live.size;
    this.#items = [];
    this.#head = 0;
    this.#cancelledInList = 0;
    this.#live.clear();
  }

  #forget(key: string): void {
    this.#live.delete(key);
    this.#tally.queuedRequests -= 1;
  }

  #compact(): void {
    this.#items = this.#items.slice(this.#head).filter((request) => !request.cancelled);
    this.#head = 0;
    this.#cancelledInList = 0;
  }
}
