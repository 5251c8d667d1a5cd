// The seeder: serves the shared pieces to the recipients that connect to the fixed peer port (and
// to those our tracker knows that cannot, dialed from here: see dial-back.ts), and announces itself
// to the trackers.
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
import { CopyLedger } from './copies.ts';
import { RevealPlan } from './reveal.ts';
import { tellPieces } from './tell-pieces.ts';
import { keepYoungGenerationSmall } from './heap.ts';
import { listenOn } from '../host/listen.ts';
import { sourceKey } from '../host/cidr.ts';
import { unmapIPv4 } from '../host/ip.ts';
import { mark } from '../output/timeline.ts';
import { SendBudget } from './send-budget.ts';
import { connectionToEvict } from './slots.ts';
import type { Announced, DialTarget } from './dial-back.ts';
import { startDialer, type Dialer } from './dialer.ts';
import { PeerConnection, type WireContext } from './connection/wire.ts';
import { MetadataPieces } from './connection/metadata.ts';
import type { Opening } from './connection/handshake.ts';
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
  /** Our own tracker's announces: recipients that do not connect on their own are dialed (see dial-back.ts). */
  announces?: { on(event: 'announce', listener: (peer: Announced) => void): unknown } | undefined;
}

export interface SeederHandle {
  events: EventEmitter<SeederEvents>;
  /** Which pieces go out now. */
  handOut: HandOutPolicy;
  /** Which pieces went out whole, to whom: HTTP responses add theirs. */
  copies: CopyLedger;
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
/**
 * Connections from one address at once: a host cannot take every slot with connections that ask
 * and read just enough to stay, and recipients behind one NAT still fit by the dozen. At the limit
 * a newcomer takes the slot of that address's longest idle (or stalled) connection.
 */
export const MAX_CONNECTIONS_PER_ADDRESS = 50;
/** How often timeouts and keep-alives are looked at. */
const SWEEP_MS = 1000;

export async function startSeeder(config: SeederConfig): Promise<SeederHandle> {
  keepYoungGenerationSmall();
  const { reader } = config;
  const pieceCount = reader.pieceCount;
  const events = new EventEmitter<SeederEvents>();
  const peers: Peers = { connections: new Set(), watched: new Map(), closedUploaded: 0, copies: new CopyLedger(reader) };
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
  const reveal = new RevealPlan({ pieceCount, pieceLength: reader.pieceLength, rateOf: (recipient) => (recipient as PeerConnection).uploadRate() });
  const context: WireContext = {
    infoHash: Buffer.from(config.infoHash, 'hex'),
    peerId: Buffer.from(config.peerId, 'hex'),
    clientName: config.clientName,
    info: config.info,
    metadata: new MetadataPieces(config.info),
    reader,
    mayServe: (piece, requester) => handOut.mayServe(piece, requester),
    onServed: (piece: number, bytes: number) => handOut.sent(piece, bytes),
    requireEncryption: config.requireEncryption ?? false,
    budget: new SendBudget(),
  };

  const add = connectionAdder(context, peers, events, reveal);
  const server = createServer((socket) => accept(socket, config, peers, add));
  await listenOn(server, config.port, 'peer');
  mark('seeder-listening');
  server.on('error', (error) => events.emit('error', error));

  const dialer = dialBack(config, peers, add);
  // One timer for every connection: handshake and silence timeouts, keep-alives, stalled readers
  // and who gives way in the send budget; and for the recipients due a dial.
  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const connection of [...connections]) connection.sweep(now);
    context.budget.sweep(now);
    dialer.tick(now);
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
      dialer.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const connection of [...connections]) connection.close();
      await Promise.all([closed, announcer.stop()]);
    })();
    return closing;
  };
  return {
    events,
    handOut,
    copies: peers.copies,
    connectedPeers: () => watched.size,
    stats: () => statsOf(uploaded(), watched, pieceCount),
    close,
  };
}

/** A new connection: let in if --allow says so, making room at the limit (see slots.ts). */
function accept(socket: Socket, config: SeederConfig, peers: Peers, add: AddConnection): void {
  // Sources outside --allow are dropped before they are served anything.
  if (socket.remoteAddress === undefined || !config.allows(socket.remoteAddress)) {
    socket.destroy();
    return;
  }
  if (!makeRoom(peers, socket.remoteAddress)) {
    socket.destroy();
    return;
  }
  add(socket);
}

/**
 * At the limit of the address or in all, closes the connection that gives way (see slots.ts);
 * false when every one is being served.
 */
function makeRoom(peers: Peers, address: string): boolean {
  // An IPv6 host picks its addresses from its /64 at will: one source, as over HTTP.
  const source = sourceKey(address);
  const fromAddress = [...peers.connections].filter((connection) => sourceKey(connection.socket.remoteAddress ?? '') === source);
  if (fromAddress.length >= MAX_CONNECTIONS_PER_ADDRESS && !evictOne(fromAddress)) return false;
  return peers.connections.size < MAX_CONNECTIONS || evictOne(peers.connections);
}

function evictOne(connections: Iterable<PeerConnection>): boolean {
  const evicted = connectionToEvict(connections);
  evicted?.close();
  return evicted !== undefined;
}

/** Starts the wire on a socket, either way round; `dialed` for a connection the seeder opened. */
type AddConnection = (socket: Socket, dialed?: { opening: Opening; listenPort: number; onClose: (connection: PeerConnection) => void }) => void;

function connectionAdder(context: WireContext, peers: Peers, events: EventEmitter<SeederEvents>, reveal: RevealPlan): AddConnection {
  return (socket, dialed) => {
    const hooks = hooksFor(socket, peers, events, dialed?.listenPort);
    if (dialed) {
      const onClose = hooks.onClose;
      hooks.onClose = (connection) => {
        onClose(connection);
        dialed.onClose(connection);
      };
    }
    peers.connections.add(new PeerConnection(socket, context, tellPieces(reveal, hooks, context.reader), dialed?.opening));
  };
}

/** The recipients our tracker knows that do not connect on their own, dialed from here (see dial-back.ts). */
function dialBack(config: SeederConfig, peers: Peers, add: AddConnection): Dialer {
  const dialer = startDialer({
    ownPeerId: config.peerId,
    allows: config.allows,
    requireEncryption: config.requireEncryption ?? false,
    hasRoom: () => peers.connections.size < MAX_CONNECTIONS,
    covered: (target) => [...peers.connections].some((connection) => mayBe(connection, target, peers)),
    open: (socket, opening, listenPort, onClose) => {
      // Incoming connections may have taken the room while the dial was under way.
      if (!makeRoom(peers, socket.remoteAddress ?? '')) return false;
      add(socket, { opening, listenPort, onClose });
      return true;
    },
  });
  config.announces?.on('announce', (peer) => dialer.announced(peer));
  return dialer;
}

/**
 * Whether a connection could be the target's own: from its address, and not shown to be another
 * recipient there (by its peer id or its listening port). Unknown counts as "could be": a second
 * connection to a recipient only gets dropped by it.
 */
function mayBe(connection: PeerConnection, target: DialTarget, peers: Peers): boolean {
  if (unmapIPv4(connection.socket.remoteAddress ?? '') !== target.ip) return false;
  const peer = peers.watched.get(connection)?.peer;
  return peer === undefined || peer.listenPort === undefined || peer.listenPort === target.port || peer.peerId === target.peerId;
}

/** How many connected recipients, other than `except`, hold the piece. */
function holdersOf(connections: Iterable<PeerConnection>, index: number, except?: unknown): number {
  let holders = 0;
  for (const connection of connections) if (connection !== except && connection.pieces.has(index)) holders += 1;
  return holders;
}

