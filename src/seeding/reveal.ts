// Which pieces the seeder tells each recipient it has (super-seeding, BEP 16, with a window sized
// to keep the uplink full): each piece to one recipient first, so the others fetch it from that one.

/** Pieces told to a recipient and not yet fetched by it, in bytes: twice aria2c's largest request queue (256 x 16 KiB). */
export const REVEAL_WINDOW_BYTES = 8 * 1024 * 1024;
/**
 * A lone recipient's window is at least what it fetched from us in this long (at its rate over the
 * last seconds): it has no fellow to fetch from, so holding pieces back from it saves nothing, and a
 * fast client that asks in pulses needs more than 8 MiB told ahead. Transmission 3.00 alone on a
 * veth link fetched 100 MiB in 15.0 s with the 8 MiB window, 10.0 s with 2 s of its rate, 8.0 s with
 * 4 s, and 6.3 s told everything at once. With fellows the window stays at 8 MiB: 4 s of each one's
 * rate for four aria2c at 1 Gbit/s sent 1.15 times the file instead of 1.11.
 */
export const REVEAL_WINDOW_SECONDS = 4;
/** Never fewer than this many pieces in the window, whatever the piece length. */
const MIN_WINDOW_PIECES = 4;

/** Pieces to announce to a recipient now: a list, or every piece it lacks. */
export type Reveal = number[] | 'all';

interface Told {
  /** Told to this recipient alone and not yet held by it. */
  pending: Set<number>;
  /** Already told everything. */
  all: boolean;
}

/**
 * Why: a seeder that says "I have everything" gets asked by every recipient for the pieces rarest in
 * its own view, and those include pieces on their way to another recipient. aria2c keeps a piece it
 * asked us for on our connection until it has it: a refused block is asked for again at once, and
 * the piece cannot come from a fellow recipient meanwhile. Refusing copies therefore only delayed
 * them: four aria2c behind a 200 Mbit/s uplink still cost 1.22-1.32 times the file, a quarter of the
 * uplink spent on copies of pieces in flight. Telling each recipient only its own pieces stops the
 * copies at the source: it can ask us for nothing else, and gets the rest from the recipient each
 * piece was told to, as soon as that one announces it. The window (pieces told and not yet fetched)
 * keeps every recipient's request queue full, so the uplink never waits on a `have` round trip.
 * Once every piece has been told to someone and a recipient's window is empty, it is told
 * everything: what is left is the tail, where the uplink would otherwise idle, and the hand-out
 * policy decides what goes out. Holding back there was slower, measured with four aria2c at
 * 200 Mbit/s on a busy machine: aria2c recipients trade slowly among themselves (each unchokes
 * three peers, chosen every 10 s), so the last ones wait for the sharer. Against libtorrent in the
 * same runs (copies then served whenever the send queue had room): telling only the recipient
 * lacking most, in windows, 25.8-29.8 s (libtorrent 19.3-22.1 s); telling a recipient everything
 * once its fellows served it slower than its share of the uplink, 22.3-31.5 s and 1.30-1.62 times
 * the file (libtorrent 21.7-24.9 s, 1.26-1.30); everything to everyone, 22.2-24.6 s and 1.30-1.38
 * (libtorrent 21.0-21.4 s, 1.24-1.27).
 */
export class RevealPlan {
  readonly #pieceCount: number;
  readonly #window: number;
  /** Pieces told to nobody yet, in order (sequential reads suit the disk and its cache). */
  readonly #untold: number[] = [];
  #next = 0;
  readonly #told = new Map<unknown, Told>();

  readonly #pieceLength: number;
  /** A recipient's rate of fetching from us, bytes per second. */
  readonly #rateOf: (recipient: unknown) => number;

  constructor(options: { pieceCount: number; pieceLength: number; windowBytes?: number; rateOf?: (recipient: unknown) => number }) {
    this.#pieceCount = options.pieceCount;
    this.#pieceLength = options.pieceLength;
    this.#window = Math.max(MIN_WINDOW_PIECES, Math.ceil((options.windowBytes ?? REVEAL_WINDOW_BYTES) / options.pieceLength));
    this.#rateOf = options.rateOf ?? (() => 0);
  }

  /** The recipient's window in pieces: REVEAL_WINDOW_BYTES, or for a lone recipient REVEAL_WINDOW_SECONDS of its rate if more. */
  #windowOf(recipient: unknown): number {
    if (this.#told.size > 1) return this.#window;
    return Math.max(this.#window, Math.ceil((this.#rateOf(recipient) * REVEAL_WINDOW_SECONDS) / this.#pieceLength));
  }

  /** Whether every piece has been told to some recipient. */
  get exhausted(): boolean {
    return this.#untold.length === 0 && this.#next >= this.#pieceCount;
  }

  /** A recipient's connection is ready; `holds` says which pieces it has already. */
  join(recipient: unknown, holds: (index: number) => boolean): Reveal {
    this.#told.set(recipient, { pending: new Set(), all: false });
    return this.topUp(recipient, holds);
  }

  /**
   * The recipient announced a piece (`have`), or many (`bitfield`, no index), or fetched all of one
   * from us: fills its window again.
   */
  got(recipient: unknown, index: number | undefined, holds: (index: number) => boolean): Reveal {
    const pending = this.#told.get(recipient)?.pending;
    if (index !== undefined) pending?.delete(index);
    else for (const told of pending ?? []) if (holds(told)) pending!.delete(told);
    return this.topUp(recipient, holds);
  }

  /** Whether the piece is in the recipient's window: told to it, and neither announced nor fetched by it yet. */
  inWindow(recipient: unknown, index: number): boolean {
    return this.#told.get(recipient)?.pending.has(index) ?? false;
  }

  /** A recipient left: the pieces told to it alone and not fetched go to the next one asking. */
  leave(recipient: unknown): void {
    const told = this.#told.get(recipient);
    this.#told.delete(recipient);
    if (told) this.#untold.unshift(...told.pending);
  }

  /**
   * The recipient asks for nothing in its window (it wants other pieces: a few files of a folder, the
   * end of a file first): it is told everything, and the pieces of its window go back to the others.
   */
  tellAll(recipient: unknown): Reveal {
    const told = this.#told.get(recipient);
    if (!told || told.all) return [];
    told.all = true;
    this.#untold.unshift(...[...told.pending].sort((a, b) => a - b));
    told.pending.clear();
    return 'all';
  }

  /** Whether the recipient has been told everything. */
  toldAll(recipient: unknown): boolean {
    return this.#told.get(recipient)?.all ?? false;
  }

  /** New pieces for the recipient's window, or `all` once no piece is left untold and its window is empty. */
  topUp(recipient: unknown, holds: (index: number) => boolean): Reveal {
    const told = this.#told.get(recipient);
    if (!told || told.all) return [];
    const reveal: number[] = [];
    const window = this.#windowOf(recipient);
    while (told.pending.size < window) {
      const index = this.#takeUntold(holds);
      if (index === undefined) break;
      told.pending.add(index);
      reveal.push(index);
    }
    if (told.pending.size > 0 || !this.exhausted) return reveal;
    told.all = true;
    return 'all';
  }

  /** The next piece told to nobody that this recipient lacks; pieces it holds stay for the others. */
  #takeUntold(holds: (index: number) => boolean): number | undefined {
    const skipped: number[] = [];
    let found: number | undefined;
    while (found === undefined) {
      const index = this.#untold.length > 0 ? this.#untold.shift() : this.#next < this.#pieceCount ? this.#next++ : undefined;
      if (index === undefined) break;
      if (holds(index)) skipped.push(index);
      else found = index;
    }
    this.#untold.unshift(...skipped);
    return found;
  }
}
