// Peers for tests: a well-behaved one (bittorrent-protocol's wire, plain or with its own MSE), and
// a raw socket that sends exactly the bytes a test writes, for the hostile cases.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
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

export interface PeerOptions {
  /** MSE through bittorrent-protocol's implementation: offering both methods, or RC4 only. */
  encryption?: 'offer-both' | 'rc4-only';
  fast?: boolean;
  /** The source address (another 127.x.y.z on loopback: a host of its own to the seeder). */
  localAddress?: string;
}

export function connectPeer(host: string, port: number, infoHash: string, options: PeerOptions = {}): Promise<BarePeer> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ port, host, ...(options.localAddress ? { localAddress: options.localAddress } : {}) });
    const wire = options.encryption ? new Protocol('tcpOutgoing', options.encryption === 'rc4-only' ? 2 : 1) : new Protocol();
    socket.on('error', reject);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    closed.then(() => reject(new Error('the seeder closed the connection before unchoking')));
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
    const handshake = (): void => wire.handshake(infoHash, randomBytes(20).toString('hex'), { dht: false, fast: options.fast ?? false });
    if (!options.encryption) return handshake();
    wire.once('crypto-handshake', handshake);
    socket.once('connect', () => wire.startEncryption(infoHash));
  });
}

/** A connection that sends what the test writes and keeps what the seeder sends. */
export interface RawPeer {
  socket: Socket;
  received(): Buffer;
  closed: Promise<void>;
  isClosed(): boolean;
}

/** `localAddress`: the source address (another 127.x.y.z on loopback: a host of its own to the seeder). */
export async function connectRaw(host: string, port: number, options: { read?: boolean; localAddress?: string } = {}): Promise<RawPeer> {
  const socket = connect({ port, host, ...(options.localAddress ? { localAddress: options.localAddress } : {}) });
  const chunks: Buffer[] = [];
  // A peer that does not read: no 'data' listener, so the kernel's buffers fill and stay full.
  if (options.read !== false) socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => {});
  let isClosed = false;
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      isClosed = true;
      resolve();
    }),
  );
  await once(socket, 'connect');
  return { socket, received: () => Buffer.concat(chunks), closed, isClosed: () => isClosed };
}

/** The bytes of a plain BitTorrent handshake: extension protocol and, if asked, fast extension. */
export function handshakeBytes(infoHash: string, options: { fast?: boolean } = {}): Buffer {
  const reserved = Buffer.alloc(8);
  reserved[5] = 0x10;
  if (options.fast) reserved[7] = 0x04;
  return Buffer.concat([Buffer.from([19]), Buffer.from('BitTorrent protocol'), reserved, Buffer.from(infoHash, 'hex'), randomBytes(20)]);
}

/** A length-prefixed message. */
export function messageBytes(id: number, ...numbers: number[]): Buffer {
  const bytes = Buffer.alloc(5 + 4 * numbers.length);
  bytes.writeUInt32BE(1 + 4 * numbers.length, 0);
  bytes[4] = id;
  numbers.forEach((number, at) => bytes.writeUInt32BE(number, 5 + 4 * at));
  return bytes;
}
