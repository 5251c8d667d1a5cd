// Which pieces a peer says it holds (bitfield, have, have all), counted as they come so that
// "holds everything" needs no scan per message.
import { MessageId } from './messages.ts';

export class PeerPieces {
  readonly #count: number;
  #bits: Uint8Array;
  held = 0;
  /** Told of each piece the peer newly announces (no index: all of them at once). */
  onAdded: ((index: number | undefined) => void) | undefined;

  constructor(pieceCount: number) {
    this.#count = pieceCount;
    this.#bits = new Uint8Array(Math.ceil(pieceCount / 8));
  }

  /** Length of a valid bitfield message's payload. */
  get bitfieldLength(): number {
    return this.#bits.length;
  }

  get complete(): boolean {
    return this.held >= this.#count;
  }

  has(index: number): boolean {
    return (this.#bits[index >> 3]! & (0x80 >> (index & 7))) !== 0;
  }

  /** A `have`: indexes past the end are ignored. */
  add(index: number): void {
    if (index >= this.#count || this.has(index)) return;
    this.#bits[index >> 3]! |= 0x80 >> (index & 7);
    this.held += 1;
    this.onAdded?.(index);
  }

  addAll(): void {
    this.#bits.fill(0xff);
    this.held = this.#count;
    this.onAdded?.(undefined);
  }

  /** A `bitfield`: false if its length is wrong. */
  set(bits: Buffer): boolean {
    if (bits.length !== this.#bits.length) return false;
    this.#bits = new Uint8Array(this.#bits.length);
    this.held = 0;
    for (let index = 0; index < this.#count; index++) if (bits[index >> 3]! & (0x80 >> (index & 7))) this.add(index);
    return true;
  }

  /** The payload of a `have`, `bitfield` or `have all` message (`id`): false if it is malformed. */
  receive(id: number, payload: Buffer): boolean {
    if (id === MessageId.bitfield) return this.set(payload);
    if (id === MessageId.haveAll) this.addAll();
    else if (payload.length === 4) this.add(payload.readUInt32BE(0));
    else return false;
    return true;
  }
}
