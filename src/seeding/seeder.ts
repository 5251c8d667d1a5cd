// The seeder: serves the shared pieces to the recipients that connect to the fixed peer port, and
// announces itself to the trackers.
//
// It is not a webtorrent client. Seeding 1 GiB to one aria2c over loopback, a webtorrent client
// with every option tuned (no DHT/LSD/uTP/PEX, a read-only store with no piece cache) used
// 1.02-1.22 times libtorrent's CPU time and peaked at 167-186 MiB RSS: each block went through two
// speed-limiter stages and two counting transforms (streamx, one promise per chunk) between the wire
// and the socket, and the client loads DHT, uTP, LSD, PEX, NAT-PMP and a chunk-store stack a
// seeder of one torrent never uses. Here each connection's messages are written straight to its
// socket (see connection/wire.ts for why the wire is our own), and bittorrent-tracker's client announces.
import { EventEmitter } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { startAnnouncing, type Announcer } from './announcer.ts';
import type { BlockSource } from './connection/block-server.ts';
import { HandOutPolicy } from './hand-out.ts';
import { RevealPlan } from './reveal.ts';
import { tellPieces } from './tell-pieces.ts';
import { keepYoungGenerationSmall } from './heap.ts';
import { listenOn } from '../host/listen.ts';
import { mark } from '../output/timeline.ts';
import { SendBudget } from './send-budget.ts';
import { connectionToEvict } from './slots.ts';
import { PeerConnection, type WireContext } from './connection/wire.ts';
import { hooksFor, statsOf, type Peers, type SeederEvents, type SeedingStats } from './peer-events.ts';

export type { PeerInfo, PeerStats, SeederEvents, SeedingStats } from './peer-events.ts';

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

export interface SeederHandle {
  events: EventEmitter<SeederEvents>;
  /** Which pieces go out now. */
  handOut: HandOutPolicy;
  /** Recipients connected right now. */
  connectedPeers(): number;
  stats(): SeedingStats;
  close(): Promise<void>;
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
  const peers: Peers = { connections: new Set(), watched: new Map(), closedUploaded: 0 };
  const { connections, watched } = peers;
  const uploaded = (): number => {
    let sum = peers.closedUploaded;
    for (const connection of connections) sum += connection.uploaded;
    return sum;
  };
  const handOut = new HandOutPolicy({
    pieceCount,
    pieceLength: reader.pieceLength,
    length: reader.length,
    holders: (index, requester) => holdersOf(watched.keys(), index, requester),
    stillFetching: (index, recipient) => watched.has(recipient as PeerConnection) && !(recipient as PeerConnection).pieces.has(index),
    // The wire asks only when the peer's socket and the send budget have room (connection/block-server.ts).
    queuedBytes: () => 0,
  });
  const reveal = new RevealPlan({ pieceCount, pieceLength: reader.pieceLength });
  const context: WireContext = {
    infoHash: Buffer.from(config.infoHash, 'hex'),
    peerId: Buffer.from(config.peerId, 'hex'),
    clientName: config.clientName,
    info: config.info,
    reader,
    mayServe: (piece, requester) => handOut.mayServe(piece, requester),
    onServed: (piece: number, bytes: number) => handOut.sent(piece, bytes),
    requireEncryption: config.requireEncryption ?? false,
    budget: new SendBudget(),
  };

  const server = createServer((socket) => accept(socket, config, context, peers, events, reveal));
  await listenOn(server, config.port, 'peer');
  mark('seeder-listening');
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

/** A new connection: let in if --allow says so, making room at the limit (see slots.ts). */
function accept(socket: Socket, config: SeederConfig, context: WireContext, peers: Peers, events: EventEmitter<SeederEvents>, reveal: RevealPlan): void {
  // Sources outside --allow are dropped before they are served anything.
  if (socket.remoteAddress === undefined || !config.allows(socket.remoteAddress)) {
    socket.destroy();
    return;
  }
  if (peers.connections.size >= MAX_CONNECTIONS) {
    const evicted = connectionToEvict(peers.connections);
    if (!evicted) {
      socket.destroy();
      return;
    }
    evicted.close();
  }
  const hooks = hooksFor(socket, peers, events);
  peers.connections.add(new PeerConnection(socket, context, tellPieces(reveal, hooks, context.reader.pieceCount)));
}

/** How many connected recipients, other than `except`, hold the piece. */
function holdersOf(connections: Iterable<PeerConnection>, index: number, except?: unknown): number {
  let holders = 0;
  for (const connection of connections) if (connection !== except && connection.pieces.has(index)) holders += 1;
  return holders;
}

