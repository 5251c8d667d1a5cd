// Whom the seeder dials, and when: a recipient that announced to our own tracker and has not
// connected to us on its own gets a TCP connection from the seeder, to the address its announce
// came from and the port it said it listens on.
//
// Why a seeder dials at all: Transmission 3.00 (the default client of Debian 12 and Ubuntu 22.04)
// tries uTP first, and whenever that fails its handshake.c gotError() reconnects over TCP and then
// falls through to its generic error branch, which closes the new TCP socket at once and marks the
// seeder unreachable for 900 s (fixed in Transmission 4). On the wire, between two namespaces: two
// uTP SYNs, its TCP SYN 9.0 s later, its FIN 0.1 ms after the TCP handshake, no byte sent. Answering
// the uTP SYN with a reset only brings the doomed TCP attempt forward. A connection Transmission
// accepts is served like any other, so the seeder connects to it instead.
//
// Pure: the clock and the connections are passed in, so the policy is tested without sockets.

/** An announce our tracker received, as it saw it. */
export interface Announced {
  peerId: string;
  /** Where the announce came from (the socket's address, never a claimed one). */
  ip: string;
  port: number;
  event: string;
  left: number;
}

export interface DialTarget {
  readonly ip: string;
  readonly port: number;
  /** The peer id the recipient announced with (libtorrent's wire one may differ). */
  readonly peerId: string;
  /** `plain`: a BitTorrent handshake straight away; `mse`: the obfuscated handshake first. */
  readonly handshake: 'plain' | 'mse';
}

/** How a dial ended: the peer's handshake came, the peer closed before it, or no connection at all. */
export type DialOutcome = 'handshaken' | 'refused' | 'unreachable';

/** A recipient that connects on its own does so within this long of its announce reply. */
export const DIAL_GRACE_MS = 2000;
/** After a failed dial, wait this long before the next (doubling up to MAX_BACKOFF_MS). */
const FIRST_BACKOFF_MS = 60_000;
const MAX_BACKOFF_MS = 30 * 60_000;
/** Targets remembered, like the tracker's own peer list; the oldest go first. */
export const MAX_TARGETS = 500;
/** Connection attempts at once: a flood of announces costs at most this many sockets. */
export const MAX_DIALS_IN_FLIGHT = 8;

interface TargetState {
  target: DialTarget;
  /** When to look at it again; undefined until its next announce. */
  dueAt: number | undefined;
  notBefore: number;
  failures: number;
  inFlight: boolean;
}

export interface DialBackOptions {
  ownPeerId: string;
  /** `--allow`: only these sources are dialed, as only they may connect. */
  allows: (ip: string) => boolean;
  /** With --require-encryption every dial is MSE. */
  requireEncryption: boolean;
}

export class DialBackPlan {
  readonly #options: DialBackOptions;
  readonly #targets = new Map<string, TargetState>();
  #inFlight = 0;

  constructor(options: DialBackOptions) {
    this.#options = options;
  }

  /** Recipients remembered. */
  get size(): number {
    return this.#targets.size;
  }

  /** An announce: a recipient still fetching becomes due after the grace period; one done or gone is forgotten. */
  announced(peer: Announced, now: number): void {
    if (peer.peerId === this.#options.ownPeerId) return;
    const key = `${peer.ip} ${peer.port}`;
    if (peer.event === 'stopped' || peer.event === 'completed' || peer.left === 0) {
      if (!this.#targets.get(key)?.inFlight) this.#targets.delete(key);
      return;
    }
    if (!Number.isInteger(peer.port) || peer.port < 1 || peer.port > 65535 || peer.ip === '' || !this.#options.allows(peer.ip)) return;
    let state = this.#targets.get(key);
    if (state) {
      this.#targets.delete(key);
    } else {
      const handshake = this.#options.requireEncryption ? 'mse' : 'plain';
      state = { target: { ip: peer.ip, port: peer.port, peerId: peer.peerId, handshake }, dueAt: undefined, notBefore: 0, failures: 0, inFlight: false };
    }
    state.dueAt = Math.max(now + DIAL_GRACE_MS, state.notBefore);
    // Re-inserted: the map's order is the age of the last announce.
    this.#targets.set(key, state);
    this.#forgetOldest();
  }

  /** The targets to dial now: due, not being dialed, and not `covered` by a connection of theirs. */
  due(now: number, covered: (target: DialTarget) => boolean): DialTarget[] {
    const picked: DialTarget[] = [];
    for (const state of this.#targets.values()) {
      if (this.#inFlight + picked.length >= MAX_DIALS_IN_FLIGHT) break;
      if (state.inFlight || state.dueAt === undefined || state.dueAt > now) continue;
      state.dueAt = undefined;
      if (!covered(state.target)) picked.push(state.target);
    }
    for (const target of picked) {
      this.#targets.get(keyOf(target))!.inFlight = true;
      this.#inFlight += 1;
    }
    return picked;
  }

  /**
   * A dial ended. A recipient that closed before its handshake may insist on encryption: it is
   * dialed again at once with MSE. Anything else that failed waits, longer each time.
   */
  finished(target: DialTarget, outcome: DialOutcome, now: number): void {
    const state = this.#targets.get(keyOf(target));
    this.#inFlight -= 1;
    if (!state) return;
    state.inFlight = false;
    if (outcome === 'handshaken') {
      state.failures = 0;
      state.notBefore = 0;
      return;
    }
    if (outcome === 'refused' && state.target.handshake === 'plain') {
      state.target = { ...state.target, handshake: 'mse' };
      state.dueAt = now;
      return;
    }
    state.notBefore = now + Math.min(FIRST_BACKOFF_MS * 2 ** state.failures, MAX_BACKOFF_MS);
    state.failures += 1;
  }

  #forgetOldest(): void {
    for (const [key, state] of this.#targets) {
      if (this.#targets.size <= MAX_TARGETS) return;
      if (!state.inFlight) this.#targets.delete(key);
    }
  }
}

function keyOf(target: DialTarget): string {
  return `${target.ip} ${target.port}`;
}
