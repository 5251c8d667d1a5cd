// The start of a connection, either way round. Incoming: tells a plain BitTorrent handshake from an
// MSE one by its first 20 bytes, runs the obfuscated handshake if it is one, and reads the peer's
// BitTorrent handshake. Outgoing (the seeder dialing a recipient, see ../dial-back.ts): sends ours
// plain, or after MSE as the initiator, and reads theirs. Pure logic over bytes: the wire feeds it
// what the socket receives.
import { MseInitiator } from './encryption/mse-initiator.ts';
import { MseResponder, type MseResult } from './encryption/mse.ts';
import type { Rc4 } from './encryption/rc4.ts';
import { HANDSHAKE_LENGTH, parseHandshake, PROTOCOL, type PeerHandshake } from './messages.ts';

export class HandshakeError extends Error {}

export interface HandshakeOutcome {
  peer: PeerHandshake;
  /** `none`: a plain BitTorrent handshake; otherwise what MSE settled for the payload. */
  encryption: 'none' | 'plaintext' | 'rc4';
  decrypt: Rc4 | undefined;
  /** Messages received after the handshake, decrypted. */
  rest: Buffer;
}

/** How a connection opens: the peer dialed us, or we dial it, plainly or with MSE offering `provide`. */
export type Opening = { direction: 'incoming' } | { direction: 'outgoing'; provide: 'plain' | number };

export interface HandshakeOptions {
  infoHash: Buffer;
  /** Refuse plain BitTorrent handshakes and MSE without RC4 (incoming). */
  requireEncryption: boolean;
  /** Writes raw bytes to the peer (the MSE steps). */
  send: (bytes: Buffer) => void;
  /** Sends our BitTorrent handshake, through `encrypt` from then on when RC4 was settled. */
  sendHandshake: (encrypt: Rc4 | undefined) => void;
}

export interface Handshaking {
  /** Takes the next bytes; returns the outcome once the peer's handshake is in. Throws on a bad one. */
  receive(chunk: Buffer): HandshakeOutcome | undefined;
}

/** The handshake for a connection that opens this way; an outgoing one has already spoken. */
export function openHandshake(opening: Opening, options: HandshakeOptions): Handshaking {
  if (opening.direction === 'incoming') return new IncomingHandshake(options);
  return new OutgoingHandshake(options, opening.provide);
}

/** Bytes after the encryption settled: the peer's handshake, checked, once all 68 bytes are in. */
class PeerHandshakeReader {
  readonly #infoHash: Buffer;
  #buffered: Buffer = Buffer.alloc(0);

  constructor(infoHash: Buffer) {
    this.#infoHash = infoHash;
  }

  append(chunk: Buffer): Buffer {
    this.#buffered = this.#buffered.length === 0 ? chunk : Buffer.concat([this.#buffered, chunk]);
    return this.#buffered;
  }

  read(settled: MseResult | undefined): HandshakeOutcome | undefined {
    if (this.#buffered.length < HANDSHAKE_LENGTH) return undefined;
    const peer = parseHandshake(Buffer.from(this.#buffered.subarray(0, HANDSHAKE_LENGTH)));
    if (!peer) throw new HandshakeError('not a BitTorrent handshake');
    if (!peer.infoHash.equals(this.#infoHash)) throw new HandshakeError('the peer asks for another torrent');
    return { peer, encryption: settled ? settled.method : 'none', decrypt: settled?.decrypt, rest: this.#buffered.subarray(HANDSHAKE_LENGTH) };
  }

  clear(): void {
    this.#buffered = Buffer.alloc(0);
  }
}

export class IncomingHandshake implements Handshaking {
  readonly #options: HandshakeOptions;
  readonly #reader: PeerHandshakeReader;
  #mse: MseResponder | undefined;
  #settled: MseResult | undefined;

  constructor(options: HandshakeOptions) {
    this.#options = options;
    this.#reader = new PeerHandshakeReader(options.infoHash);
  }

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
    const bytes = this.#reader.append(chunk);
    if (!this.#settled && !this.#mse) return this.#detect(bytes);
    return this.#answer(this.#reader.read(this.#settled));
  }

  #detect(bytes: Buffer): HandshakeOutcome | undefined {
    const plain = bytes.subarray(0, Math.min(bytes.length, PROTOCOL.length)).equals(PROTOCOL.subarray(0, Math.min(bytes.length, PROTOCOL.length)));
    if (plain && bytes.length < PROTOCOL.length) return undefined;
    if (plain) {
      if (this.#options.requireEncryption) throw new HandshakeError('a plain BitTorrent handshake, and encryption is required');
      return this.#answer(this.#reader.read(undefined));
    }
    // Anything else is the peer's Diffie-Hellman key: 96 bytes nobody can tell from noise.
    this.#mse = new MseResponder(this.#options.infoHash, this.#options.requireEncryption, this.#options.send);
    this.#reader.clear();
    return this.receive(bytes);
  }

  /** The peer spoke first: ours goes out once theirs is in. */
  #answer(outcome: HandshakeOutcome | undefined): HandshakeOutcome | undefined {
    if (outcome) this.#options.sendHandshake(this.#settled?.encrypt);
    return outcome;
  }
}

class OutgoingHandshake implements Handshaking {
  readonly #options: HandshakeOptions;
  readonly #reader: PeerHandshakeReader;
  readonly #mse: MseInitiator | undefined;
  #settled: MseResult | undefined;

  constructor(options: HandshakeOptions, provide: 'plain' | number) {
    this.#options = options;
    this.#reader = new PeerHandshakeReader(options.infoHash);
    if (provide === 'plain') {
      options.sendHandshake(undefined);
      return;
    }
    this.#mse = new MseInitiator(options.infoHash, provide, options.send);
    this.#mse.start();
  }

  receive(chunk: Buffer): HandshakeOutcome | undefined {
    if (this.#mse && !this.#settled) {
      const result = this.#mse.receive(chunk);
      if (!result) return undefined;
      this.#settled = result;
      this.#options.sendHandshake(result.encrypt);
      this.#reader.append(result.payload);
      return this.#reader.read(result);
    }
    if (this.#settled?.decrypt) this.#settled.decrypt.process(chunk);
    this.#reader.append(chunk);
    return this.#reader.read(this.#settled);
  }
}
