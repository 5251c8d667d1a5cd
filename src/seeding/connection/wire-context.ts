// What every connection needs from the seeder (the torrent, our identity, the blocks and the
// hand-out policy), and what it tells the seeder about its peer.
import type { ServingContext } from './block-server.ts';

export interface WireContext extends ServingContext {
  infoHash: Buffer;
  peerId: Buffer;
  /** `v` in the extended handshake: the client name recipients show. */
  clientName: string;
  /** The bencoded info dictionary, for recipients that come with a magnet link (BEP 9). */
  info: Buffer;
  requireEncryption: boolean;
}

/** What a connection tells the seeder; `C` is the connection (wire.ts), kept generic so this file imports none. */
export interface ConnectionHooks<C> {
  onReady: (connection: C) => void;
  onClose: (connection: C) => void;
  /** The peer's extended handshake named the port it listens on. */
  onListenPort: (connection: C, port: number) => void;
  /** A block of the piece went out to the peer. */
  onBlockSent: (connection: C, index: number, length: number) => void;
  /** The peer now holds every piece (told once). */
  onComplete: (connection: C) => void;
}
