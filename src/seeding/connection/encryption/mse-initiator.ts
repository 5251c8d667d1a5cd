// The initiating side of message stream encryption, for the connections the seeder opens itself
// (see ../../dial-back.ts). The steps, as mse.ts draws them, from side A:
//
//   send Ya, PadA;  read Yb, PadB;  send the sync hash, the obfuscated info hash and
//   ENCRYPT(VC, crypto_provide, len(PadC) = 0, len(IA) = 0);  find ENCRYPT(VC) after PadB, read
//   crypto_select, len(PadD), PadD; the payload follows.
//
// The initial payload (IA) stays empty: the BitTorrent handshake goes out once the method is
// known, through the connection's outbox like every later message. That costs one round trip per
// connection the seeder opens, and keeps one path for sending.
import { randomBytes, randomInt } from 'node:crypto';
import { CRYPTO_PLAINTEXT, CRYPTO_RC4, KEY_LENGTH, keyPair, MAX_PAD, MseError, obfuscatedInfoHash, sha1, streamCiphers, VC_LENGTH, type MseResult } from './mse-keys.ts';
import type { Rc4 } from './rc4.ts';

type Step = 'publicKey' | 'sync' | 'select' | 'padD';

/** Speaks first (`start`), then is fed the bytes the responder sends. */
export class MseInitiator {
  readonly #infoHash: Buffer;
  /** The methods we offer: CRYPTO_PLAINTEXT and/or CRYPTO_RC4. */
  readonly #provide: number;
  readonly #send: (bytes: Buffer) => void;
  readonly #pair = keyPair();
  #buffered: Buffer = Buffer.alloc(0);
  #step: Step = 'publicKey';
  #need = KEY_LENGTH;
  #encrypt: Rc4 | undefined;
  #decrypt: Rc4 | undefined;
  /** ENCRYPT(VC) as the responder's keystream makes it: where its answer starts, after PadB. */
  #encryptedVc: Buffer | undefined;
  #searched = 0;
  #select = 0;

  constructor(infoHash: Buffer, provide: number, send: (bytes: Buffer) => void) {
    this.#infoHash = infoHash;
    this.#provide = provide;
    this.#send = send;
  }

  start(): void {
    this.#send(Buffer.concat([this.#pair.publicKey, randomBytes(randomInt(MAX_PAD + 1))]));
  }

  /** Takes the next bytes; returns the result once the handshake is over. Throws MseError. */
  receive(chunk: Buffer): MseResult | undefined {
    this.#buffered = this.#buffered.length === 0 ? chunk : Buffer.concat([this.#buffered, chunk]);
    for (;;) {
      if (this.#step === 'sync') {
        if (!this.#findVc()) return undefined;
        continue;
      }
      if (this.#buffered.length < this.#need) return undefined;
      const bytes = this.#buffered.subarray(0, this.#need);
      this.#buffered = this.#buffered.subarray(this.#need);
      if (this.#step === 'publicKey') this.#onPublicKey(bytes);
      else if (this.#step === 'select') this.#onSelect(this.#decrypt!.process(Buffer.from(bytes)));
      else return this.#finish();
    }
  }

  #onPublicKey(theirs: Buffer): void {
    const secret = this.#pair.secretWith(theirs);
    const ciphers = streamCiphers(secret, this.#infoHash);
    this.#encrypt = ciphers.initiatorToResponder;
    this.#decrypt = ciphers.responderToInitiator;
    this.#encryptedVc = streamCiphers(secret, this.#infoHash).responderToInitiator.process(Buffer.alloc(VC_LENGTH));
    const offer = Buffer.alloc(VC_LENGTH + 4 + 2 + 2);
    offer.writeUInt32BE(this.#provide, VC_LENGTH);
    this.#send(Buffer.concat([sha1('req1', secret), obfuscatedInfoHash(this.#infoHash, secret), this.#encrypt.process(offer)]));
    this.#step = 'sync';
  }

  /** Finds ENCRYPT(VC) after PadB; more than 512 bytes of padding is not MSE. */
  #findVc(): boolean {
    const pattern = this.#encryptedVc!;
    const at = this.#buffered.indexOf(pattern);
    if (at === -1 || this.#searched + at > MAX_PAD) {
      if (this.#searched + this.#buffered.length >= MAX_PAD + pattern.length) throw new MseError('no verification constant within 512 bytes of padding');
      // Keep the last 7 bytes: the constant may straddle two chunks.
      const keep = Math.min(this.#buffered.length, pattern.length - 1);
      this.#searched += this.#buffered.length - keep;
      this.#buffered = this.#buffered.subarray(this.#buffered.length - keep);
      return false;
    }
    this.#decrypt!.process(Buffer.from(this.#buffered.subarray(at, at + pattern.length)));
    this.#buffered = this.#buffered.subarray(at + pattern.length);
    this.#step = 'select';
    this.#need = 4 + 2;
    return true;
  }

  #onSelect(plain: Buffer): void {
    this.#select = plain.readUInt32BE(0);
    if (this.#select !== CRYPTO_PLAINTEXT && this.#select !== CRYPTO_RC4) throw new MseError(`crypto_select ${this.#select} is not one method`);
    if ((this.#select & this.#provide) === 0) throw new MseError(`crypto_select ${this.#select} was not offered`);
    const padLength = plain.readUInt16BE(4);
    if (padLength > MAX_PAD) throw new MseError(`PadD of ${padLength} bytes, more than 512`);
    this.#step = 'padD';
    this.#need = padLength;
  }

  #finish(): MseResult {
    // PadD (already taken off the buffer) still runs through the keystream.
    this.#decrypt!.process(Buffer.alloc(this.#need));
    const rc4 = this.#select === CRYPTO_RC4;
    const payload = this.#buffered;
    this.#buffered = Buffer.alloc(0);
    if (rc4) this.#decrypt!.process(payload);
    return { method: rc4 ? 'rc4' : 'plaintext', encrypt: rc4 ? this.#encrypt : undefined, decrypt: rc4 ? this.#decrypt : undefined, payload };
  }
}
