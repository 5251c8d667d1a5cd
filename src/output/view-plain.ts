// The view for logs, pipes and NO_COLOR: whole lines only, and a status line at most every 30 s.
import type { Writable } from 'node:stream';
import { formatBytes, formatDuration, formatRate } from './format.ts';
import { firewallLine, portMappedLine, recipientInstructions, UNDO_FAILED } from './instructions.ts';
import type { HashingEvent, ShareEvent, View } from './events.ts';

export const STATUS_INTERVAL_MS = 30_000;

export class PlainView implements View {
  readonly #stderr: Writable;
  readonly #atTerminal: boolean;
  #hashingStarted = 0;
  /** A `could not undo` warning was shown: the last line must not say that everything was undone. */
  #undoFailed = false;
  #lastStatus = 0;

  constructor(stderr: Writable, atTerminal: boolean) {
    this.#stderr = stderr;
    this.#atTerminal = atTerminal;
  }

  show(event: ShareEvent): void {
    switch (event.event) {
      case 'hashing':
        return this.#hashing(event);
      case 'ready':
        return this.#line(recipientInstructions(event, this.#atTerminal));
      case 'progress': {
        if (performance.now() - this.#lastStatus < STATUS_INTERVAL_MS) return;
        this.#lastStatus = performance.now();
        const peers = event.peers.length === 1 ? '1 peer' : `${event.peers.length} peers`;
        return this.#line(`share-file: uploaded ${formatBytes(event.uploaded)} (ratio ${event.ratio.toFixed(2)}), ${peers} connected, ${event.completedPeers} done, ${formatRate(event.uploadRate)}`);
      }
      case 'completed':
        return this.#line(`share-file: ${event.peer} has the whole ${event.via === 'http' ? 'file over HTTP' : 'torrent'} (${event.completedPeers} so far)`);
      case 'warning':
        if (event.message.startsWith(UNDO_FAILED)) this.#undoFailed = true;
        return this.#line(`warning: ${event.message}`);
      case 'port-mapped':
        return this.#line(portMappedLine(event));
      case 'firewall': {
        const line = firewallLine(event);
        if (line) this.#line(line);
        return;
      }
      case 'stopped':
        return this.#line(`share-file: stopped (${event.reason}); ${this.#undoFailed ? 'undone, except what the warnings above name' : 'everything it set up is undone'}`);
      case 'peer-connected':
      case 'peer-disconnected':
      case 'error':
        return;
    }
  }

  #hashing(event: HashingEvent): void {
    const now = performance.now();
    if (event.cached) return this.#line(`share-file: ${event.file}: pieces taken from the hash cache, nothing to read`);
    if (this.#hashingStarted === 0) {
      this.#hashingStarted = now;
      this.#lastStatus = now;
      return this.#line(`share-file: hashing ${event.file} (${formatBytes(event.totalBytes)})`);
    }
    const elapsed = now - this.#hashingStarted;
    if (event.hashedBytes === event.totalBytes) {
      return this.#line(`share-file: hashed in ${formatDuration(elapsed)} (${formatRate(event.totalBytes / Math.max(elapsed / 1000, 0.001))})`);
    }
    if (now - this.#lastStatus < STATUS_INTERVAL_MS || event.hashedBytes === 0) return;
    this.#lastStatus = now;
    const rate = event.hashedBytes / Math.max(elapsed / 1000, 0.001);
    const percent = Math.floor((event.hashedBytes / event.totalBytes) * 100);
    this.#line(`share-file: hashing ${percent}% at ${formatRate(rate)}, about ${formatDuration(((event.totalBytes - event.hashedBytes) / rate) * 1000)} left`);
  }

  error(line: string): void {
    this.#line(line);
  }

  close(): void {}

  #line(text: string): void {
    this.#stderr.write(`${text}\n`);
  }
}
