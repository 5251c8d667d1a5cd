// The seeder dials a recipient that announced to our tracker and did not connect on its own: plain
// first, the obfuscated handshake when the plain one is refused, and never one that is connected.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { open, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import Protocol from 'bittorrent-protocol';
import { announce } from '../support/announce.ts';
import { shareRandomFile, stopShare, type RunningShare, type ShareEventRecord } from '../support/helpers.ts';
import { connectPeer } from '../support/peer-wire.ts';

const BLOCK = 16 * 1024;

/** A recipient's listening socket: each connection the seeder opens is handed to `onConnection`. */
async function listeningRecipient(onConnection: (socket: Socket) => void): Promise<{ server: Server; port: number; connections: Socket[] }> {
  const connections: Socket[] = [];
  const server = createServer((socket) => {
    connections.push(socket);
    socket.on('error', () => {});
    onConnection(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as { port: number }).port, connections };
}

/** Speaks BitTorrent on a socket the seeder opened (`peEnabled` 0: plain, 2: MSE with RC4 only) and fetches the first block. */
function fetchFirstBlock(socket: Socket, infoHash: string, peEnabled: 0 | 2): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const wire = new Protocol('tcpIncoming', peEnabled);
    socket.pipe(wire).pipe(socket);
    wire.on('crypto-infohash', () => (wire as unknown as { setInfoHash: (hash: string) => void }).setInfoHash(infoHash));
    wire.once('handshake', () => {
      wire.handshake(infoHash, randomBytes(20).toString('hex'), { dht: false });
      wire.interested();
    });
    wire.once('unchoke', () => wire.request(0, 0, BLOCK, (error: Error | null, block: Buffer) => (error ? reject(error) : resolve(Buffer.from(block)))));
    wire.on('error', reject);
  });
}

describe('the seeder dials recipients that do not connect', { timeout: 120_000 }, () => {
  let share: RunningShare;
  let dir: string;
  let ready: ShareEventRecord;
  let firstBlock: Buffer;
  let trackerPort: number;
  let infoHash: string;

  before(async () => {
    let file: string;
    ({ dir, file, share, ready } = await shareRandomFile('dialed.img', 3 * 1024 * 1024));
    trackerPort = Number(ready.trackerPort);
    infoHash = String(ready.infoHash);
    const handle = await open(file);
    firstBlock = Buffer.alloc(BLOCK);
    await handle.read(firstBlock, 0, BLOCK, 0);
    await handle.close();
  });
  after(async () => {
    if (share) await stopShare(share);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('connects to a recipient that only announced, plainly, at the port it announced, and serves it', async (t) => {
    let fetched: Promise<Buffer> | undefined;
    const recipient = await listeningRecipient((socket) => (fetched = fetchFirstBlock(socket, infoHash, 0)));
    try {
      const started = performance.now();
      await announce(trackerPort, infoHash, { peerPort: recipient.port });
      const connected = await share.waitForEvent('peer-connected', 15_000);
      const waited = performance.now() - started;
      assert.equal(connected.direction, 'outgoing');
      assert.equal(connected.peer, `127.0.0.1:${recipient.port}`);
      assert.ok((await fetched!).equals(firstBlock));
      assert.equal(recipient.connections.length, 1);
      t.diagnostic(`dialed ${(waited / 1000).toFixed(1)} s after the announce`);
    } finally {
      for (const socket of recipient.connections) socket.destroy();
      recipient.server.close();
    }
  });

  it('dials again with the obfuscated handshake when the plain one is refused', async () => {
    const firstBytes: Buffer[] = [];
    let fetched: Promise<Buffer> | undefined;
    const recipient = await listeningRecipient((socket) => {
      if (firstBytes.length === 0) {
        // A recipient that requires encryption: it reads the plain handshake and hangs up.
        socket.once('data', (chunk: Buffer) => {
          firstBytes.push(chunk);
          socket.destroy();
        });
        return;
      }
      socket.once('data', (chunk: Buffer) => firstBytes.push(chunk));
      fetched = fetchFirstBlock(socket, infoHash, 2);
    });
    try {
      await announce(trackerPort, infoHash, { peerPort: recipient.port });
      for (let waited = 0; !fetched && waited < 15_000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
      assert.ok((await fetched!).equals(firstBlock));
      assert.equal(recipient.connections.length, 2);
      assert.equal(firstBytes[0]!.subarray(1, 20).toString(), 'BitTorrent protocol');
      assert.notEqual(firstBytes[1]!.subarray(1, 20).toString(), 'BitTorrent protocol');
    } finally {
      for (const socket of recipient.connections) socket.destroy();
      recipient.server.close();
    }
  });

  it('leaves alone a recipient that connected on its own', async () => {
    const recipient = await listeningRecipient(() => {});
    const peer = await connectPeer('127.0.0.1', Number(ready.peerPort), infoHash);
    try {
      assert.ok((await peer.request(0, 0, BLOCK)).equals(firstBlock));
      await announce(trackerPort, infoHash, { peerPort: recipient.port });
      // Past the grace period and a sweep or two.
      await new Promise((resolve) => setTimeout(resolve, 5000));
      assert.equal(recipient.connections.length, 0);
    } finally {
      peer.close();
      recipient.server.close();
    }
  });
});
