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

/**
 * Recipients that have the whole file, each counted once. The same recipient shows up in up to
 * three ways (its wire, its announce to our tracker, an HTTP download) and not always under one
 * name: libtorrent 1.2 and newer, so qBittorrent and Deluge, announce with another peer id than the
 * one on the wire. So every sighting links what it shows (peer id; address with listening port)
 * into one recipient, and a completion counts only for a recipient not counted before. Two
 * recipients behind one NAT address listen on different ports and stay two.
 */
export class RecipientTally {
  /** Each identity key (`id:…`, `at:ip:port`) to its recipient; linked keys share one record. */
  readonly #recipients = new Map<string, { completed: boolean }>();
  #completed = 0;
  #httpDownloads = 0;

  get completed(): number {
    return this.#completed;
  }

  /** Remembers that these names belong to one recipient (a connection's handshake, an announce). */
  seen(sighting: RecipientSighting): void {
    this.#link(keysOf(sighting));
  }

  /** A recipient has everything; returns whether it is a new one (not counted before). */
  completedBy(sighting: RecipientSighting): boolean {
    const record = this.#link(keysOf(sighting));
    if (record.completed) return false;
    record.completed = true;
    this.#completed += 1;
    return true;
  }

  /** A whole file sent in one HTTP response: no peer id to tell who it was, so always a new one. */
  completedOverHttp(): string {
    this.#httpDownloads += 1;
    this.#completed += 1;
    return `http#${this.#httpDownloads}`;
  }

  /** The one record for all these keys, merging the records they had (a completion carries over). */
  #link(keys: string[]): { completed: boolean } {
    const found = [...new Set(keys.map((key) => this.#recipients.get(key)).filter((record) => record !== undefined))];
    const record = found[0] ?? { completed: false };
    if (found.length > 1) {
      // Two records that turn out to be one recipient: a count already reported is not taken back.
      record.completed = found.some((other) => other.completed);
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
