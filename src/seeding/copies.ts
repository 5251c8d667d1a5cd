// Which pieces have left this process whole: to each recipient, and to anybody at all (BitTorrent
// and HTTP together). The only ground on which a recipient is believed to have the file (see
// output/tally.ts): its own claims (a `have all`, a full bitfield, a `completed` announce) cost a
// peer nothing to make.

/** What one more block changed. */
export interface Delivery {
  /** This recipient has now been sent every piece whole. */
  all: boolean;
  /** Every piece has now left whole to somebody, and no whole copy has been confirmed yet. */
  copy: boolean;
}

const NOTHING_NEW: Delivery = { all: false, copy: false };

/** The pieces sent to one recipient: bytes of those under way, and which were sent whole. */
class Delivered {
  readonly partial = new Map<number, number>();
  readonly whole: Uint8Array;
  count = 0;

  constructor(pieceCount: number) {
    this.whole = new Uint8Array(Math.ceil(pieceCount / 8));
  }

  has(index: number): boolean {
    return (this.whole[index >> 3]! & (0x80 >> (index & 7))) !== 0;
  }

  /** Adds bytes of a piece; true when they complete it. Bytes past the piece's length count for nothing. */
  add(index: number, bytes: number, pieceLength: number): boolean {
    if (this.has(index)) return false;
    const total = (this.partial.get(index) ?? 0) + bytes;
    if (total < pieceLength) {
      this.partial.set(index, total);
      return false;
    }
    this.partial.delete(index);
    this.whole[index >> 3]! |= 0x80 >> (index & 7);
    this.count += 1;
    return true;
  }
}

/**
 * Bytes sent are counted per piece, per recipient (a connection, or every HTTP response taken
 * together) and in all. A recipient was sent a piece whole once it was sent as many bytes of it as
 * the piece holds; the piece has left once as many bytes of it went out in all, to whoever: in a
 * swarm a recipient may put a piece together from blocks we sent it and blocks a fellow passed on.
 * A peer that asks for the same block again and again pays for each copy in its own download.
 */
export class CopyLedger {
  readonly #pieceCount: number;
  readonly #lengthOfPiece: (index: number) => number;
  readonly #pieceLength: number;
  readonly #byRecipient = new WeakMap<object, Delivered>();
  /** Bytes of each piece sent, to anybody. */
  readonly #anybody: Delivered;
  /** The bytes HTTP responses sent, as one recipient. */
  readonly #http = {};
  #confirmed = false;

  constructor(pieces: { pieceCount: number; pieceLength: number; lengthOfPiece(index: number): number }) {
    this.#pieceCount = pieces.pieceCount;
    this.#pieceLength = pieces.pieceLength;
    this.#lengthOfPiece = (index) => pieces.lengthOfPiece(index);
    this.#anybody = new Delivered(pieces.pieceCount);
  }

  /** Whether one whole copy is known to have left (see `confirm`). */
  get confirmed(): boolean {
    return this.#confirmed;
  }

  /** A block of the piece went out to the recipient (any object standing for one connection). */
  sent(recipient: object, index: number, bytes: number): Delivery {
    if (!Number.isInteger(index) || index < 0 || index >= this.#pieceCount || bytes <= 0) return NOTHING_NEW;
    let delivered = this.#byRecipient.get(recipient);
    if (!delivered) this.#byRecipient.set(recipient, (delivered = new Delivered(this.#pieceCount)));
    const length = this.#lengthOfPiece(index);
    const all = delivered.add(index, bytes, length) && delivered.count === this.#pieceCount;
    const copy = this.#anybody.add(index, bytes, length) && !this.#confirmed && this.#anybody.count === this.#pieceCount;
    return all || copy ? { all, copy } : NOTHING_NEW;
  }

  /** Bytes sent over HTTP at `offset` in the content; true when they complete the first whole copy. */
  servedOverHttp(offset: number, bytes: number): boolean {
    let copy = false;
    for (let at = offset, end = offset + bytes; at < end; ) {
      const index = Math.floor(at / this.#pieceLength);
      const pieceEnd = Math.min(end, (index + 1) * this.#pieceLength);
      copy = this.sent(this.#http, index, pieceEnd - at).copy || copy;
      at = pieceEnd;
    }
    return copy;
  }

  /** The first whole copy has really gone (its last bytes are out of this process); true the first time. */
  confirm(): boolean {
    if (this.#confirmed || this.#anybody.count < this.#pieceCount) return false;
    this.#confirmed = true;
    return true;
  }
}
