// What every connection needs from the seeder: the torrent, our identity, the blocks and the
// hand-out policy.
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
