// What the share reports about its recipients: who has the whole file (each recipient counted once,
// however it is seen), and the sums and rates of the `progress` event.
import { formatAddress, unmapIPv4 } from '../host/ip.ts';
import type { SeedingStats } from '../seeding/seeder.ts';
import type { ProgressEvent } from './events.ts';

/** Peer ids and addresses remembered: the tracker keeps 500 peers, each seen under a few names. */
export const MAX_REMEMBERED_NAMES = 4096;

/** How a recipient was seen: its peer id, and where it listens for peers when that is known. */
export interface RecipientSighting {
  peerId: string;
  /** The address its connection or its announce came from. */
  ip: string;
  /** The port it accepts peers on: its announce's `port`, or its extended handshake's `p` (BEP 10). */
  listenPort: number | undefined;
}

/** A recipient counted: the `completed` event's fields. */
export interface Completion {
  peerId: string;
  peer: string;
  via: 'bittorrent' | 'http';
  completedPeers: number;
}

/** Where a recipient said it has everything: on its connection to us, or in an announce to our tracker. */
export type ClaimedOn = 'wire' | 'tracker';

interface Recipient {
  completed: boolean;
  /** Seen on a connection to the seeder. */
  onWire: boolean;
  /** It said it has everything once a copy was out, but is not yet seen on the wire: `peer` names it in the `completed` event. */
  claim: { peerId: string; peer: string } | undefined;
}

/**
 * Recipients that have the whole file, each counted once. The same recipient shows up in up to
 * three ways (its wire, its announce to our tracker, an HTTP download) and not always under one
 * name: libtorrent 1.2 and newer, so qBittorrent and Deluge, announce with another peer id than the
 * one on the wire. So every sighting links what it shows (peer id; address with listening port)
 * into one recipient, and a completion counts only for a recipient not counted before. Two
 * recipients behind one NAT address listen on different ports and stay two.
 *
 * What counts: a recipient sent every piece by us that then hung up, a whole file in one HTTP
 * response, or a recipient's own claim (`have all`, a full bitfield, a `completed` or `left=0`
 * announce) made once one whole copy of the file has left this process, BitTorrent and HTTP
 * together, and only from a recipient seen on a connection to us. A claim costs a peer nothing:
 * believed earlier, a peer saying `have all` or announcing `completed` ended `--exit-after 1`
 * before anyone had the file. One made before a copy has left is false (nobody can hold what has
 * not left yet) and is dropped; a recipient that got its pieces from its fellows claims after.
 * (Kept for later instead, a liar's early claim was believed the moment a real recipient's last
 * piece went out, and `--exit-after 1` stopped before that piece had arrived.)
 */
export class RecipientTally {
  /** Each identity key (`id:…`, `at:ip:port`) to its recipient; linked keys share one record. */
  readonly #recipients = new Map<string, Recipient>();
  readonly #onCompleted: (completion: Completion) => void;
  #completed = 0;
  #httpDownloads = 0;
  #copyOut = false;

  constructor(onCompleted: (completion: Completion) => void = () => {}) {
    this.#onCompleted = onCompleted;
  }

  get completed(): number {
    return this.#completed;
  }

  /** Remembers that these names belong to one recipient (`wire`: on a connection to us). */
  seen(sighting: RecipientSighting, on?: ClaimedOn): void {
    const record = this.#link(keysOf(sighting));
    if (on === 'wire') record.onWire = true;
    this.#believe(record);
  }

  /** Every piece was sent to this recipient, and is out of this process: it counts. */
  received(sighting: RecipientSighting, peer: string): void {
    const record = this.#link(keysOf(sighting));
    record.onWire = true;
    this.#count(record, sighting.peerId, peer, 'bittorrent');
  }

  /** The recipient says it has everything: counted only after a whole copy has left (see the class comment). */
  claimed(sighting: RecipientSighting, peer: string, on: ClaimedOn): void {
    if (!this.#copyOut) return;
    const record = this.#link(keysOf(sighting));
    if (on === 'wire') record.onWire = true;
    record.claim ??= { peerId: sighting.peerId, peer };
    this.#believe(record);
  }

  /** One whole copy of the file has left this process: claims from now on may be true. */
  wholeCopyOut(): void {
    this.#copyOut = true;
  }

  /** A whole file sent in one HTTP response: no peer id to tell who it was, so always a new one. */
  completedOverHttp(peer: string): void {
    this.#httpDownloads += 1;
    this.#count({ completed: false, onWire: false, claim: undefined }, `http#${this.#httpDownloads}`, peer, 'http');
  }

  #believe(record: Recipient): void {
    if (record.claim && record.onWire && this.#copyOut) this.#count(record, record.claim.peerId, record.claim.peer, 'bittorrent');
  }

  #count(record: Recipient, peerId: string, peer: string, via: Completion['via']): void {
    if (record.completed) return;
    record.completed = true;
    this.#completed += 1;
    this.#onCompleted({ peerId, peer, via, completedPeers: this.#completed });
  }

  /** The one record for all these keys, merging the records they had (a completion carries over). */
  #link(keys: string[]): Recipient {
    const found = [...new Set(keys.map((key) => this.#recipients.get(key)).filter((record) => record !== undefined))];
    const record = found[0] ?? { completed: false, onWire: false, claim: undefined };
    if (found.length > 1) {
      // Two records that turn out to be one recipient: a count already reported is not taken back.
      record.completed = found.some((other) => other.completed);
      record.onWire = found.some((other) => other.onWire);
      record.claim = found.find((other) => other.claim)?.claim;
      for (const [key, other] of this.#recipients) if (other !== record && found.includes(other)) this.#recipients.set(key, record);
    }
    for (const key of keys) {
      this.#recipients.delete(key);
      this.#recipients.set(key, record);
    }
    this.#forgetOldest();
    return record;
  }

  /** Announces are untrusted input: past the bound, the oldest names of unfinished recipients go first. */
  #forgetOldest(): void {
    if (this.#recipients.size <= MAX_REMEMBERED_NAMES) return;
    for (const [key, record] of this.#recipients) {
      if (record.completed) continue;
      this.#recipients.delete(key);
      if (this.#recipients.size <= MAX_REMEMBERED_NAMES) return;
    }
    for (const key of this.#recipients.keys()) {
      this.#recipients.delete(key);
      if (this.#recipients.size <= MAX_REMEMBERED_NAMES) return;
    }
  }
}

function keysOf({ peerId, ip, listenPort }: RecipientSighting): string[] {
  const keys = [`id:${peerId}`];
  if (listenPort !== undefined && Number.isInteger(listenPort) && listenPort > 0 && listenPort < 65536) keys.push(`at:${formatAddress(unmapIPv4(ip), listenPort)}`);
  return keys;
}

/** The `progress` event's sums and rates, from the seeder's statistics and the bytes sent over HTTP. */
export class ProgressMeter {
  readonly #totalLength: number;
  readonly #now: () => number;
  #lastUploaded = 0;
  #lastWebUploaded = 0;
  #lastReport: number;

  constructor(totalLength: number, now: () => number = () => performance.now()) {
    this.#totalLength = totalLength;
    this.#now = now;
    this.#lastReport = now();
  }

  /** The next event, or undefined when nothing is connected and nothing moved (unless `always`). */
  next(stats: SeedingStats, webUploaded: number, completedPeers: number, always = false): ProgressEvent | undefined {
    const uploaded = stats.uploaded + webUploaded;
    if (!always && stats.peers.length === 0 && uploaded === this.#lastUploaded) return undefined;
    const now = this.#now();
    const webRate = Math.round(((webUploaded - this.#lastWebUploaded) * 1000) / Math.max(1, now - this.#lastReport));
    this.#lastUploaded = uploaded;
    this.#lastWebUploaded = webUploaded;
    this.#lastReport = now;
    return {
      event: 'progress',
      uploaded,
      uploadRate: stats.uploadRate + webRate,
      webUploaded,
      ratio: uploaded / this.#totalLength,
      completedPeers,
      peers: stats.peers,
    };
  }
}
