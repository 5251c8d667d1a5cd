// Bytes per second over the last few seconds, for the progress display.

const SECONDS = 5;

export class RateMeter {
  readonly #buckets = new Float64Array(SECONDS);
  #second = 0;

  add(bytes: number, now = Date.now()): void {
    this.#advance(Math.floor(now / 1000));
    this.#buckets[this.#second % SECONDS]! += bytes;
  }

  perSecond(now = Date.now()): number {
    this.#advance(Math.floor(now / 1000));
    let sum = 0;
    for (const bytes of this.#buckets) sum += bytes;
    return sum / SECONDS;
  }

  #advance(second: number): void {
    if (second <= this.#second) return;
    const steps = Math.min(second - this.#second, SECONDS);
    for (let step = 1; step <= steps; step++) this.#buckets[(this.#second + step) % SECONDS] = 0;
    this.#second = second;
  }
}
