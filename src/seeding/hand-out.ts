// Which blocks the seeder sends when several recipients download at once: new pieces first, each
// to one recipient, while the uplink is full; copies of pieces already out only when the uplink
// would otherwise have room, so the recipients trade the rest among themselves.

/** A refused piece is sent anyway after this long refused, for as long again (see `mayServe`). */
export const MAX_REFUSAL_MS = 1000;
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
 * Measured with four aria2c recipients of 256 MiB behind a 200 Mbit/s uplink (bench/uplink.ts):
 * aria2c asks each peer for the pieces rarest in its view and, told `reject`, asks the same peer for
 * the same block again at once (it keeps the piece assigned to that connection; only a choke or the
 * piece's completion releases it). So a refusal does not send the requester elsewhere, it only
 * delays the piece. The earlier rule (refuse any piece sent whole once that another recipient
 * holds, in 1 s windows) uploaded 1.22-1.29 times the file and left the link under half its rate
 * for 6-11 s of 20-26: it refused copies while nothing else was waiting to go out. Here a copy is
 * refused only while blocks already wait in our process for the sockets (the kernel's buffers are
 * full), so the uplink never idles while a request is pending. Which pieces recipients ask for at
 * all is the reveal plan's part (reveal.ts): with it, copies come only in the tail.
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
    // A copy. Nobody else can pass it on: no other recipient holds it, and its first taker is gone.
    if (this.#state.holders(index, requester) === 0 && !this.#state.stillFetching(index, taker)) return this.#serve(index, 'onlySource');
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
   * Refusals of one piece last at most MAX_REFUSAL_MS, then its blocks go out for as long again: a
   * recipient whose fellows choke it, or are slower than our uplink, is slowed, never stuck.
   */
  #refuseForAWhile(index: number): boolean {
    const now = this.#now();
    const since = this.#refusingSince.get(index);
    if (since === undefined) this.#refusingSince.set(index, now);
    else if (now - since >= 2 * MAX_REFUSAL_MS) this.#refusingSince.set(index, now);
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
