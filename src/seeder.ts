// The seeder: a webtorrent client configured for private seeding of one torrent on one fixed TCP port.
import { EventEmitter } from 'node:events';
import { tmpdir } from 'node:os';
import WebTorrent, { type Torrent, type Wire } from 'webtorrent';
import { ShareFileError } from './errors.ts';
import { formatAddress } from './format.ts';
import { HandOutPolicy } from './hand-out.ts';
import type { ContentReader } from './content-reader.ts';
import { ReadOnlyFileStore, type FileStoreOptions } from './file-store.ts';
import { portError } from './ports.ts';

export interface SeederConfig {
  peerId: string;
  port: number;
  /** The shared bytes, guarded against changes since hashing. */
  reader: ContentReader;
  /** A .torrent with our info dictionary whose tracker is reachable from this process (loopback). */
  torrentFile: Buffer;
  /** Whether a peer at this address may connect (`--allow`). */
  allows: (ip: string) => boolean;
}

export interface PeerInfo {
  peerId: string;
  /** `ip:port` of the connection. */
  address: string;
}

export interface SeederEvents {
  'peer-connected': [PeerInfo];
  'peer-disconnected': [PeerInfo];
  'peer-completed': [PeerInfo];
  error: [Error];
}

export interface SeederHandle {
  events: EventEmitter<SeederEvents>;
  /** Which pieces go out now. */
  handOut: HandOutPolicy;
  /** Recipients connected right now. */
  connectedPeers(): number;
  torrent: Torrent;
  stats(): SeedingStats;
  close(): Promise<void>;
}

export async function startSeeder(config: SeederConfig): Promise<SeederHandle> {
  const client = new WebTorrent({
    peerId: config.peerId,
    torrentPort: config.port,
    // Private sharing: peers come from our tracker only, so nothing else learns of the torrent,
    // and no UDP socket is opened at all (DHT, LSD, uTP and NAT traversal are all UDP).
    dht: false,
    lsd: false,
    utPex: false,
    natUpnp: false,
    natPmp: false,
    utp: false,
    webSeeds: false,
  });
  const events = new EventEmitter<SeederEvents>();
  const watched = new Set<WatchedWire>();
  const { reader } = config;
  const pieceCount = reader.pieceCount;
  const handOut = new HandOutPolicy({
    pieceCount,
    pieceLength: reader.pieceLength,
    length: reader.length,
    holders: (index) => {
      let holders = 0;
      for (const { wire } of watched) if (wire.peerPieces.get(index)) holders += 1;
      return holders;
    },
  });
  const destroy = (): Promise<void> => new Promise((resolve) => client.destroy(() => resolve()));

  try {
    const torrent = await new Promise<Torrent>((resolve, reject) => {
      client.once('error', (error: NodeJS.ErrnoException) => reject(error.code ? portError('peer', config.port, error.code, error) : error));
      const added = client.add(config.torrentFile, {
        // Only the default store would use it; ours reads the shared files and writes nothing.
        path: tmpdir(),
        // The pieces were hashed from these very files a moment ago (or come from the verified cache).
        skipVerify: true,
        store: ReadOnlyFileStore,
        storeOpts: {
          reader,
          mayServe: (piece: number) => handOut.mayServe(piece),
          onServed: (piece: number, bytes: number) => handOut.sent(piece, bytes),
        } satisfies FileStoreOptions,
        storeCacheSlots: 0,
      });
      added.once('error', reject);
      let ready = false;
      let listening = client.address() !== null;
      const settle = (): void => {
        if (ready && listening) resolve(added);
      };
      added.once('ready', () => {
        ready = true;
        settle();
      });
      client.once('listening', () => {
        listening = true;
        settle();
      });
    });
    client.on('error', (error: Error) => events.emit('error', error));
    torrent.on('error', (error: Error) => events.emit('error', error));
    torrent.on('wire', (wire: Wire) => {
      // Our own address can come back to us (a recipient's tracker list, a magnet's x.pe): no self-talk.
      // Sources outside --allow are dropped before they are served anything.
      if (wire.peerId === config.peerId || !config.allows(wire.remoteAddress)) wire.destroy();
      else watchWire(wire, pieceCount, events, watched);
    });
    return { events, handOut, connectedPeers: () => watched.size, torrent, stats: () => statsOf(torrent, watched, pieceCount), close: destroy };
  } catch (error) {
    await destroy();
    if (error instanceof ShareFileError) throw error;
    throw new ShareFileError('INTERNAL', `the seeder could not start: ${(error as Error).message}`, { cause: error });
  }
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
  wire: Wire;
  peer: PeerInfo;
  held: number;
}

/** Follows one connection: who it is, how much it holds, and when it holds every piece. */
function watchWire(wire: Wire, pieceCount: number, events: EventEmitter<SeederEvents>, watched: Set<WatchedWire>): void {
  const entry: WatchedWire = { wire, peer: { peerId: wire.peerId, address: formatAddress(wire.remoteAddress, wire.remotePort) }, held: 0 };
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

function statsOf(torrent: Torrent, watched: Set<WatchedWire>, pieceCount: number): SeedingStats {
  const peers = [...watched].map(({ wire, peer, held }) => ({
    peer: peer.address,
    peerId: peer.peerId,
    uploaded: wire.uploaded,
    uploadRate: Math.round(wire.uploadSpeed()),
    percent: Math.floor((held / pieceCount) * 1000) / 10,
  }));
  return { uploaded: torrent.uploaded, uploadRate: Math.round(torrent.uploadSpeed), peers };
}
