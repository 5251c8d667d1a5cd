// What one peer connection may cost the seeder: block and queue sizes, and how long anything may
// stall. The bounds on unsent data, per connection and across connections, are in
// ../send-budget.ts; docs/architecture.md ("What a peer may cost") has them all in one table.

/** BEP 3 clients ask for 16 KiB blocks; libtorrent and webtorrent drop peers asking for more than 128 KiB. */
export const MAX_BLOCK_LENGTH = 128 * 1024;
/**
 * The longest message a recipient may send us, but for a bitfield (as long as the torrent needs):
 * a partial message waits in memory whole. A seeder asks for nothing, so no piece or metadata data
 * comes its way; what remains (requests, haves, extended handshakes) is far shorter.
 */
export const MAX_PEER_MESSAGE = 64 * 1024;
/**
 * Requests a peer may keep queued, told in the extended handshake (BEP 10 `reqq`): libtorrent's
 * max_allowed_in_request_queue. Transmission keeps exactly `reqq` in flight, and at 256 it fetched
 * 3.3 MiB/s here, 3.6-7.7 times slower than from libtorrent. A queued request is a small record
 * (no block): blocks are read only as the socket drains (see block-server.ts).
 */
export const REQUEST_QUEUE_LENGTH = 2000;
/** From the first byte to the BitTorrent handshake, MSE included. */
export const HANDSHAKE_TIMEOUT_MS = 10_000;
/** Peers send a keep-alive every two minutes; four of silence is a dead connection. */
export const RECEIVE_TIMEOUT_MS = 240_000;
export const KEEP_ALIVE_MS = 90_000;
/**
 * Our own messages (haves, rejects, keep-alives) queued on a socket that is not read, beyond its
 * blocks: 64 KiB, plus a `have` (9 bytes) for every piece, as a recipient told everything at once is
 * sent one per piece in a single tick (65,536 pieces for a 1 TiB disk: 576 KiB). Past it the peer is
 * dropped; 200 connections at 64 KiB are 12.5 MiB, and the haves of a 20 GB share add 20 KiB each.
 */
export function maxOwnBacklog(pieceCount: number): number {
  return 64 * 1024 + 9 * pieceCount;
}
/**
 * A connection with data queued to it for this long that took less than STALLED_BYTES in that time
 * gives up its slot to a newcomer at the connection limit (see ../slots.ts). It is not closed
 * otherwise: the send budget judges it over a longer window. One reading 3 KiB/s or more keeps it.
 */
export const STALLED_SECONDS = 5;
export const STALLED_BYTES = 16 * 1024;
