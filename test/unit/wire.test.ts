// The seeder's wire against peers that push it: lent blocks under plaintext and RC4 at once, a
// full request queue, refusals, and bytes no client should send. Real TCP on loopback.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import getPort from 'get-port';
import { ContentReader } from '../../src/content/reader.ts';
import { hashPieces } from '../../src/hashing/hash.ts';
import { inspectSource } from '../../src/content/source.ts';
import { buildMetadata, type TorrentMetadata } from '../../src/hashing/torrent.ts';
import type { BlockSource } from '../../src/seeding/connection/block-server.ts';
import type { LentBytes } from '../../src/seeding/connection/outbox.ts';
import { startSeeder, type SeederHandle } from '../../src/seeding/seeder.ts';
import { randomFile, tempDir } from '../support/helpers.ts';
import { connectPeer, connectRaw, handshakeBytes, messageBytes, type RawPeer } from '../support/peer-wire.ts';

const PIECE_LENGTH = 256 * 1024;
const BLOCK = 16 * 1024;
const PIECES = 6;

/**
 * The real reader behind a lender that copies each block into buffers of its own, hands those out,
 * and on release checks that nobody wrote into them and then poisons them for reuse: a block
 * released before its socket wrote it goes out poisoned, and one written into is counted.
 */
class PoisoningReader implements BlockSource {
  readonly #reader: ContentReader;
  readonly #pool: Buffer[] = [];
  outstanding = 0;
  corrupted = 0;
  /** Pieces whose reads fail, as a piece that changed on disk does. */
  failing = new Set<number>();

  constructor(reader: ContentReader) {
    this.#reader = reader;
  }
  get pieceCount(): number {
    return this.#reader.pieceCount;
  }
  get pieceLength(): number {
    return this.#reader.pieceLength;
  }
  get length(): number {
    return this.#reader.length;
  }
  lengthOfPiece(index: number): number {
    return this.#reader.lengthOfPiece(index);
  }
  lend(index: number, offset: number, length: number, callback: (error: Error | null, lease?: LentBytes) => void): void {
    if (this.failing.has(index)) {
      setImmediate(() => callback(new Error(`piece ${index} changed`)));
      return;
    }
    this.#reader.lend(index, offset, length, (error, lease) => {
      if (!lease) return callback(error);
      const own = (this.#pool.pop() ?? Buffer.alloc(128 * 1024)).subarray(0, length);
      lease.bytes.copy(own);
      lease.release();
      const original = Buffer.from(own);
      this.outstanding += 1;
      let released = false;
      callback(null, {
        bytes: own,
        release: () => {
          if (released) return;
          released = true;
          this.outstanding -= 1;
          if (!own.equals(original)) this.corrupted += 1;
          own.fill(0xee);
          this.#pool.push(Buffer.from(own.buffer, own.byteOffset, 128 * 1024));
        },
      });
    });
  }
}

/** The messages after the 68-byte handshake: [id, payload], keep-alives left out. */
function messagesOf(bytes: Buffer): Array<[number, Buffer]> {
  const messages: Array<[number, Buffer]> = [];
  for (let at = 68; at + 4 <= bytes.length; ) {
    const length = bytes.readUInt32BE(at);
    if (at + 4 + length > bytes.length) break;
    if (length > 0) messages.push([bytes[at + 4]!, bytes.subarray(at + 5, at + 4 + length)]);
    at += 4 + length;
  }
  return messages;
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  for (let waited = 0; !condition(); waited += 20) {
    if (waited > timeoutMs) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the seeder wire', () => {
  let dir: string;
  let content: Buffer;
  let metadata: TorrentMetadata;
  let reader: ContentReader;
  let lender: PoisoningReader;
  let seeder: SeederHandle;
  let port: number;

  before(async () => {
    dir = await tempDir();
    const file = await randomFile(dir, 'disk.img', PIECES * PIECE_LENGTH);
    content = await readFile(file);
    const source = await inspectSource(file);
    const pieces = await hashPieces({ files: source.files, pieceLength: PIECE_LENGTH });
    metadata = buildMetadata(source.name, source.length, PIECE_LENGTH, pieces);
    reader = new ContentReader({ files: source.files, pieceLength: PIECE_LENGTH, pieces, onChange: () => {} });
    lender = new PoisoningReader(reader);
    port = await getPort({ host: '127.0.0.1' });
    seeder = await startSeeder({ infoHash: metadata.infoHash, peerId: randomBytes(20).toString('hex'), port, info: metadata.info, reader: lender, announce: [], clientName: 'share-file/test', allows: () => true });
  });

  after(async () => {
    await seeder.close();
    await reader.close();
    await rm(dir, { recursive: true, force: true });
  });

  const blockAt = (piece: number, offset: number, length = BLOCK): Buffer => content.subarray(piece * PIECE_LENGTH + offset, piece * PIECE_LENGTH + offset + length);

  it('sends lent blocks to a plaintext and an RC4 peer at once, never writing into them nor releasing them early', async () => {
    const peers = await Promise.all([connectPeer('127.0.0.1', port, metadata.infoHash), connectPeer('127.0.0.1', port, metadata.infoHash, { encryption: 'rc4-only' })]);
    try {
      const blocks: Array<[number, number]> = [];
      for (let piece = 0; piece < PIECES; piece++) for (let offset = 0; offset < PIECE_LENGTH; offset += BLOCK) blocks.push([piece, offset]);
      await Promise.all(
        peers.map(async (peer) => {
          const received = await Promise.all(blocks.map(([piece, offset]) => peer.request(piece, offset, BLOCK)));
          received.forEach((block, at) => assert.ok(block.equals(blockAt(...blocks[at]!)), `block ${blocks[at]!.join(':')}`));
        }),
      );
    } finally {
      for (const peer of peers) peer.close();
    }
    await until(() => lender.outstanding === 0);
    assert.equal(lender.corrupted, 0);
  });

  async function fastPeer(): Promise<RawPeer> {
    const peer = await connectRaw('127.0.0.1', port);
    peer.socket.write(Buffer.concat([handshakeBytes(metadata.infoHash, { fast: true }), messageBytes(2)]));
    return peer;
  }

  it('advertises a queue of 2000 requests, serves them, and rejects (BEP 6) what goes past it', async () => {
    const peer = await fastPeer();
    const requests: Buffer[] = [];
    for (let count = 0; count < 2100; count++) requests.push(messageBytes(6, count % PIECES, 0, BLOCK - Math.floor(count / PIECES)));
    peer.socket.write(Buffer.concat(requests));
    const answered = (): number => messagesOf(peer.received()).filter(([id]) => id === 7 || id === 16).length;
    await until(() => answered() === 2100, 30_000);
    const messages = messagesOf(peer.received());
    const extended = messages.find(([id, payload]) => id === 20 && payload[0] === 0);
    assert.match(extended![1].toString('latin1'), /4:reqqi2000e/);
    const rejects = messages.filter(([id]) => id === 16).length;
    // Requests come in several TCP reads, and the seeder serves between them: some are rejected,
    // none goes unanswered.
    assert.ok(rejects > 0, 'no request past the queue was rejected');
    for (const [, payload] of messages.filter(([id]) => id === 7)) {
      const piece = payload.readUInt32BE(0);
      const offset = payload.readUInt32BE(4);
      assert.ok(payload.subarray(8).equals(blockAt(piece, offset, payload.length - 8)));
    }
    peer.socket.destroy();
  });

  it('rejects a block it will not send (a piece changed on disk) instead of going silent', async () => {
    lender.failing.add(3);
    try {
      const peer = await fastPeer();
      peer.socket.write(Buffer.concat([messageBytes(6, 3, 0, BLOCK), messageBytes(6, 2, 0, BLOCK)]));
      await until(() => messagesOf(peer.received()).filter(([id]) => id === 7 || id === 16).length === 2);
      const [reject] = messagesOf(peer.received()).filter(([id]) => id === 16);
      assert.deepEqual([reject![1].readUInt32BE(0), reject![1].readUInt32BE(4), reject![1].readUInt32BE(8)], [3, 0, BLOCK]);
      peer.socket.destroy();
    } finally {
      lender.failing.delete(3);
    }
  });

  /** Sends `bytes` after a good handshake; resolves whether the seeder hung up within 2 s. */
  async function hangsUpOn(bytes: Buffer): Promise<boolean> {
    const peer = await fastPeer();
    peer.socket.write(bytes);
    const closed = await Promise.race([peer.closed.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 2000))]);
    peer.socket.destroy();
    return closed;
  }

  it('hangs up on a 4 GiB length prefix before buffering any of it', async () => {
    const prefix = Buffer.alloc(4, 0xff);
    assert.ok(await hangsUpOn(Buffer.concat([prefix, randomBytes(64 * 1024)])));
    assert.ok(await hangsUpOn(Buffer.from([0x7f, 0xff, 0xff, 0xff, 7])));
  });

  it('hangs up on bencode that would hang a naive decoder, and on malformed messages', async () => {
    const extended = (payload: string): Buffer => Buffer.concat([Buffer.from([0, 0, 0, 2 + payload.length, 20, 0]), Buffer.from(payload, 'latin1')]);
    assert.ok(await hangsUpOn(extended('d1:al-3:ee')));
    assert.ok(await hangsUpOn(extended('d1:m' + 'l'.repeat(1000))));
    assert.ok(await hangsUpOn(Buffer.concat([Buffer.from([0, 0, 0, 3, 5]), Buffer.from([0xff, 0xff])])), 'a bitfield of the wrong length');
    assert.ok(await hangsUpOn(Buffer.from([0, 0, 0, 5, 6, 0, 0, 0, 0])), 'a request of the wrong length');
    assert.ok(await hangsUpOn(messageBytes(6, PIECES, 0, BLOCK)), 'a request past the last piece');
    assert.ok(await hangsUpOn(messageBytes(6, 0xffffffff, 0xffffffff, BLOCK)), 'a request at 4 GiB');
  });

  it('ignores messages it does not know, and still serves the peer', async () => {
    const peer = await fastPeer();
    peer.socket.write(Buffer.concat([Buffer.from([0, 0, 0, 101, 99]), randomBytes(100), messageBytes(9, 0), messageBytes(6, 1, 0, BLOCK)]));
    await until(() => messagesOf(peer.received()).some(([id]) => id === 7));
    peer.socket.destroy();
  });

  it('hangs up on bytes that are neither BitTorrent nor MSE, and on another torrent', async () => {
    for (const bytes of [randomBytes(2000), handshakeBytes(randomBytes(20).toString('hex'))]) {
      const peer = await connectRaw('127.0.0.1', port);
      peer.socket.write(bytes);
      await peer.closed;
    }
    const peer = await connectPeer('127.0.0.1', port, metadata.infoHash);
    assert.ok((await peer.request(0, 0, BLOCK)).equals(blockAt(0, 0)));
    peer.close();
  });

  it('tells when a recipient holds every piece, by have all or by haves', async () => {
    for (const messages of [[messageBytes(0x0e)], Array.from({ length: PIECES }, (_, index) => messageBytes(4, index))]) {
      const completed = new Promise<void>((resolve) => seeder.events.once('peer-completed', () => resolve()));
      const peer = await fastPeer();
      peer.socket.write(Buffer.concat(messages));
      await completed;
      peer.socket.destroy();
    }
  });

  it('makes room for a recipient when 200 idle connections hold every slot', { timeout: 30_000 }, async () => {
    // From 8 addresses: under the limit per address, at the limit in all.
    const idle = await Promise.all(Array.from({ length: 200 }, (_, at) => connectRaw('127.0.0.1', port, { localAddress: `127.0.0.${2 + (at % 8)}` })));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const peer = await connectPeer('127.0.0.1', port, metadata.infoHash);
    assert.ok((await peer.request(5, BLOCK, BLOCK)).equals(blockAt(5, BLOCK)));
    peer.close();
    assert.ok(idle.some((connection) => connection.isClosed()), 'no idle connection gave way');
    for (const connection of idle) connection.socket.destroy();
  });

  it('keeps at most 50 connections from one address, and a recipient there still gets a slot', { timeout: 30_000 }, async () => {
    const idle = await Promise.all(Array.from({ length: 60 }, () => connectRaw('127.0.0.1', port, { localAddress: '127.0.0.20' })));
    await until(() => idle.filter((connection) => connection.isClosed()).length >= 10);
    assert.equal(idle.filter((connection) => !connection.isClosed()).length, 50);
    const peer = await connectPeer('127.0.0.1', port, metadata.infoHash, { localAddress: '127.0.0.20' });
    assert.ok((await peer.request(4, 0, BLOCK)).equals(blockAt(4, 0)));
    peer.close();
    for (const connection of idle) connection.socket.destroy();
  });
});
