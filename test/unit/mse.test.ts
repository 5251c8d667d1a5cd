// Message stream encryption on the receiving side, against an independent implementation (the
// initiator of bittorrent-protocol, webtorrent's wire), and against bytes that are not MSE.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import Protocol from 'bittorrent-protocol';
import { CRYPTO_PLAINTEXT, CRYPTO_RC4, MseError, MseResponder, selectCrypto } from '../../src/seeding/connection/encryption/mse.ts';
import { Rc4 } from '../../src/seeding/connection/encryption/rc4.ts';
import { HandshakeError, IncomingHandshake, type HandshakeOutcome } from '../../src/seeding/connection/handshake.ts';

const INFO_HASH = randomBytes(20);

describe('RC4', () => {
  it('matches the published test vectors', () => {
    for (const [key, plain, cipher] of [
      ['Key', 'Plaintext', 'bbf316e8d940af0ad3'],
      ['Wiki', 'pedia', '1021bf0420'],
      ['Secret', 'Attack at dawn', '45a01f645fc35b383552544b9bf5'],
    ] as const) {
      assert.equal(new Rc4(Buffer.from(key), 0).process(Buffer.from(plain)).toString('hex'), cipher);
    }
  });

  it('encrypts a copy without touching the input, and the keystream runs on across calls', (t) => {
    const key = randomBytes(20);
    const input = randomBytes(64 * 1024);
    const original = Buffer.from(input);
    const inOneGo = new Rc4(key).copy(input);
    const stepwise = new Rc4(key);
    const inParts = Buffer.concat([stepwise.copy(input.subarray(0, 1000)), stepwise.copy(input.subarray(1000))]);
    assert.ok(input.equals(original));
    assert.ok(inOneGo.equals(inParts));
    assert.ok(new Rc4(key).process(inOneGo).equals(original));
    // Throughput, for the number next to the cipher (not asserted: the machine is shared).
    const cipher = new Rc4(key);
    const block = randomBytes(16 * 1024);
    const started = performance.now();
    for (let count = 0; count < 2048; count++) cipher.copy(block);
    t.diagnostic(`RC4: ${(32 / ((performance.now() - started) / 1000)).toFixed(0)} MiB/s`);
  });
});

describe('choosing the payload encryption', () => {
  it('takes plaintext when offered both, RC4 when that is all, nothing without a known method', () => {
    assert.equal(selectCrypto(CRYPTO_PLAINTEXT | CRYPTO_RC4, false), CRYPTO_PLAINTEXT);
    assert.equal(selectCrypto(CRYPTO_RC4, false), CRYPTO_RC4);
    assert.equal(selectCrypto(CRYPTO_PLAINTEXT, false), CRYPTO_PLAINTEXT);
    assert.equal(selectCrypto(0x10, false), undefined);
  });

  it('takes only RC4 when encryption is required', () => {
    assert.equal(selectCrypto(CRYPTO_PLAINTEXT | CRYPTO_RC4, true), CRYPTO_RC4);
    assert.equal(selectCrypto(CRYPTO_PLAINTEXT, true), undefined);
  });
});

/** bittorrent-protocol's initiator against our responder, in memory, our side fed `chunkSize` bytes at a time. */
function handshakeWith(peEnabled: 1 | 2, options: { requireEncryption?: boolean; chunkSize?: number } = {}): Promise<{ outcome: HandshakeOutcome; initiator: Protocol; encrypt: Rc4 | undefined }> {
  return new Promise((resolve, reject) => {
    const initiator = new Protocol('tcpOutgoing', peEnabled);
    let encrypt: Rc4 | undefined;
    const sendHandshake = (cipher: Rc4 | undefined): void => void (encrypt = cipher);
    const responder = new IncomingHandshake({ infoHash: INFO_HASH, requireEncryption: options.requireEncryption ?? false, send: (bytes) => initiator.write(bytes), sendHandshake });
    initiator.on('data', (chunk: Uint8Array) => {
      const bytes = Buffer.from(chunk);
      const size = options.chunkSize ?? bytes.length;
      try {
        for (let at = 0; at < bytes.length; at += size) {
          const outcome = responder.receive(Buffer.from(bytes.subarray(at, at + size)));
          if (outcome) resolve({ outcome, initiator, encrypt });
        }
      } catch (error) {
        reject(error as Error);
      }
    });
    initiator.once('crypto-handshake', () => initiator.handshake(INFO_HASH.toString('hex'), randomBytes(20).toString('hex'), { fast: true }));
    initiator.startEncryption(INFO_HASH.toString('hex'));
  });
}

/** The payload method bittorrent-protocol settled on: 1 plaintext, 2 RC4. */
const methodOf = (initiator: Protocol): number => (initiator as unknown as { _encryptor: { encryptionMethod: number } })._encryptor.encryptionMethod;

describe('the MSE responder', () => {
  it('settles RC4 with a peer that offers only RC4, and reads its handshake', async () => {
    const { outcome, initiator } = await handshakeWith(2);
    assert.equal(outcome.encryption, 'rc4');
    assert.ok(outcome.peer.infoHash.equals(INFO_HASH));
    assert.ok(outcome.peer.fast);
    assert.equal(methodOf(initiator), 2);
  });

  it('settles plaintext with a peer that offers both, so the payload costs no cipher', async () => {
    const { outcome, initiator, encrypt } = await handshakeWith(1);
    assert.equal(outcome.encryption, 'plaintext');
    assert.equal(encrypt, undefined);
    assert.equal(methodOf(initiator), 1);
  });

  it('settles RC4 with a peer that offers both when encryption is required', async () => {
    const { outcome, initiator } = await handshakeWith(1, { requireEncryption: true });
    assert.equal(outcome.encryption, 'rc4');
    assert.equal(methodOf(initiator), 2);
  });

  it('gets through the handshake fed one byte at a time', async () => {
    const { outcome } = await handshakeWith(2, { chunkSize: 1 });
    assert.equal(outcome.encryption, 'rc4');
  });

  it('refuses a plain BitTorrent handshake when encryption is required, and takes it otherwise', () => {
    const plain = Buffer.concat([Buffer.from('\u0013BitTorrent protocol'), Buffer.alloc(8), INFO_HASH, randomBytes(20)]);
    const strict = new IncomingHandshake({ infoHash: INFO_HASH, requireEncryption: true, send: () => {}, sendHandshake: () => {} });
    assert.throws(() => strict.receive(Buffer.from(plain)), HandshakeError);
    const lenient = new IncomingHandshake({ infoHash: INFO_HASH, requireEncryption: false, send: () => {}, sendHandshake: () => {} });
    assert.equal(lenient.receive(Buffer.from(plain))?.encryption, 'none');
  });

  it('gives up on padding longer than 512 bytes without the sync hash', () => {
    const sent: Buffer[] = [];
    const responder = new MseResponder(INFO_HASH, false, (bytes) => sent.push(bytes));
    assert.equal(responder.receive(randomBytes(96)), undefined);
    assert.equal(sent.length, 1, 'answers Ya with Yb and PadB');
    assert.ok(sent[0]!.length >= 96 && sent[0]!.length <= 96 + 512);
    assert.equal(responder.receive(randomBytes(300)), undefined);
    assert.throws(() => responder.receive(randomBytes(300)), MseError);
  });

  it('refuses a public key of 0 or beyond the prime', () => {
    for (const key of [Buffer.alloc(96), Buffer.alloc(96, 0xff)]) {
      const responder = new MseResponder(INFO_HASH, false, () => {});
      assert.throws(() => responder.receive(key), MseError);
    }
  });

  it('refuses a peer that asks for another torrent', async () => {
    const initiator = new Protocol('tcpOutgoing', 2);
    const responder = new IncomingHandshake({ infoHash: randomBytes(20), requireEncryption: false, send: (bytes) => initiator.write(bytes), sendHandshake: () => {} });
    const refused = new Promise<unknown>((resolve) => {
      initiator.on('data', (chunk: Uint8Array) => {
        try {
          responder.receive(Buffer.from(chunk));
        } catch (error) {
          resolve(error);
        }
      });
    });
    initiator.startEncryption(INFO_HASH.toString('hex'));
    assert.ok((await refused) instanceof MseError);
  });
});
