// Cuts the bytes a peer sends into length-prefixed BitTorrent messages, refusing any length
// beyond what the seeder can ever need before a single byte of it is buffered.
//
// bittorrent-protocol's parser trusted the prefix: it read it as a signed 32-bit number (so 0x80000000
// and up became negative), and for a large one it kept every byte the peer sent, concatenating
// all of it again on each chunk, until the length was reached. Here the length is checked first
// and the chunks are kept as they came, joined once per message.

export class FrameError extends Error {}

/** A FIFO of received chunks, read from the front without copying what is not asked for. */
export class ByteQueue {
  #chunks: Buffer[] = [];
  #head = 0;
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  /** The big-endian uint32 at the front, without taking it; undefined if fewer than 4 bytes. */
  peekUint32(): number | undefined {
    if (this.#length < 4) return undefined;
    const first = this.#chunks[0]!;
    if (first.length - this.#head >= 4) return first.readUInt32BE(this.#head);
    return this.#copyFront(4).readUInt32BE(0);
  }

  /** The next `count` bytes (a view when they lie in one chunk), or undefined if not there yet. */
  take(count: number): Buffer | undefined {
    if (count > this.#length) return undefined;
    const first = this.#chunks[0];
    if (count === 0 || first === undefined) return Buffer.alloc(0);
    if (first.length - this.#head >= count) {
      const bytes = first.subarray(this.#head, this.#head + count);
      this.#head += count;
      this.#length -= count;
      if (this.#head === first.length) {
        this.#chunks.shift();
        this.#head = 0;
      }
      return bytes;
    }
    const bytes = this.#copyFront(count);
    this.#drop(count);
    return bytes;
  }

  /** Everything left, taken. */
  takeAll(): Buffer {
    return this.take(this.#length)!;
  }

  #copyFront(count: number): Buffer {
    const bytes = Buffer.allocUnsafe(count);
    let copied = 0;
    let head = this.#head;
    for (const chunk of this.#chunks) {
      copied += chunk.copy(bytes, copied, head, Math.min(chunk.length, head + count - copied));
      head = 0;
      if (copied === count) break;
    }
    return bytes;
  }

  #drop(count: number): void {
    this.#length -= count;
    while (count > 0) {
      const first = this.#chunks[0]!;
      const available = first.length - this.#head;
      if (available > count) {
        this.#head += count;
        return;
      }
      count -= available;
      this.#chunks.shift();
      this.#head = 0;
    }
  }
}

/**
 * Takes whole messages (id and payload, without the length prefix) from the queue. A keep-alive
 * comes out as an empty buffer. Throws FrameError for a length over `maxLength`.
 */
export function nextMessage(queue: ByteQueue, maxLength: number): Buffer | undefined {
  const length = queue.peekUint32();
  if (length === undefined) return undefined;
  if (length > maxLength) throw new FrameError(`a message of ${length} bytes, more than the ${maxLength} any message can need`);
  if (queue.length < 4 + length) return undefined;
  queue.take(4);
  return queue.take(length)!;
}
