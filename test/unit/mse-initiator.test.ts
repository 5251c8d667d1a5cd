// The seeder's outgoing handshakes (plain, or MSE as the initiator) against an independent responder
// (bittorrent-protocol's, webtorrent's wire) and against our own responder.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import Protocol from 'bittorrent-protocol';
import { CRYPTO_PLAINTEXT, CRYPTO_RC4, MseError } from '../../src/seeding/connection/encryption/mse.ts';
import { MseInitiator } from '../../src/seeding/connection/encryption/mse-initiator.ts';
import { keyPair } from '../../src/seeding/connection/encryption/mse-keys.ts';
import type { Rc4 } from '../../src/seeding/connection/encryption/rc4.ts';
import { IncomingHandshake, openHandshake, type Handshaking, type HandshakeOutcome } from '../../src/seeding/connection/handshake.ts';
import { handshake } from '../../src/seeding/connection/messages.ts';

const INFO_HASH = randomBytes(20);
const OUR_ID = randomBytes(20);
const THEIR_ID = randomBytes(20);
/** `interested`: a message sent once the handshakes are through (after bittorrent-protocol's extended handshake). */
const INTERESTED = Buffer.from([0, 0, 0, 1, 2]);

/** Our outgoing side, writing to `peer`; what it settled, and every payload byte after the handshake, decrypted. */
function dialing(provide: 'plain' | number, write: (bytes: Buffer) => void): { side: Handshaking; outcome: Promise<HandshakeOutcome>; feed: (chunk: Buffer) => void; after: () => Buffer; encrypt: () => Rc4 | undefined } {
  let encrypt: Rc4 | undefined;
  let settled: HandshakeOutcome | undefined;
  const later: Buffer[] = [];
  let resolve: (outcome: HandshakeOutcome) => void = () => {};
  let reject: (error: Error) => void = () => {};
  const outcome = new Promise<HandshakeOutcome>((ok, fail) => ([resolve, reject] = [ok, fail]));
  const side = openHandshake(
    { direction: 'outgoing', provide },
    {
      infoHash: INFO_HASH,
      requireEncryption: false,
      send: write,
      sendHandshake: (cipher) => {
        encrypt = cipher;
        const ours = handshake(INFO_HASH, OUR_ID);
        write(cipher ? cipher.process(ours) : ours);
      },
    },
  );
  const feed = (chunk: Buffer): void => {
    try {
      if (settled) {
        later.push(settled.decrypt ? settled.decrypt.process(Buffer.from(chunk)) : chunk);
        return;
      }
      settled = side.receive(Buffer.from(chunk));
      if (settled) {
        later.push(settled.rest);
        resolve(settled);
      }
    } catch (error) {
      reject(error as Error);
    }
  };
  return { side, outcome, feed, after: () => Buffer.concat(later), encrypt: () => encrypt };
}

/** Our outgoing side against bittorrent-protocol's responder (`peEnabled` 0: no MSE, 1: prefers plaintext, 2: RC4 only). */
async function againstWebtorrent(provide: 'plain' | number, peEnabled: 0 | 1 | 2): Promise<{ outcome: HandshakeOutcome; method: number | undefined; after: Buffer }> {
  const responder = new Protocol('tcpIncoming', peEnabled);
  // The responder learns which torrent from the obfuscated hash; ours is the only one it knows.
  responder.on('crypto-infohash', () => (responder as unknown as { setInfoHash: (hash: string) => void }).setInfoHash(INFO_HASH.toString('hex')));
  const ours = dialing(provide, (bytes) => setImmediate(() => responder.write(bytes)));
  responder.on('data', (chunk: Uint8Array) => ours.feed(Buffer.from(chunk)));
  const theirHandshake = new Promise<string>((resolve) =>
    responder.once('handshake', (infoHash: string, peerId: string) => {
      responder.handshake(infoHash, THEIR_ID.toString('hex'));
      responder.interested();
      resolve(peerId);
    }),
  );
  const outcome = await ours.outcome;
  assert.equal(await theirHandshake, OUR_ID.toString('hex'), 'the responder read our handshake');
  await new Promise((resolve) => setTimeout(resolve, 20));
  const method = (responder as unknown as { _encryptor: { encryptionMethod: number } | null })._encryptor?.encryptionMethod;
  responder.destroy();
  return { outcome, method, after: ours.after() };
}

function endsWith(bytes: Buffer, tail: Buffer): boolean {
  return bytes.length >= tail.length && bytes.subarray(bytes.length - tail.length).equals(tail);
}

describe('outgoing handshakes', () => {
  it('plain: ours goes out first, theirs is read, and messages follow in the clear', async () => {
    const { outcome, after } = await againstWebtorrent('plain', 0);
    assert.equal(outcome.encryption, 'none');
    assert.ok(outcome.peer.peerId.equals(THEIR_ID));
    assert.ok(endsWith(after, INTERESTED), after.toString('hex'));
  });

  it('MSE offering both: a responder that prefers plaintext settles plaintext', async () => {
    const { outcome, method, after } = await againstWebtorrent(CRYPTO_RC4 | CRYPTO_PLAINTEXT, 1);
    assert.equal(outcome.encryption, 'plaintext');
    assert.equal(method, CRYPTO_PLAINTEXT);
    assert.ok(outcome.peer.peerId.equals(THEIR_ID));
    assert.ok(endsWith(after, INTERESTED), after.toString('hex'));
  });

  it('MSE offering both: a responder that insists on RC4 settles RC4, both ways encrypted', async () => {
    const { outcome, method, after } = await againstWebtorrent(CRYPTO_RC4 | CRYPTO_PLAINTEXT, 2);
    assert.equal(outcome.encryption, 'rc4');
    assert.equal(method, CRYPTO_RC4);
    assert.ok(endsWith(after, INTERESTED), after.toString('hex'));
  });

  it('MSE with RC4 only against our own responder, which prefers plaintext but is not offered it', async () => {
    let responderEncrypt: Rc4 | undefined;
    const toUs: Buffer[] = [];
    const ours = dialing(CRYPTO_RC4, (bytes) => setImmediate(() => theirs(bytes)));
    const responder = new IncomingHandshake({
      infoHash: INFO_HASH,
      requireEncryption: false,
      send: (bytes) => setImmediate(() => ours.feed(bytes)),
      sendHandshake: (cipher) => {
        responderEncrypt = cipher;
        const hello = Buffer.concat([handshake(INFO_HASH, THEIR_ID), INTERESTED]);
        setImmediate(() => ours.feed(cipher ? cipher.process(hello) : hello));
      },
    });
    let theirOutcome: HandshakeOutcome | undefined;
    const theirs = (bytes: Buffer): void => {
      if (theirOutcome) return void toUs.push(bytes);
      theirOutcome = responder.receive(Buffer.from(bytes));
    };
    const outcome = await ours.outcome;
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(outcome.encryption, 'rc4');
    assert.equal(theirOutcome?.encryption, 'rc4');
    assert.ok(theirOutcome?.peer.peerId.equals(OUR_ID));
    assert.ok(responderEncrypt !== undefined && ours.encrypt() !== undefined);
    assert.ok(ours.after().equals(INTERESTED));
  });

  it('our responder with encryption required refuses an initiator offering only plaintext', async () => {
    const failure = new Promise<unknown>((resolve) => {
      const responder = new IncomingHandshake({ infoHash: INFO_HASH, requireEncryption: true, send: (bytes) => setImmediate(() => ours.feed(bytes)), sendHandshake: () => {} });
      const ours = dialing(CRYPTO_PLAINTEXT, (bytes) =>
        setImmediate(() => {
          try {
            responder.receive(Buffer.from(bytes));
          } catch (error) {
            resolve(error);
          }
        }),
      );
    });
    assert.ok((await failure) instanceof MseError);
  });

  it('gives up when no verification constant comes within 512 bytes of padding', () => {
    const initiator = new MseInitiator(INFO_HASH, CRYPTO_RC4, () => {});
    initiator.start();
    assert.throws(() => initiator.receive(Buffer.concat([keyPair().publicKey, randomBytes(600)])), MseError);
  });

  it('refuses a public key of 0', () => {
    const initiator = new MseInitiator(INFO_HASH, CRYPTO_RC4, () => {});
    initiator.start();
    assert.throws(() => initiator.receive(Buffer.alloc(96)), MseError);
  });
});
