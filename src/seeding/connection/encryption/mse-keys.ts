// What both sides of BitTorrent's message stream encryption share: the Diffie-Hellman group and one
// key pair per connection, the spec's bounds, the hashes, and the RC4 keys each direction uses.
//
// One DiffieHellman object per process: creating one per connection makes Node run OpenSSL's
// DH_check on the prime each time, 21-32 ms of CPU per connection measured here, so 400
// connections that send 96 bytes would stall the seeder for 10 s. One object with a fresh private
// key per connection costs 0.2 ms.
import { createDiffieHellman, createHash, randomBytes, type DiffieHellman } from 'node:crypto';
import { Rc4 } from './rc4.ts';

/** The 768-bit safe prime of the spec, generator 2. */
const PRIME = Buffer.from(
  'ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f14374fe1356d6d51c245e485b576625e7ec6f44c42e9a63a36210000000000090563',
  'hex',
);
export const KEY_LENGTH = 96;
/** The spec bounds every padding to 512 bytes. */
export const MAX_PAD = 512;
/** The verification constant: 8 zero bytes, encrypted. */
export const VC_LENGTH = 8;
export const CRYPTO_PLAINTEXT = 0x01;
export const CRYPTO_RC4 = 0x02;

export class MseError extends Error {}

/** What the handshake settled: the payload's ciphers (none for plaintext) and its first bytes. */
export interface MseResult {
  method: 'plaintext' | 'rc4';
  /** Our payload to them, and theirs to us; undefined when the payload is plaintext. */
  encrypt: Rc4 | undefined;
  decrypt: Rc4 | undefined;
  /** Payload bytes already received, decrypted. */
  payload: Buffer;
}

let sharedGroup: DiffieHellman | undefined;

/** One key pair per connection from the one group object: DH_check runs once per process. */
export function keyPair(): { publicKey: Buffer; secretWith: (theirs: Buffer) => Buffer } {
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
      try {
        return padKey(group.computeSecret(theirs));
      } catch (error) {
        // A key of 0, 1 or p-1 and beyond: OpenSSL refuses them, and so do we.
        throw new MseError(`bad Diffie-Hellman key: ${(error as Error).message}`);
      }
    },
  };
}

function padKey(key: Buffer): Buffer {
  if (key.length === KEY_LENGTH) return key;
  const padded = Buffer.alloc(KEY_LENGTH);
  key.copy(padded, KEY_LENGTH - key.length);
  return padded;
}

export function sha1(...parts: Array<string | Uint8Array>): Buffer {
  const hash = createHash('sha1');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** HASH('req2', SKEY) xor HASH('req3', S): which torrent the initiator asks for, hidden. */
export function obfuscatedInfoHash(infoHash: Buffer, secret: Buffer): Buffer {
  const hidden = sha1('req2', infoHash);
  const mask = sha1('req3', secret);
  for (let at = 0; at < hidden.length; at++) hidden[at] = hidden[at]! ^ mask[at]!;
  return hidden;
}

/** The two keystreams: `keyA` carries the initiator's bytes, `keyB` the responder's. */
export function streamCiphers(secret: Buffer, infoHash: Buffer): { initiatorToResponder: Rc4; responderToInitiator: Rc4 } {
  return { initiatorToResponder: new Rc4(sha1('keyA', secret, infoHash)), responderToInitiator: new Rc4(sha1('keyB', secret, infoHash)) };
}
