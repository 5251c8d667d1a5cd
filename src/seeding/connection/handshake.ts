// The start of an incoming connection: tells a plain BitTorrent handshake from an MSE one by its
// first 20 bytes, runs the obfuscated handshake if it is one, and reads the peer's BitTorrent
// handshake. Pure logic over bytes: the wire feeds it what the socket receives.
import { MseResponder, type MseResult } from './encryption/mse.ts';
import type { Rc4 } from './encryption/rc4.ts';
import { HANDSHAKE_LENGTH, parseHandshake, PROTOCOL, type PeerHandshake } from './messages.ts';

export class HandshakeError extends Error {}

export interface HandshakeOutcome {
  peer: PeerHandshake;
  /** `none`: a plain BitTorrent handshake; otherwise what MSE settled for the payload. */
  encryption: 'none' | 'plaintext' | 'rc4';
  encrypt: Rc4 | undefined;
  decrypt: Rc4 | undefined;
  /** Messages received after the handshake, decrypted. */
  rest: Buffer;
}

export interface HandshakeOptions {
  infoHash: Buffer;
  /** Refuse plain BitTorrent handshakes and MSE without RC4. */
  requireEncryption: boolean;
  /** Writes raw bytes to the peer (the MSE answers). */
  send: (bytes: Buffer) => void;
}

export class IncomingHandshake {
  readonly #options: HandshakeOptions;
  #buffered: Buffer = Buffer.alloc(0);
  #mse: MseResponder | undefined;
  #settled: MseResult | undefined;

  constructor(options: HandshakeOptions) {
    this.#options = options;
  }

  /** Takes the next bytes; returns the outcome once the peer's handshake is in. Throws on a bad one. */
  receive(chunk: Buffer): HandshakeOutcome | undefined {
    if (this.#mse && !this.#settled) {
      const result = this.#mse.receive(chunk);
      if (!result) return undefined;
      this.#settled = result;
      return this.#append(result.payload);
    }
    if (this.#settled?.decrypt) this.#settled.decrypt.process(chunk);
    return this.#append(chunk);
  }

  #append(chunk: Buffer): HandshakeOutcome | undefined {
    this.#buffered = this.#buffered.length === 0 ? chunk : Buffer.concat([this.#buffered, chunk]);
    if (!this.#settled && !this.#mse) return this.#detect();
    return this.#readHandshake();
  }

  #detect(): HandshakeOutcome | undefined {
    const bytes = this.#buffered;
    const plain = bytes.subarray(0, Math.min(bytes.length, PROTOCOL.length)).equals(PROTOCOL.subarray(0, Math.min(bytes.length, PROTOCOL.length)));
    if (plain && bytes.length < PROTOCOL.length) return undefined;
    if (plain) {
      if (this.#options.requireEncryption) throw new HandshakeError('a plain BitTorrent handshake, and encryption is required');
      return this.#readHandshake();
    }
    // Anything else is the peer's Diffie-Hellman key: 96 bytes nobody can tell from noise.
    this.#mse = new MseResponder(this.#options.infoHash, this.#options.requireEncryption, this.#options.send);
    this.#buffered = Buffer.alloc(0);
    return this.receive(bytes);
  }

  #readHandshake(): HandshakeOutcome | undefined {
    if (this.#buffered.length < HANDSHAKE_LENGTH) return undefined;
    const peer = parseHandshake(Buffer.from(this.#buffered.subarray(0, HANDSHAKE_LENGTH)));
    if (!peer) throw new HandshakeError('not a BitTorrent handshake');
    if (!peer.infoHash.equals(this.#options.infoHash)) throw new HandshakeError('the peer asks for another torrent');
    const settled = this.#settled;
    return {
      peer,
      encryption: settled ? settled.method : 'none',
      encrypt: settled?.encrypt,
      decrypt: settled?.decrypt,
      rest: this.#buffered.subarray(HANDSHAKE_LENGTH),
    };
  }
}
