// The seeder: serves the shared pieces to the recipients that connect to the fixed peer port, and
// announces itself to the trackers.
//
// It is not a webtorrent client. Seeding 1 GiB to one aria2c over loopback, a webtorrent client
// with every option tuned (no DHT/LSD/uTP/PEX, a read-only store with no piece cache) used
// 1.02-1.22 times libtorrent's CPU time and peaked at 167-186 MiB RSS: each block went through two
// speed-limiter stages and two counting transforms (streamx, one promise per chunk) between the wire
// and the socket, and the client loads DHT, uTP, LSD, PEX, NAT-PMP and a chunk-store stack a
// seeder of one torrent never uses. Here each connection's messages are written straight to its
// socket (see wire.ts for why the wire is our own), and bittorrent-tracker's client announces.
import { EventEmitter } from 'node:events';
import { createServer } from 'node:net';
import { startAnnouncing, type Announcer } from './announcer.ts';
import type { BlockSource } from './block-server.ts';
import { formatAddress, unmapIPv4 } from '../host/ip.ts';
import { HandOutPolicy } from './hand-out.ts';
import { keepYoungGenerationSmall } from './heap.ts';
import { listenOn } from '../host/listen.ts';
import { SendBudget } from './send-budget.ts';
import { connectionToEvict } from './slots.ts';
import { PeerConnection, type WireContext } from './wire.ts';

export interface SeederConfig {
  infoHash: string;
  peerId: string;
  port: number;
  /** The bencoded info dictionary, for recipients with a magnet link. */
  info: Buffer;
  /** The shared bytes, guarded against changes since hashing (the ContentReader). */
  reader: BlockSource & { readonly pieceLength: number; readonly length: number };
  /** Trackers the seeder announces to (ours over loopback, which always reaches it). */
  announce: string[];
  /** `share-file/<version>`: the tracker's User-Agent and the extended handshake's client name. */
  clientName: string;
  /** Whether a peer at this address may connect (`--allow`). */
  allows: (ip: string) => boolean;
  /** Accept only RC4-encrypted connections (MSE), no plain BitTorrent handshakes. */
  requireEncryption?: boolean;
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

interface Watched {
  peer: PeerInfo;
}

/**
 * Connections at once, handshaken or not (webtorrent's default was 55 peers per torrent). At the
 * limit a newcomer takes the slot of the longest idle connection (see slots.ts).
 */
export const MAX_CONNECTIONS = 200;
/** How often timeouts and keep-alives are looked at. */
const SWEEP_MS = 1000;

export async function startSeeder(config: SeederConfig): Promise<SeederHandle> {
  keepYoungGenerationSmall();
  const { reader } = config;
  const pieceCount = reader.pieceCount;
  const events = new EventEmitter<SeederEvents>();
  /** Every connection, handshaken or not; the handshaken ones are also watched. */
  const connections = new Set<PeerConnection>();
  const watched = new Map<PeerConnection, Watched>();
  let closedUploaded = 0;
  const uploaded = (): number => {
    let sum = closedUploaded;
    for (const connection of connections) sum += connection.uploaded;
    return sum;
  };
  const handOut = new HandOutPolicy({
    pieceCount,
    pieceLength: reader.pieceLength,
    length: reader.length,
    holders: (index) => {
      let holders = 0;
      for (const connection of watched.keys()) if (connection.pieces.has(index)) holders += 1;
      return holders;
    },
  });
  const context: WireContext = {
    infoHash: Buffer.from(config.infoHash, 'hex'),
    peerId: Buffer.from(config.peerId, 'hex'),
    clientName: config.clientName,
    info: config.info,
    reader,
    fullBitfield: fullBitfield(pieceCount),
    mayServe: (piece: number) => handOut.mayServe(piece),
    onServed: (piece: number, bytes: number) => handOut.sent(piece, bytes),
    requireEncryption: config.requireEncryption ?? false,
    budget: new SendBudget(),
  };

  const server = createServer((socket) => {
    // Sources outside --allow are dropped before they are served anything.
    if (socket.remoteAddress === undefined || !config.allows(socket.remoteAddress)) {
      socket.destroy();
      return;
    }
    if (connections.size >= MAX_CONNECTIONS) {
      const evicted = connectionToEvict(connections);
      if (!evicted) {
        socket.destroy();
        return;
      }
      evicted.close();
    }
    const address = formatAddress(socket.remoteAddress, socket.remotePort!);
    const connection = new PeerConnection(socket, context, {
      onReady: (ready) => {
        const entry: Watched = { peer: { peerId: ready.peerId, address, ip: unmapIPv4(socket.remoteAddress!), listenPort: undefined } };
        watched.set(ready, entry);
        events.emit('peer-connected', entry.peer);
      },
      onListenPort: (identified, port) => {
        const entry = watched.get(identified);
        if (!entry || entry.peer.listenPort === port) return;
        entry.peer.listenPort = port;
        events.emit('peer-identified', entry.peer);
      },
      onComplete: (complete) => {
        const entry = watched.get(complete);
        if (entry) events.emit('peer-completed', entry.peer);
      },
      onClose: (closed) => {
        connections.delete(closed);
        closedUploaded += closed.uploaded;
        const entry = watched.get(closed);
        if (!entry) return;
        watched.delete(closed);
        events.emit('peer-disconnected', entry.peer);
      },
    });
    connections.add(connection);
  });
  await listenOn(server, config.port, 'peer');
  server.on('error', (error) => events.emit('error', error));

  // One timer for every connection: handshake and silence timeouts, stalled readers, keep-alives.
  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const connection of [...connections]) connection.sweep(now);
  }, SWEEP_MS);
  sweeper.unref();

  const announcer: Announcer = startAnnouncing({
    infoHash: config.infoHash,
    peerId: config.peerId,
    port: config.port,
    announce: config.announce,
    userAgent: config.clientName,
    uploaded,
    onWarning: (url, error) => events.emit('tracker-warning', { url, error }),
  });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      clearInterval(sweeper);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const connection of [...connections]) connection.close();
      await Promise.all([closed, announcer.stop()]);
    })();
    return closing;
  };
  return {
    events,
    handOut,
    connectedPeers: () => watched.size,
    stats: () => statsOf(uploaded(), watched, pieceCount),
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

function statsOf(uploaded: number, watched: Map<PeerConnection, Watched>, pieceCount: number): SeedingStats {
  let uploadRate = 0;
  const peers = [...watched].map(([connection, { peer }]) => {
    const rate = Math.round(connection.uploadRate());
    uploadRate += rate;
    return {
      peer: peer.address,
      peerId: peer.peerId,
      uploaded: connection.uploaded,
      uploadRate: rate,
      percent: Math.floor((connection.pieces.held / pieceCount) * 1000) / 10,
    };
  });
  return { uploaded, uploadRate, peers };
}
