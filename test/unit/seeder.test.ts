// The seeder on its own, over real TCP: what a recipient's wire gets, what gets a connection
// dropped, and what an unreachable tracker does to it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import getPort from 'get-port';
import { ContentReader } from '../../src/content/reader.ts';
import { hashPieces } from '../../src/hashing/hash.ts';
import { startSeeder, type SeederHandle } from '../../src/seeding/seeder.ts';
import { inspectSource } from '../../src/content/source.ts';
import { buildMetadata, type TorrentMetadata } from '../../src/hashing/torrent.ts';
import { randomFile, tempDir } from '../support/helpers.ts';
import { connectPeer, connectRaw, handshakeBytes, messageBytes } from '../support/peer-wire.ts';

const PIECE_LENGTH = 256 * 1024;
const BLOCK = 16 * 1024;

describe('the seeder', () => {
  let dir: string;
  let content: Buffer;
  let metadata: TorrentMetadata;
  let reader: ContentReader;
  let seeder: SeederHandle;
  let port: number;
  const warnings: Array<{ url: string; error: Error }> = [];

  before(async () => {
    dir = await tempDir();
    // Four whole pieces and a short last one.
    const file = await randomFile(dir, 'disk.img', 4 * PIECE_LENGTH + 5000);
    content = await readFile(file);
    const source = await inspectSource(file);
    const pieces = await hashPieces({ files: source.files, pieceLength: PIECE_LENGTH });
    metadata = buildMetadata(source.name, source.length, PIECE_LENGTH, pieces);
    reader = new ContentReader({ files: source.files, pieceLength: PIECE_LENGTH, pieces, onChange: () => {} });
    port = await getPort({ host: '127.0.0.1' });
    // A tracker port nobody listens on.
    const deadTracker = await getPort({ host: '127.0.0.1' });
    seeder = await startSeeder({
      infoHash: metadata.infoHash,
      peerId: randomBytes(20).toString('hex'),
      port,
      info: metadata.info,
      reader,
      announce: [`http://127.0.0.1:${deadTracker}/announce`],
      clientName: 'share-file/test',
      allows: () => true,
    });
    seeder.events.on('tracker-warning', (error) => warnings.push(error));
  });

  after(async () => {
    await seeder.close();
    await reader.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('sends the blocks a recipient asks for, byte for byte, and counts them', async () => {
    const peer = await connectPeer('127.0.0.1', port, metadata.infoHash);
    try {
      const lastPiece = 4;
      const [first, inSecondWindow, last] = await Promise.all([peer.request(0, 0, BLOCK), peer.request(2, 5 * BLOCK, BLOCK), peer.request(lastPiece, 0, 5000)]);
      assert.ok(first.equals(content.subarray(0, BLOCK)));
      assert.ok(inSecondWindow.equals(content.subarray(2 * PIECE_LENGTH + 5 * BLOCK, 2 * PIECE_LENGTH + 6 * BLOCK)));
      assert.ok(last.equals(content.subarray(lastPiece * PIECE_LENGTH)));
      const stats = seeder.stats();
      assert.equal(stats.peers.length, 1);
      assert.equal(stats.peers[0]!.uploaded, 2 * BLOCK + 5000);
      assert.ok(stats.uploaded >= 2 * BLOCK + 5000);
    } finally {
      peer.close();
    }
  });

  it('serves many recipients at once from the same buffers without mixing their bytes', async () => {
    const peers = await Promise.all([1, 2, 3].map(() => connectPeer('127.0.0.1', port, metadata.infoHash)));
    try {
      // Every block of the file, each peer in its own order, all at once.
      const blocks: Array<[number, number]> = [];
      for (let piece = 0; piece < 4; piece++) for (let offset = 0; offset < PIECE_LENGTH; offset += BLOCK) blocks.push([piece, offset]);
      await Promise.all(
        peers.map(async (peer, which) => {
          const order = which === 1 ? [...blocks].reverse() : which === 2 ? blocks.filter((_, at) => at % 2 === 0).concat(blocks.filter((_, at) => at % 2 === 1)) : blocks;
          const received = await Promise.all(order.map(([piece, offset]) => peer.request(piece, offset, BLOCK)));
          received.forEach((block, at) => {
            const [piece, offset] = order[at]!;
            const start = piece * PIECE_LENGTH + offset;
            assert.ok(block.equals(content.subarray(start, start + BLOCK)), `piece ${piece} offset ${offset}`);
          });
        }),
      );
    } finally {
      for (const peer of peers) peer.close();
    }
  });

  it('drops a recipient that asks for more than 128 KiB at once', async () => {
    const peer = await connectPeer('127.0.0.1', port, metadata.infoHash);
    await assert.rejects(peer.request(0, 0, 256 * 1024));
    await peer.closed;
  });

  it('drops a recipient that asks for bytes past the end of a piece or of the torrent', async () => {
    for (const [piece, offset, length] of [
      [0, PIECE_LENGTH - BLOCK + 1, BLOCK],
      [4, 0, 5001],
      [5, 0, BLOCK],
    ] as const) {
      const peer = await connectPeer('127.0.0.1', port, metadata.infoHash);
      await assert.rejects(peer.request(piece, offset, length));
      await peer.closed;
    }
  });

  it('drops a recipient without the fast extension that asks past its queue without reading', { timeout: 20_000 }, async () => {
    // A raw socket that never reads: the kernel's buffers fill, then the seeder holds at most its
    // per-peer share unsent and queues the rest. 6144 distinct requests (a duplicate of a queued one
    // is ignored) pass the 2000 it advertised, and a peer without BEP 6 cannot be refused.
    const peer = await connectRaw('127.0.0.1', port, { read: false });
    const dropped = new Promise<void>((resolve) => seeder.events.once('peer-disconnected', () => resolve()));
    const requests = [handshakeBytes(metadata.infoHash), messageBytes(2)];
    for (let request = 0; request < 6144; request++) requests.push(messageBytes(6, request % 4, 0, BLOCK - Math.floor(request / 4)));
    peer.socket.write(Buffer.concat(requests));
    // The peer does not read, so it never sees the hang-up: the seeder's side tells.
    await dropped;
    peer.socket.destroy();
  });

  it('says nothing to a peer that comes for another torrent, and hangs up', async () => {
    const socket = connect(port, '127.0.0.1');
    let received = 0;
    socket.on('data', (chunk: Buffer) => (received += chunk.length));
    await once(socket, 'connect');
    const reserved = Buffer.alloc(8);
    socket.write(Buffer.concat([Buffer.from([19]), Buffer.from('BitTorrent protocol'), reserved, randomBytes(20), randomBytes(20)]));
    await once(socket, 'close');
    assert.equal(received, 0);
  });

  it('tells of a tracker that does not answer, and goes on seeding', async () => {
    for (let waited = 0; warnings.length === 0 && waited < 10_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(warnings.length > 0, 'no warning about the dead tracker');
    assert.match(warnings[0]!.url, /^http:\/\/127\.0\.0\.1:\d+\/announce$/);
    const peer = await connectPeer('127.0.0.1', port, metadata.infoHash);
    try {
      assert.ok((await peer.request(1, 0, BLOCK)).equals(content.subarray(PIECE_LENGTH, PIECE_LENGTH + BLOCK)));
    } finally {
      peer.close();
    }
  });
});
