// A bare BitTorrent peer for tests: handshake, interest, and block requests on one TCP connection.
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import Protocol from 'bittorrent-protocol';

export interface BarePeer {
  request(index: number, offset: number, length: number): Promise<Buffer>;
  /** Stops reading from the connection: what the seeder sends piles up on its side. */
  stopReading(): void;
  /** Settles when the connection is closed, by either side. */
  closed: Promise<void>;
  close(): void;
}

export function connectPeer(host: string, port: number, infoHash: string): Promise<BarePeer> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, host);
    const wire = new Protocol();
    socket.on('error', reject);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.pipe(wire).pipe(socket);
    wire.setTimeout(3000, true);
    wire.once('handshake', () => {
      wire.interested();
    });
    wire.once('unchoke', () => {
      resolve({
        request: (index, offset, length) =>
          new Promise((done, fail) => wire.request(index, offset, length, (error: Error | null, block: Buffer) => (error ? fail(error) : done(Buffer.from(block))))),
        stopReading: () => {
          socket.unpipe(wire);
          socket.pause();
        },
        closed,
        close: () => {
          wire.destroy();
          socket.destroy();
        },
      });
    });
    wire.handshake(infoHash, randomBytes(20).toString('hex'), { dht: false });
  });
}
