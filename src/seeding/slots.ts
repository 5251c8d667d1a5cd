// Who gives way when the seeder is at its connection limit: a recipient that wants data always
// gets a slot, so idle and uninterested connections (handshaking or not) make room for newcomers
// instead of newcomers being refused. Otherwise 200 peers that connect and say nothing would lock
// every real recipient out.

/** What the choice looks at on each connection. */
export interface Slot {
  /** Requests queued or blocks unsent. */
  readonly busy: boolean;
  /** Handshake done and the peer said it is interested. */
  readonly ready: boolean;
  readonly interested: boolean;
  /** Last time it showed it wants data (ms). */
  readonly lastActive: number;
}

/**
 * The connection to close for a newcomer, or undefined when every one is being served (then the
 * newcomer waits for its client to retry). Uninterested and unfinished connections go first, the
 * longest idle of them; then the longest idle interested one.
 */
export function connectionToEvict<T extends Slot>(connections: Iterable<T>): T | undefined {
  let best: T | undefined;
  let bestRank = Infinity;
  for (const connection of connections) {
    if (connection.busy) continue;
    const rank = (connection.ready && connection.interested ? 1e15 : 0) + connection.lastActive;
    if (rank < bestRank) {
      best = connection;
      bestRank = rank;
    }
  }
  return best;
}
