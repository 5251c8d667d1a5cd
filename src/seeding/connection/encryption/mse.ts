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
// connection: Node runs OpenSSL's DH_check on the prime each time, 21-32 ms of CPU per connection
// measured here, so 400 connections that send 96 bytes would stall the seeder for 10 s. One
// object per process with a fresh private key per connection costs 0.2 ms.
import { createDiffieHellman, createHash, randomBytes, randomInt, type DiffieHellman } from 'node:crypto';
import { Rc4 } from './rc4.ts';

/** The 768-bit safe prime of the spec, generator 2. */
const PRIME = Buffer.from(
  'ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f14374fe1356d6d51c245e485b576625e7ec6f44c42e9a63a36210000000000090563',
  'hex',
);
const KEY_LENGTH = 96;
/** The spec bounds every padding to 512 bytes: the sync hash must appear within PadA. */
const MAX_PAD = 512;
const VC_LENGTH = 8;
export const CRYPTO_PLAINTEXT = 0x01;
export const CRYPTO_RC4 = 0x02;

let sharedGroup: DiffieHellman | undefined;
/** One key pair per connection from the one group object: DH_check runs once per process. */
function keyPair(): { publicKey: Buffer; secretWith: (theirs: Buffer) => Buffer } {
  sharedGroup ??= createDiffieHellman(PRIME, 2);
  const group = sharedGroup;
  // 160 bits, as Vuze and libtorrent use; the spec asks for at least 128.
  group.setPrivateKey(randomBytes(20));
  const publicKey = padKey(group.generateKeys());
  const privateKey = group.getPrivateKey();
  return {
    publicKey,
    secretWith: (theirs) => {
      group.setPrivateKey(privateKey);
      return padKey(group.computeSecret(theirs));
    },
  };
}

function padKey(key: Buffer): Buffer {
  if (key.length === KEY_LENGTH) return key;
  const padded = Buffer.alloc(KEY_LENGTH);
  key.copy(padded, KEY_LENGTH - key.length);
  return padded;
}

function sha1(...parts: Array<string | Uint8Array>): Buffer {
  const hash = createHash('sha1');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** What the handshake settled: the payload's ciphers (none for plaintext) and its first bytes. */
export interface MseResult {
  method: 'plaintext' | 'rc4';
  /** Our payload to them, and theirs to us; undefined when the payload is plaintext. */
  encrypt: Rc4 | undefined;
  decrypt: Rc4 | undefined;
  /** Payload bytes already received (the IA and whatever followed it), decrypted. */
  payload: Buffer;
}

export class MseError extends Error {}

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
    try {
      this.#secret = pair.secretWith(theirs);
    } catch (error) {
      // Ya of 0, 1 or p-1 and beyond: OpenSSL refuses them, and so do we.
      throw new MseError(`bad Diffie-Hellman key: ${(error as Error).message}`);
    }
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
    const secret = this.#secret!;
    const expected = sha1('req2', this.#infoHash);
    const mask = sha1('req3', secret);
    for (let at = 0; at < 20; at++) if ((obfuscated[at]! ^ mask[at]!) !== expected[at]) throw new MseError('the peer asks for another torrent');
    this.#decrypt = new Rc4(sha1('keyA', secret, this.#infoHash));
    this.#encrypt = new Rc4(sha1('keyB', secret, this.#infoHash));
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
