// The receiving side of BitTorrent's message stream encryption (MSE/PE, the "obfuscated
// handshake" of Vuze's spec, as libtorrent's pe_crypto and Transmission implement it):
//
//   1 A->B  Ya, PadA                 2 B->A  Yb, PadB
//   3 A->B  HASH('req1',S), HASH('req2',SKEY) xor HASH('req3',S),
//           ENCRYPT(VC, crypto_provide, len(PadC), PadC, len(IA)), ENCRYPT(IA)
//   4 B->A  ENCRYPT(VC, crypto_select, len(PadD), PadD), then the payload stream
//
// Written here rather than taken from bittorrent-protocol's mse.js, which is bound into its Wire
// (whose parser this seeder bypasses, see ../wire.ts) and creates a DiffieHellman object per
// connection (see mse-keys.ts for what that costs). The initiating side is mse-initiator.ts.
import { randomBytes, randomInt } from 'node:crypto';
import { CRYPTO_PLAINTEXT, CRYPTO_RC4, keyPair, MAX_PAD, KEY_LENGTH, MseError, obfuscatedInfoHash, sha1, streamCiphers, VC_LENGTH, type MseResult } from './mse-keys.ts';
import type { Rc4 } from './rc4.ts';

export { CRYPTO_PLAINTEXT, CRYPTO_RC4, MseError, type MseResult } from './mse-keys.ts';

/**
 * Which method to answer a crypto_provide with: RC4 when the peer offers only RC4 or when
 * encryption is required; otherwise plaintext after the obfuscated handshake, so the payload costs
 * no cipher (libtorrent and Transmission choose the same way when they prefer plaintext).
 */
export function selectCrypto(provide: number, requireEncryption: boolean): number | undefined {
  if (requireEncryption) return provide & CRYPTO_RC4 ? CRYPTO_RC4 : undefined;
  if (provide & CRYPTO_PLAINTEXT) return CRYPTO_PLAINTEXT;
  if (provide & CRYPTO_RC4) return CRYPTO_RC4;
  return undefined;
}

type Step = 'publicKey' | 'sync' | 'streamKey' | 'provide' | 'padC' | 'initialLength' | 'initial';

/** Fed the bytes a peer sends from its first byte; answers through `send`. */
export class MseResponder {
  readonly #infoHash: Buffer;
  readonly #requireEncryption: boolean;
  readonly #send: (bytes: Buffer) => void;
  #buffered: Buffer = Buffer.alloc(0);
  #step: Step = 'publicKey';
  #secret: Buffer | undefined;
  #syncHash: Buffer | undefined;
  /** How many bytes past Ya may still be padding before the sync hash must have come. */
  #syncSearched = 0;
  #decrypt: Rc4 | undefined;
  #encrypt: Rc4 | undefined;
  #provide = 0;
  #need = KEY_LENGTH;

  constructor(infoHash: Buffer, requireEncryption: boolean, send: (bytes: Buffer) => void) {
    this.#infoHash = infoHash;
    this.#requireEncryption = requireEncryption;
    this.#send = send;
  }

  /** Takes the next bytes; returns the result once the handshake is over. Throws MseError. */
  receive(chunk: Buffer): MseResult | undefined {
    this.#buffered = this.#buffered.length === 0 ? chunk : Buffer.concat([this.#buffered, chunk]);
    for (;;) {
      if (this.#step === 'sync') {
        if (!this.#findSync()) return undefined;
        continue;
      }
      if (this.#buffered.length < this.#need) return undefined;
      const bytes = this.#take(this.#need);
      const result = this.#advance(bytes);
      if (result) return result;
    }
  }

  #take(count: number): Buffer {
    const bytes = this.#buffered.subarray(0, count);
    this.#buffered = this.#buffered.subarray(count);
    return bytes;
  }

  #advance(bytes: Buffer): MseResult | undefined {
    switch (this.#step) {
      case 'publicKey':
        return this.#onPublicKey(bytes);
      case 'streamKey':
        return this.#onStreamKey(bytes);
      case 'provide':
        return this.#onProvide(this.#decrypt!.process(Buffer.from(bytes)));
      case 'padC':
        this.#decrypt!.process(Buffer.from(bytes));
        return this.#expect('initialLength', 2);
      case 'initialLength': {
        const length = this.#decrypt!.process(Buffer.from(bytes)).readUInt16BE(0);
        if (length === 0) return this.#finish(Buffer.alloc(0));
        return this.#expect('initial', length);
      }
      case 'initial':
        return this.#finish(Buffer.from(this.#decrypt!.process(Buffer.from(bytes))));
      default:
        throw new MseError(`unexpected step ${this.#step}`);
    }
  }

  #expect(step: Step, need: number): undefined {
    this.#step = step;
    this.#need = need;
    return undefined;
  }

  #onPublicKey(theirs: Buffer): undefined {
    const pair = keyPair();
    this.#secret = pair.secretWith(theirs);
    this.#syncHash = sha1('req1', this.#secret);
    this.#send(Buffer.concat([pair.publicKey, randomBytes(randomInt(MAX_PAD + 1))]));
    this.#step = 'sync';
    return undefined;
  }

  /** Finds HASH('req1', S) after PadA; more than 512 bytes of padding is not MSE. */
  #findSync(): boolean {
    const at = this.#buffered.indexOf(this.#syncHash!);
    if (at === -1) {
      if (this.#syncSearched + this.#buffered.length >= MAX_PAD + this.#syncHash!.length) throw new MseError('no sync hash within 512 bytes of padding');
      // Keep the last 19 bytes: the hash may straddle two chunks.
      const keep = Math.min(this.#buffered.length, this.#syncHash!.length - 1);
      this.#syncSearched += this.#buffered.length - keep;
      this.#buffered = this.#buffered.subarray(this.#buffered.length - keep);
      return false;
    }
    if (this.#syncSearched + at > MAX_PAD) throw new MseError('no sync hash within 512 bytes of padding');
    this.#buffered = this.#buffered.subarray(at + this.#syncHash!.length);
    this.#expect('streamKey', 20);
    return true;
  }

  #onStreamKey(obfuscated: Buffer): undefined {
    if (!obfuscated.equals(obfuscatedInfoHash(this.#infoHash, this.#secret!))) throw new MseError('the peer asks for another torrent');
    const ciphers = streamCiphers(this.#secret!, this.#infoHash);
    this.#decrypt = ciphers.initiatorToResponder;
    this.#encrypt = ciphers.responderToInitiator;
    return this.#expect('provide', VC_LENGTH + 4 + 2);
  }

  #onProvide(plain: Buffer): undefined {
    for (let at = 0; at < VC_LENGTH; at++) if (plain[at] !== 0) throw new MseError('bad verification constant');
    this.#provide = plain.readUInt32BE(VC_LENGTH);
    const padLength = plain.readUInt16BE(VC_LENGTH + 4);
    if (padLength > MAX_PAD) throw new MseError(`PadC of ${padLength} bytes, more than 512`);
    if (selectCrypto(this.#provide, this.#requireEncryption) === undefined) throw new MseError(`no acceptable method in crypto_provide ${this.#provide}`);
    return padLength === 0 ? this.#expect('initialLength', 2) : this.#expect('padC', padLength);
  }

  #finish(initialPayload: Buffer): MseResult {
    const select = selectCrypto(this.#provide, this.#requireEncryption)!;
    const answer = Buffer.alloc(VC_LENGTH + 4 + 2);
    answer.writeUInt32BE(select, VC_LENGTH);
    // len(PadD) 0: padding here hides nothing the random PadB has not.
    this.#send(this.#encrypt!.process(answer));
    const rc4 = select === CRYPTO_RC4;
    const rest = this.#buffered;
    this.#buffered = Buffer.alloc(0);
    if (rc4) this.#decrypt!.process(rest);
    return {
      method: rc4 ? 'rc4' : 'plaintext',
      encrypt: rc4 ? this.#encrypt : undefined,
      decrypt: rc4 ? this.#decrypt : undefined,
      payload: rest.length === 0 ? initialPayload : Buffer.concat([initialPayload, rest]),
    };
  }
}
