// What one peer connection may cost the seeder: block and queue sizes, and how long anything may
// stall. The memory bounds across connections are in ../send-budget.ts.
import { PEER_UNSENT_BYTES } from '../send-budget.ts';

/** BEP 3 clients ask for 16 KiB blocks; libtorrent and webtorrent drop peers asking for more than 128 KiB. */
export const MAX_BLOCK_LENGTH = 128 * 1024;
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
/** Unsent blocks that the socket has not taken for this long: a peer that stopped reading. */
export const SEND_STALL_MS = 60_000;
/** Our own messages (rejects, metadata) a non-reading peer can pile up, beyond the block budget. */
export const MAX_SOCKET_BACKLOG = PEER_UNSENT_BYTES + 1024 * 1024;
