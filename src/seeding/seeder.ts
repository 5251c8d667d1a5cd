// The seeder: serves the shared pieces to the recipients that connect to the fixed peer port, and
// announces itself to the trackers.
//
// It is built from webtorrent's own parts (bittorrent-protocol wires, ut_metadata, bittorrent-tracker's
// client) rather than a webtorrent client. Seeding 1 GiB to one aria2c over loopback, a webtorrent
// client with every option tuned (no DHT/LSD/uTP/PEX, a read-only store with no piece cache) used
// 1.02-1.22 times libtorrent's CPU time and peaked at 167-186 MiB RSS: each block went through two
// speed-limiter stages and two counting transforms (streamx, one promise per chunk) between the wire
// and the socket, and the client loads DHT, uTP, LSD, PEX, NAT-PMP and a chunk-store stack a
// seeder of one torrent never uses. Here the wire's messages are written straight to the socket.
import { EventEmitter } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { startAnnouncing, type Announcer } from './announcer.ts';
import type { ContentReader } from '../content/reader.ts';
import { formatAddress, unmapIPv4 } from '../host/ip.ts';
import { HandOutPolicy } from './hand-out.ts';
import { RevealPlan } from './reveal.ts';
import { tellPieces } from './tell-pieces.ts';
import { keepYoungGenerationSmall } from './heap.ts';
import { listenOn } from '../host/listen.ts';
import { serveSocket, type SeedingWire, type WireContext } from './wire.ts';

export interface SeederConfig {
  infoHash: string;
  peerId: string;
  port: number;
  /** The bencoded info dictionary, for recipients with a magnet link. */
  info: Buffer;
  /** The shared bytes, guarded against changes since hashing. */
  reader: ContentReader;
  /** Trackers the seeder announces to (ours over loopback, which always reaches it). */
  announce: string[];
  /** `share-file/<version>`: the tracker's User-Agent and the extended handshake's client name. */
  clientName: string;
  /** Whether a peer at this address may connect (`--allow`). */
  allows: (ip: string) => boolean;
}

export interface PeerInfo {
  peerId: string;
  /** `ip:port` of the connection. */
  address: string;
  /** The connection's source address. */
  ip: string;
  /** Where the peer accepts connections, once its extended handshake told us (BEP 10 `p`). */
  listenPort: number | undefined;
}

export interface SeederEvents {
  'peer-connected': [PeerInfo];
  /** The peer's extended handshake named its listening port: how its announces can be matched to it. */
  'peer-identified': [PeerInfo];
  'peer-disconnected': [PeerInfo];
  'peer-completed': [PeerInfo];
  /** A tracker did not answer or refused an announce; seeding goes on. */
  'tracker-warning': [{ url: string; error: Error }];
  error: [Error];
}

export interface SeederHandle {
  events: EventEmitter<SeederEvents>;
  /** Which pieces go out now. */
  handOut: HandOutPolicy;
  /** Recipients connected right now. */
  connectedPeers(): number;
  stats(): SeedingStats;
  close(): Promise<void>;
}

/** One connected peer, as the progress display and the `progress` event show it. */
export interface PeerStats {
  peer: string;
  peerId: string;
  /** Bytes we sent on this connection. */
  uploaded: number;
  /** Bytes per second we are sending, over the last seconds. */
  uploadRate: number;
  /** How much of the file the peer holds, 0 to 100, from what it announced to us. */
  percent: number;
}

export interface SeedingStats {
  uploaded: number;
  uploadRate: number;
  peers: PeerStats[];
}

interface WatchedWire {
  wire: SeedingWire;
  peer: PeerInfo;
  held: number;
}

/** Connections at once, handshaken or not (webtorrent's default was 55 peers per torrent). */
export const MAX_CONNECTIONS = 200;

export async function startSeeder(config: SeederConfig): Promise<SeederHandle> {
  keepYoungGenerationSmall();
  const { reader } = config;
  const pieceCount = reader.pieceCount;
  const events = new EventEmitter<SeederEvents>();
  const watched = new Set<WatchedWire>();
  const sockets = new Set<Socket>();
  let uploaded = 0;
  const handOut = new HandOutPolicy({
    pieceCount,
    pieceLength: reader.pieceLength,
    length: reader.length,
    holders: (index, requester) => holdersOf(watched, index, requester),
    stillFetching: (index, recipient) => [...watched].some(({ wire }) => wire === recipient && !wire.destroyed && !wire.peerPieces.get(index)),
    queuedBytes: () => {
      let queued = 0;
      for (const socket of sockets) queued += socket.writableLength;
      return queued;
    },
  });
  const reveal = new RevealPlan({ pieceCount, pieceLength: reader.pieceLength });
  const context: WireContext = {
    infoHash: config.infoHash,
    peerId: config.peerId,
    clientName: config.clientName,
    info: config.info,
    reader,
    fullBitfield: fullBitfield(pieceCount),
    revealsGradually: true,
    mayServe: (piece: number, requester: SeedingWire) => handOut.mayServe(piece, requester),
    onServed: (piece: number, bytes: number) => handOut.sent(piece, bytes),
  };

  const server = createServer((socket) => {
    // Sources outside --allow are dropped before they are served anything.
    if (socket.remoteAddress === undefined || !config.allows(socket.remoteAddress)) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    serveSocket(socket, context, (wire) => {
      wire.on('upload', (bytes: number) => (uploaded += bytes));
      watchWire(wire, { peerId: wire.peerId, address: formatAddress(socket.remoteAddress!, socket.remotePort!), ip: unmapIPv4(socket.remoteAddress!), listenPort: undefined }, pieceCount, events, watched);
      if (context.revealsGradually) tellPieces(reveal, wire, pieceCount);
    });
  });
  // Recipients of one file are few; a flood of connections is refused before it eats descriptors.
  server.maxConnections = MAX_CONNECTIONS;
  await listenOn(server, config.port, 'peer');
  server.on('error', (error) => events.emit('error', error));

  const announcer: Announcer = startAnnouncing({
    infoHash: config.infoHash,
    peerId: config.peerId,
    port: config.port,
    announce: config.announce,
    userAgent: config.clientName,
    uploaded: () => uploaded,
    onWarning: (url, error) => events.emit('tracker-warning', { url, error }),
  });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await Promise.all([closed, announcer.stop()]);
    })();
    return closing;
  };
  return {
    events,
    handOut,
    connectedPeers: () => watched.size,
    stats: () => statsOf(uploaded, watched, pieceCount),
    close,
  };
}

/** The bitfield of a seeder: every piece's bit set, the spare bits of the last byte clear (BEP 3). */
function fullBitfield(pieceCount: number): Uint8Array {
  const bits = new Uint8Array(Math.ceil(pieceCount / 8)).fill(0xff);
  const spare = bits.length * 8 - pieceCount;
  if (spare > 0) bits[bits.length - 1] = (0xff << spare) & 0xff;
  return bits;
}

/** Follows one connection: who it is, how much it holds, and when it holds every piece. */
function watchWire(wire: SeedingWire, peer: PeerInfo, pieceCount: number, events: EventEmitter<SeederEvents>, watched: Set<WatchedWire>): void {
  const entry: WatchedWire = { wire, peer, held: 0 };
  watched.add(entry);
  let completed = false;
  const check = (): void => {
    if (completed) return;
    for (let index = 0; index < pieceCount; index++) if (!wire.peerPieces.get(index)) return;
    completed = true;
    entry.held = pieceCount;
    events.emit('peer-completed', entry.peer);
  };
  // A full scan per `have` would cost pieces² over a download: count what the peer holds, and scan
  // only once the count says it may hold everything.
  events.emit('peer-connected', entry.peer);
  wire.on('extended', (name: string, message: { p?: unknown }) => {
    if (name !== 'handshake' || typeof message.p !== 'number' || !Number.isInteger(message.p) || message.p <= 0 || message.p > 65535) return;
    entry.peer.listenPort = message.p;
    events.emit('peer-identified', entry.peer);
  });
  wire.on('bitfield', () => {
    entry.held = 0;
    for (let index = 0; index < pieceCount; index++) if (wire.peerPieces.get(index)) entry.held += 1;
    if (entry.held >= pieceCount) check();
  });
  wire.on('have-all', check);
  wire.on('have', () => {
    entry.held = Math.min(entry.held + 1, pieceCount);
    if (entry.held >= pieceCount) check();
  });
  wire.once('close', () => {
    watched.delete(entry);
    events.emit('peer-disconnected', entry.peer);
  });
}

/** How many connected recipients, other than `except`, hold the piece. */
function holdersOf(watched: Set<WatchedWire>, index: number, except?: unknown): number {
  let holders = 0;
  for (const { wire } of watched) if (wire !== except && wire.peerPieces.get(index)) holders += 1;
  return holders;
}

function statsOf(uploaded: number, watched: Set<WatchedWire>, pieceCount: number): SeedingStats {
  let uploadRate = 0;
  const peers = [...watched].map(({ wire, peer, held }) => {
    const rate = Math.round(wire.uploadSpeed());
    uploadRate += rate;
    return {
      peer: peer.address,
      peerId: peer.peerId,
      uploaded: wire.uploaded,
      uploadRate: rate,
      percent: Math.floor((held / pieceCount) * 1000) / 10,
    };
  });
  return { uploaded, uploadRate, peers };
}
