// Output: the result and --json events on stdout, everything meant for a person on stderr.
import type { Writable } from 'node:stream';

export interface ReadyEvent {
  event: 'ready';
  infoHash: string;
  name: string;
  length: number;
  torrent: string;
  torrentUrl: string;
  magnet: string;
  announce: string[];
  trackerPort: number;
  peerPort: number;
  ip: string;
}

export type ShareEvent =
  | { event: 'hashing'; file: string; hashedBytes: number; totalBytes: number; cached: boolean }
  | ReadyEvent
  | { event: 'peer-connected'; peer: string; peerId: string }
  | { event: 'peer-disconnected'; peer: string; peerId: string }
  | { event: 'completed'; peer: string; peerId: string; completedPeers: number }
  | { event: 'warning'; message: string }
  | { event: 'stopped'; reason: StopReason }
  | { event: 'error'; code: string; message: string };

export type StopReason = 'SIGINT' | 'SIGTERM' | 'SIGHUP' | 'error';

export interface ReporterOptions {
  stdout: Writable;
  stderr: Writable;
  json: boolean;
}

/** Turns events into output: NDJSON on stdout with --json, otherwise lines for a person on stderr. */
export class Reporter {
  readonly #stdout: Writable;
  readonly #stderr: Writable;
  readonly #json: boolean;

  constructor(options: ReporterOptions) {
    this.#stdout = options.stdout;
    this.#stderr = options.stderr;
    this.#json = options.json;
  }

  emit(event: ShareEvent): void {
    if (this.#json) this.#stdout.write(`${JSON.stringify(event)}\n`);
    const text = describe(event);
    if (text !== undefined) this.#stderr.write(`${text}\n`);
    // The one result a script needs without --json: the URL to hand over.
    if (!this.#json && event.event === 'ready') this.#stdout.write(`${event.torrentUrl}\n`);
  }

  /** A line for a person only (never part of the --json stream). */
  say(text: string): void {
    this.#stderr.write(`${text}\n`);
  }
}

function describe(event: ShareEvent): string | undefined {
  switch (event.event) {
    case 'hashing':
      return event.cached ? `share-file: ${event.file}: pieces taken from the cache` : undefined;
    case 'ready':
      return recipientInstructions(event);
    case 'peer-connected':
      return `share-file: ${event.peer} connected`;
    case 'peer-disconnected':
      return undefined;
    case 'completed':
      return `share-file: ${event.peer} has the whole file (${event.completedPeers} so far)`;
    case 'warning':
      return `warning: ${event.message}`;
    case 'stopped':
      return `share-file: stopped (${event.reason})`;
    case 'error':
      return undefined; // printed once, by the CLI, with its hint
  }
}

function recipientInstructions(ready: ReadyEvent): string {
  return [
    `share-file: sharing ${ready.name} (${formatBytes(ready.length)}), info hash ${ready.infoHash}`,
    'Hand the recipient one of these:',
    `  .torrent URL   ${ready.torrentUrl}`,
    `  .torrent file  ${ready.torrent}`,
    `  magnet         ${ready.magnet}`,
    `  with aria2c    aria2c --seed-time=0 ${shellQuote(ready.torrentUrl)}`,
    `Tracker on port ${ready.trackerPort}, seeding on ${ready.ip} port ${ready.peerPort}. Press Ctrl-C to stop.`,
  ].join('\n');
}

export function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}
