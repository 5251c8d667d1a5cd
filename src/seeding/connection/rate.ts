// Bytes per second over the last few seconds: a recipient's rate for the progress display and the
// reveal plan, and how fast a peer takes what is queued to it (see ../send-budget.ts).

export class RateMeter {
  readonly #buckets: Float64Array;
  #second = 0;

  /** `seconds`: how far back the meter remembers (one bucket a second). */
  constructor(seconds = 5) {
    this.#buckets = new Float64Array(seconds);
  }

  add(bytes: number, now = Date.now()): void {
    this.#advance(Math.floor(now / 1000));
    this.#buckets[this.#second % this.#buckets.length]! += bytes;
  }

  /** Bytes over the last `seconds` seconds (the current one included), at most the meter's span. */
  total(seconds = this.#buckets.length, now = Date.now()): number {
    this.#advance(Math.floor(now / 1000));
    const span = Math.min(seconds, this.#buckets.length);
    let sum = 0;
    for (let back = 0; back < span; back++) sum += this.#buckets[(this.#second - back + this.#buckets.length) % this.#buckets.length]!;
    return sum;
  }

  perSecond(seconds = this.#buckets.length, now = Date.now()): number {
    return this.total(seconds, now) / Math.min(seconds, this.#buckets.length);
  }

  #advance(second: number): void {
    if (second <= this.#second) return;
    const steps = Math.min(second - this.#second, this.#buckets.length);
    for (let step = 1; step <= steps; step++) this.#buckets[(this.#second + step) % this.#buckets.length] = 0;
    this.#second = second;
  }
}
