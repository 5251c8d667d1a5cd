// RC4, the stream cipher of BitTorrent's message stream encryption, in plain TypeScript.
//
// Node 17+ builds on OpenSSL 3, whose default provider has no RC4 (`createCipheriv('rc4')` throws
// unless Node runs with --openssl-legacy-provider), so the cipher is written out here. Measured
// on this project's shared 2-core machine (Node 24, 16 KiB blocks, CPU time of the process): 270-300
// MiB per CPU second once warm, 100-250 while six other jobs loaded the machine; Uint8Array and
// Int32Array state measured the same. A recipient that insists on RC4 costs the seeder 3.5-10 ms
// of CPU per MiB, paid only on connections that chose RC4.

/** One direction of an RC4 stream: the key schedule, then the keystream position. */
export class Rc4 {
  readonly #state = new Uint8Array(256);
  #i = 0;
  #j = 0;

  /** MSE discards the first 1024 bytes of each keystream (they leak the key). */
  constructor(key: Uint8Array, discard = 1024) {
    const state = this.#state;
    for (let index = 0; index < 256; index++) state[index] = index;
    let j = 0;
    for (let index = 0; index < 256; index++) {
      j = (j + state[index]! + key[index % key.length]!) & 0xff;
      const swap = state[index]!;
      state[index] = state[j]!;
      state[j] = swap;
    }
    this.#skip(discard);
  }

  /** XORs the keystream into `input`, in place. */
  process<T extends Uint8Array>(input: T): T {
    this.#xor(input, input);
    return input;
  }

  /** The keystream applied to a copy: for bytes that belong to someone else (a lent block). */
  copy(input: Uint8Array): Buffer {
    const output = Buffer.allocUnsafe(input.length);
    this.#xor(input, output);
    return output;
  }

  #xor(input: Uint8Array, output: Uint8Array): void {
    const state = this.#state;
    let i = this.#i;
    let j = this.#j;
    const length = input.length;
    for (let at = 0; at < length; at++) {
      i = (i + 1) & 0xff;
      const si = state[i]!;
      j = (j + si) & 0xff;
      const sj = state[j]!;
      state[i] = sj;
      state[j] = si;
      output[at] = input[at]! ^ state[(si + sj) & 0xff]!;
    }
    this.#i = i;
    this.#j = j;
  }

  #skip(count: number): void {
    this.process(new Uint8Array(count));
  }
}
