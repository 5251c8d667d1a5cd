// One recipient's connection: the BitTorrent handshake, then the blocks it asks for, read through
// the ContentReader as the hand-out policy allows. Built on bittorrent-protocol, webtorrent's own
// wire, without webtorrent's client around it (see seeder.ts for why).
import type { Socket } from 'node:net';
import Wire from 'bittorrent-protocol';
import utMetadata from 'ut_metadata';
import type { ContentReader, Lease } from '../content/reader.ts';

/** BEP 3 clients ask for 16 KiB blocks; libtorrent and webtorrent drop peers asking for more than 128 KiB. */
export const MAX_BLOCK_LENGTH = 128 * 1024;
/** How many requests a recipient may have outstanding, told in the extended handshake (BEP 10 `reqq`). */
export const REQUEST_QUEUE_LENGTH = 256;
/**
 * Answered blocks not yet written to the socket. A recipient keeps at most `reqq` requests
 * outstanding, so more than this unsent means it asks without reading: it is dropped rather than
 * let grow our memory.
 */
export const MAX_UNSENT_BYTES = 2 * REQUEST_QUEUE_LENGTH * MAX_BLOCK_LENGTH;
const HANDSHAKE_TIMEOUT_MS = 25_000;
/**
 * A refused request is answered this late. aria2c asks again for a rejected block at once, so with
 * sub-millisecond round trips (loopback, a fast link) refusals became a storm of request and
 * reject messages that burned the CPU both sides needed for the blocks that did go out.
 */
export const REJECT_DELAY_MS = 100;

export interface WireContext {
  infoHash: string;
  peerId: string;
  /** `v` in the extended handshake: the client name recipients show. */
  clientName: string;
  /** The bencoded info dictionary, for recipients that come with a magnet link (BEP 9). */
  info: Buffer;
  reader: ContentReader;
  /** Every piece's bit set: for recipients without the fast extension (BEP 6), which get `have all`. */
  fullBitfield: Uint8Array;
  /** Whether recipients hear of pieces one by one (the reveal plan) rather than all at once. */
  revealsGradually: boolean;
  /** Whether to send a block of this piece now (see HandOutPolicy), and what was sent. */
  mayServe: (piece: number, requester: SeedingWire) => boolean;
  onServed: (piece: number, bytes: number) => void;
}

export type SeedingWire = Wire;

/**
 * Speaks BitTorrent on an accepted socket. Calls `onReady` once the recipient's handshake named our
 * torrent and we answered; a wrong torrent, our own peer id or a silent peer closes the socket.
 */
export function serveSocket(socket: Socket, context: WireContext, onReady: (wire: SeedingWire) => void): SeedingWire {
  const wire = new Wire('tcpIncoming');
  const close = (): void => {
    wire.destroy();
    socket.destroy();
  };
  const handshakeTimer = setTimeout(close, HANDSHAKE_TIMEOUT_MS);
  handshakeTimer.unref();
  socket.on('error', close);
  socket.on('close', close);
  socket.pipe(wire);
  // The wire's messages go to the socket one by one, each block with the callback that hands its
  // buffer back to the reader once the socket has written it (see ContentReader.lend). Messages
  // sent in the same tick go out in one writev: header and block of a piece message were two
  // writes, and seeding 1 GiB to aria2c took 1.7-1.9 s of CPU that way, 1.0-1.3 s corked.
  const unsent: Unsent = { leases: new Map(), bytes: 0 };
  let corked = false;
  const uncork = (): void => {
    corked = false;
    socket.uncork();
  };
  wire.on('data', (chunk: Uint8Array) => {
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    const lease = unsent.leases.get(chunk);
    if (!lease) return socket.write(chunk);
    unsent.leases.delete(chunk);
    socket.write(chunk, () => {
      unsent.bytes -= chunk.length;
      lease.release();
    });
  });
  wire.on('end', () => socket.end());
  wire.on('close', () => {
    clearTimeout(handshakeTimer);
    // Blocks answered but never sent: nothing will write them now.
    for (const lease of unsent.leases.values()) lease.release();
    unsent.leases.clear();
    close();
  });

  wire.use(utMetadata(context.info));
  wire.extendedHandshake.v = context.clientName;
  wire.extendedHandshake.reqq = REQUEST_QUEUE_LENGTH;

  wire.once('handshake', (infoHash: string, peerId: string) => {
    clearTimeout(handshakeTimer);
    // Our own address can come back to us (a recipient's tracker list, a magnet's x.pe): no self-talk.
    if (infoHash !== context.infoHash || peerId === context.peerId) {
      close();
      return;
    }
    wire.handshake(context.infoHash, context.peerId, { dht: false, fast: true });
    // Told gradually (see reveal.ts): `have none` now, then `have` for each piece given to this recipient.
    if (context.revealsGradually) {
      if (wire.hasFast) wire.haveNone();
    } else if (wire.hasFast) wire.haveAll();
    else wire.bitfield(context.fullBitfield);
    // Every interested recipient is unchoked: the hand-out policy, not choking, spreads the pieces.
    wire.on('interested', () => wire.unchoke());
    wire.on('request', (index: number, offset: number, length: number, respond: (error: Error | null, block?: Uint8Array) => void) => {
      serveRequest(context, wire, unsent, index, offset, length, respond);
    });
    wire.setKeepAlive(true);
    onReady(wire);
  });
  return wire;
}

/** Blocks answered and not yet written to the socket: the leases to release, and their bytes. */
interface Unsent {
  leases: Map<Uint8Array, Lease>;
  bytes: number;
}

function serveRequest(
  context: WireContext,
  wire: Wire,
  unsent: Unsent,
  index: number,
  offset: number,
  length: number,
  respond: (error: Error | null, block?: Uint8Array) => void,
): void {
  const { reader } = context;
  // Out of range, oversized or asking faster than it reads: a broken or hostile peer.
  if (!Number.isInteger(index) || index < 0 || length <= 0 || length > MAX_BLOCK_LENGTH || offset < 0 || offset + length > reader.lengthOfPiece(index) || unsent.bytes > MAX_UNSENT_BYTES) {
    wire.destroy();
    return;
  }
  if (!context.mayServe(index, wire)) {
    setTimeout(() => respond(new Error(`piece ${index} is left to the other recipients for now`)), REJECT_DELAY_MS).unref();
    return;
  }
  reader.lend(index, offset, length, (error, lease) => {
    if (!lease) return respond(error);
    // Cancelled meanwhile, or the connection is gone: the wire would drop the block unsent.
    if (wire.destroyed || !isRequested(wire, index, offset, length)) return lease.release();
    context.onServed(index, length);
    unsent.leases.set(lease.bytes, lease);
    unsent.bytes += length;
    respond(null, lease.bytes);
  });
}

/** Whether the request is still waiting for its block (not cancelled, not answered). */
function isRequested(wire: Wire, index: number, offset: number, length: number): boolean {
  for (const request of wire.peerRequests) if (request.piece === index && request.offset === offset && request.length === length) return true;
  return false;
}
