// Who gives way when the seeder is at its connection limit: a recipient that wants data always
// gets a slot, so idle and uninterested connections (handshaking or not) make room for newcomers
// instead of newcomers being refused, and so do connections that have stopped taking what is
// queued to them. Otherwise 200 peers that connect and say nothing, or that ask and never read,
// would lock every real recipient out.

/** What the choice looks at on each connection. */
export interface Slot {
  /** Requests queued or blocks unsent. */
  readonly busy: boolean;
  /** Busy, but it has taken next to nothing of what is queued to it for a while (see STALLED_SECONDS in connection/limits.ts). */
  readonly stalled: boolean;
  /** Handshake done and the peer said it is interested. */
  readonly ready: boolean;
  readonly interested: boolean;
  /** Last time it showed it wants data (ms). */
  readonly lastActive: number;
}

/**
 * The connection to close for a newcomer, or undefined when every one is being served (then the
 * newcomer waits for its client to retry). Uninterested and unfinished connections go first, the
 * longest idle of them; then the longest idle interested one; then a stalled one.
 */
export function connectionToEvict<T extends Slot>(connections: Iterable<T>): T | undefined {
  let best: T | undefined;
  let bestRank = Infinity;
  for (const connection of connections) {
    if (connection.busy && !connection.stalled) continue;
    const rank = (connection.busy ? 2e15 : connection.ready && connection.interested ? 1e15 : 0) + connection.lastActive;
    if (rank < bestRank) {
      best = connection;
      bestRank = rank;
    }
  }
  return best;
}
