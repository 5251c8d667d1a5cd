// Who is connected to the seeder, and what it tells about them: the events and statistics the
// progress display and --exit-after follow.
import type { Socket } from 'node:net';
import type { EventEmitter } from 'node:events';
import { formatAddress, unmapIPv4 } from '../host/ip.ts';
import type { PeerConnection, WireHooks } from './connection/wire.ts';
import type { CopyLedger, Delivery } from './copies.ts';

export interface PeerInfo {
  peerId: string;
  /** `ip:port` of the connection. */
  address: string;
  /** The connection's source address. */
  ip: string;
  /** Where the peer accepts connections, once its extended handshake told us (BEP 10 `p`), or where we dialed it. */
  listenPort: number | undefined;
  /** `outgoing`: the seeder dialed the peer (see dial-back.ts). */
  direction: 'incoming' | 'outgoing';
}

export interface SeederEvents {
  'peer-connected': [PeerInfo];
  /** The peer's extended handshake named its listening port: how its announces can be matched to it. */
  'peer-identified': [PeerInfo];
  'peer-disconnected': [PeerInfo];
  /** The peer says it holds every piece (`have`s, a bitfield, `have all`): a claim, see copies.ts. */
  'peer-completed': [PeerInfo];
  /** Every piece was sent whole to this peer, then the peer hung up: it left with the file. */
  'peer-received-all': [PeerInfo];
  /** Every piece has now left this process whole over BitTorrent (see CopyLedger.confirm). */
  'whole-copy': [];
  /** A tracker did not answer or refused an announce; seeding goes on. */
  'tracker-warning': [{ url: string; error: Error }];
  error: [Error];
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

export interface Watched {
  peer: PeerInfo;
  /** Every piece was sent to it whole, and those bytes are out of this process. */
  receivedAll?: boolean;
}

/** Every connection, handshaken or not; the handshaken ones are also watched. */
export interface Peers {
  connections: Set<PeerConnection>;
  watched: Map<PeerConnection, Watched>;
  /** Bytes sent on connections since closed. */
  closedUploaded: number;
  /** Which pieces went out whole, to whom. */
  copies: CopyLedger;
}

/** An empty write's callback runs once every earlier write on the socket has been handed to the system. */
const FLUSHED = Buffer.alloc(0);

/**
 * What the seeder learns from one connection, told as events. `listenPort`: given for a connection
 * the seeder dialed, at the port the peer listens on.
 */
export function hooksFor(socket: Socket, peers: Peers, events: EventEmitter<SeederEvents>, listenPort?: number): WireHooks {
  const address = formatAddress(socket.remoteAddress!, socket.remotePort!);
  const ip = unmapIPv4(socket.remoteAddress!);
  // The peer hung up (FIN or reset), rather than this side closing on a timeout or at the stop.
  // Registered before the wire's own listeners, so it is known when the wire reports the close.
  let peerLeft = false;
  socket.once('end', () => (peerLeft = true));
  socket.once('error', () => (peerLeft = true));
  return {
    onReady: (ready) => {
      const entry: Watched = { peer: { peerId: ready.peerId, address, ip, listenPort, direction: listenPort === undefined ? 'incoming' : 'outgoing' } };
      peers.watched.set(ready, entry);
      events.emit('peer-connected', entry.peer);
      if (listenPort !== undefined) events.emit('peer-identified', entry.peer);
    },
    onListenPort: (identified, port) => {
      const entry = peers.watched.get(identified);
      if (!entry || entry.peer.listenPort === port) return;
      entry.peer.listenPort = port;
      events.emit('peer-identified', entry.peer);
    },
    // Blocks sent are counted by the connection itself (its rate, its upload); here, what they complete.
    onBlockSent: (connection, index, length) => {
      const delivery = peers.copies.sent(connection, index, length);
      if (!delivery.all && !delivery.copy) return;
      const entry = peers.watched.get(connection);
      connection.socket.write(FLUSHED, (error) => error || delivered(entry, delivery, peers, events));
    },
    onComplete: (complete) => {
      const entry = peers.watched.get(complete);
      if (entry) events.emit('peer-completed', entry.peer);
    },
    onClose: (closed) => {
      peers.connections.delete(closed);
      peers.closedUploaded += closed.uploaded;
      const entry = peers.watched.get(closed);
      if (!entry) return;
      peers.watched.delete(closed);
      // Only now: counted the moment its last bytes were handed to the system, the recipient could
      // be cut off by `--exit-after` stopping before they reached it (webtorrent-cli waited forever).
      if (entry.receivedAll && peerLeft) events.emit('peer-received-all', entry.peer);
      events.emit('peer-disconnected', entry.peer);
    },
  };
}

/** The bytes that made a delivery are out of this process: a recipient sent every piece, the first whole copy. */
function delivered(entry: Watched | undefined, delivery: Delivery, peers: Peers, events: EventEmitter<SeederEvents>): void {
  if (delivery.all && entry) entry.receivedAll = true;
  if (delivery.copy && peers.copies.confirm()) events.emit('whole-copy');
}

export function statsOf(uploaded: number, watched: Map<PeerConnection, Watched>, pieceCount: number): SeedingStats {
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
