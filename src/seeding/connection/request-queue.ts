// The block requests a peer has queued with us (BEP 3 `request`), answered in order as its socket
// drains, with O(1) cancel: at libtorrent's queue length of 2000 a linear search per request and
// per cancel would cost millions of comparisons per second.

export interface BlockRequest {
  index: number;
  offset: number;
  length: number;
  cancelled: boolean;
}

const keyOf = (index: number, offset: number, length: number): string => `${index}:${offset}:${length}`;

export class RequestQueue {
  readonly #items: BlockRequest[] = [];
  #head = 0;
  readonly #live = new Map<string, BlockRequest>();

  /** Requests waiting or being answered, cancelled ones not counted. */
  get size(): number {
    return this.#live.size;
  }

  has(index: number, offset: number, length: number): boolean {
    return this.#live.has(keyOf(index, offset, length));
  }

  /** Queues a request; a duplicate of one still waiting is ignored (as libtorrent does). */
  add(index: number, offset: number, length: number): void {
    const key = keyOf(index, offset, length);
    if (this.#live.has(key)) return;
    const request = { index, offset, length, cancelled: false };
    this.#live.set(key, request);
    this.#items.push(request);
  }

  cancel(index: number, offset: number, length: number): void {
    const key = keyOf(index, offset, length);
    const request = this.#live.get(key);
    if (!request) return;
    request.cancelled = true;
    this.#live.delete(key);
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
      if (!request.cancelled) return request;
    }
    return undefined;
  }

  /** The request was answered (or refused): no longer outstanding. */
  done(request: BlockRequest): void {
    const key = keyOf(request.index, request.offset, request.length);
    if (this.#live.get(key) === request) this.#live.delete(key);
  }

  clear(): void {
    this.#items.length = 0;
    this.#head = 0;
    this.#live.clear();
  }
}
