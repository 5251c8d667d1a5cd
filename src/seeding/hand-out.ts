// Which blocks the seeder sends when several recipients download at once: each piece to one
// recipient first; copies of pieces a fellow recipient holds only in windows, so the recipients
// trade the rest among themselves; copies of pieces nobody holds yet when the uplink has room.

/** A refused piece is sent anyway after this long refused, for SENDING_WINDOW_MS (see `mayServe`). */
export const MAX_REFUSAL_MS = 1000;
export const SENDING_WINDOW_MS = 250;
/**
 * Below this many bytes waiting in our process for the sockets, the uplink has room: the kernel's
 * send buffers are not full, so what we answer now goes out at once instead of after the new
 * pieces already waiting. One 256 KiB piece: less and a copy is refused while the link is idle
 * between two writes; much more and copies queue up ahead of new pieces.
 */
export const ROOM_BYTES = 256 * 1024;

/** What the policy is told about the seeder, read at each decision (time injected for tests). */
export interface HandOutState {
  pieceCount: number;
  pieceLength: number;
  length: number;
  /** How many connected recipients other than `requester` hold the piece. */
  holders: (index: number, requester: unknown) => number;
  /** Whether `recipient` is still connected and lacks the piece. */
  stillFetching: (index: number, recipient: unknown) => boolean;
  /** Bytes answered but not yet taken by the sockets' kernel buffers, all connections together. */
  queuedBytes: () => number;
  now?: () => number;
}

/** Why a block went out, or not: the counts the benchmark and the tests read. */
export interface HandOutCounts {
  /** Blocks of a piece nobody had been sent yet, or of the piece's first recipient. */
  first: number;
  /** Copies sent because nobody else holds the piece or is getting it. */
  onlySource: number;
  /** Copies sent because the uplink had room. */
  room: number;
  /** Copies sent after the piece was refused for MAX_REFUSAL_MS. */
  overdue: number;
  refused: number;
}

/**
 * Which pieces recipients ask for at all is the reveal plan's part (reveal.ts): each piece is told
 * to one recipient first, so copies come only in the tail, once every recipient is told everything.
 * There a copy of a piece another connected recipient holds is refused, in windows (MAX_REFUSAL_MS
 * refusing, then SENDING_WINDOW_MS sending): aria2c, told `reject`, asks the same peer for the same
 * block again (the piece stays assigned to that connection), so a refusal delays the piece and
 * meanwhile the recipient fetches its other pieces from its fellows. Serving such copies whenever
 * the send queue had room made the loopback swarm (four aria2c, 256 MiB, no cap) upload 2.05 times
 * the file; refusing them in windows, 1.41 (1.17-1.23 with the shorter sending windows). A copy of
 * a piece nobody else holds yet (still on its way to its first recipient) goes out whenever the
 * send queue has room, so the uplink does not idle while a request waits; behind a 200 Mbit/s cap
 * the queue is rarely that full.
 */
export class HandOutPolicy {
  readonly #state: HandOutState;
  readonly #lastPieceLength: number;
  readonly #sentBytes: Float64Array;
  /** The recipient each piece was first sent to: its blocks are not copies. */
  readonly #firstTaker: unknown[];
  readonly #refusingSince = new Map<number, number>();
  readonly #now: () => number;
  readonly counts: HandOutCounts = { first: 0, onlySource: 0, room: 0, overdue: 0, refused: 0 };

  constructor(state: HandOutState) {
    this.#state = state;
    this.#lastPieceLength = state.length - (state.pieceCount - 1) * state.pieceLength;
    this.#sentBytes = new Float64Array(state.pieceCount);
    this.#firstTaker = new Array<unknown>(state.pieceCount);
    this.#now = state.now ?? (() => performance.now());
  }

  /** Whether to send `requester` a block of the piece now; `requester` is any key for one connection. */
  mayServe(index: number, requester: unknown = undefined): boolean {
    const taker = this.#firstTaker[index];
    const wholeLength = index === this.#sentBytes.length - 1 ? this.#lastPieceLength : this.#state.pieceLength;
    if (taker === undefined || (taker === requester && (this.#sentBytes[index] ?? 0) < wholeLength)) {
      this.#firstTaker[index] = requester ?? this;
      return this.#serve(index, 'first');
    }
    // A copy. Another recipient holds it: it can pass it on (see the class comment for why in windows).
    if (this.#state.holders(index, requester) > 0) return this.#refuseForAWhile(index);
    // Nobody else holds it: its first taker is gone, or still fetching it (sent when the uplink has room).
    if (!this.#state.stillFetching(index, taker)) return this.#serve(index, 'onlySource');
    if (this.#state.queuedBytes() < ROOM_BYTES) return this.#serve(index, 'room');
    return this.#refuseForAWhile(index);
  }

  sent(index: number, bytes: number): void {
    this.#sentBytes[index] = (this.#sentBytes[index] ?? 0) + bytes;
  }

  #serve(index: number, reason: Exclude<keyof HandOutCounts, 'refused'>): true {
    this.#refusingSince.delete(index);
    this.counts[reason] += 1;
    return true;
  }

  /**
   * Refusals of one piece last at most MAX_REFUSAL_MS, then its blocks go out for SENDING_WINDOW_MS:
   * a recipient whose fellows choke it, or are slower than our uplink, is slowed, never stuck. With
   * sending windows as long as the refusals, the loopback swarm uploaded 1.37-1.53 times the file
   * (four aria2c, three measurements); with 250 ms windows, 1.17-1.23.
   */
  #refuseForAWhile(index: number): boolean {
    const now = this.#now();
    const since = this.#refusingSince.get(index);
    if (since === undefined) this.#refusingSince.set(index, now);
    else if (now - since >= MAX_REFUSAL_MS + SENDING_WINDOW_MS) this.#refusingSince.set(index, now);
    else if (now - since >= MAX_REFUSAL_MS) {
      this.counts.overdue += 1;
      return true;
    }
    this.counts.refused += 1;
    return false;
  }
}

/** What the web seed asks before and while it sends pieces over HTTP. */
export interface WebSeedPolicy {
  mayServe(piece: number): boolean;
  sent(piece: number, bytes: number): void;
  /** A web-seed response starts or ends: the policy counts the clients it serves at once. */
  opened(): void;
  closed(): void;
}

/** The requester the web seed's responses count as in the hand-out policy. */
const WEB_SEED = Symbol('web seed');

/**
 * With --web-seed, the web seed gives a lone recipient a second connection, and serves clients that
 * cannot reach the peer port. Several recipients should trade among themselves instead; but
 * clients ask a web seed for long runs of pieces (aria2c: the whole file in one request), which
 * they start before their peer connections are up. Four aria2c recipients of a 256 MiB file made
 * the sharer upload 2.41 times the file with the web seed always open, 3.24 times with the hand-out
 * policy checked per piece (each cut response wastes what was in flight), 1.88-2.21 times serving
 * one connection at a time (the first recipient got the whole file over HTTP in a second and left
 * before the others had connected). So it serves only while there is one recipient, counted from
 * every side: web-seed responses, peer connections, and the tracker's announces (which arrive as
 * early as the first web-seed request). Even so the ratio stays at 1.78-3.08, against 1.24-1.28
 * without a web seed in the .torrent: which is why the web seed is not in it by default.
 */
export function webSeedPolicy(handOut: HandOutPolicy, recipients: () => number): WebSeedPolicy {
  let webClients = 0;
  return {
    mayServe: (piece) => Math.max(webClients, recipients()) <= 1 && handOut.mayServe(piece, WEB_SEED),
    sent: (piece, bytes) => handOut.sent(piece, bytes),
    opened: () => (webClients += 1),
    closed: () => (webClients -= 1),
  };
}
