// The view for a terminal: live bars for hashing, then one row per peer and a row of totals.
import type { Writable } from 'node:stream';
import cliProgress from 'cli-progress';
import { formatBytes, formatDuration, formatRate } from './format.ts';
import { firewallLine, portMappedLine, recipientInstructions, UNDO_FAILED } from './instructions.ts';
import type { ProgressEvent, ShareEvent, View } from './events.ts';

type Row = ReturnType<cliProgress.MultiBar['create']>;

interface RowPayload {
  render: (bar: string, percent: number) => string;
}

const LABEL_WIDTH = 24;

export class TtyView implements View {
  readonly #bars: cliProgress.MultiBar;
  readonly #stderr: Writable;
  readonly #qr: boolean;
  #hashing: Row | undefined;
  #hashingStarted = 0;
  /** A `could not undo` warning was shown: the last line must not say that everything was undone. */
  #undoFailed = false;
  #totals: Row | undefined;
  readonly #peers = new Map<string, Row>();
  #closed = false;

  constructor(stderr: Writable, qr: boolean) {
    this.#qr = qr;
    this.#stderr = stderr;
    this.#bars = new cliProgress.MultiBar(
      {
        stream: stderr as NodeJS.WriteStream,
        hideCursor: true,
        gracefulExit: false,
        clearOnComplete: false,
        fps: 5,
        barsize: 30,
        format: (options, params, payload: RowPayload) => {
          const bar = cliProgress.Format.BarFormat(params.progress, options);
          return payload.render(bar, Math.floor(params.progress * 100));
        },
      },
      cliProgress.Presets.shades_classic,
    );
  }

  show(event: ShareEvent): void {
    if (this.#closed) return;
    switch (event.event) {
      case 'hashing': {
        if (event.cached) return this.#log(`share-file: ${event.file}: pieces taken from the hash cache, nothing to read`);
        const now = performance.now();
        if (!this.#hashing) {
          this.#hashingStarted = now;
          this.#hashing = this.#bars.create(event.totalBytes, 0, { render: () => '' });
        }
        const elapsed = Math.max((now - this.#hashingStarted) / 1000, 0.001);
        const rate = event.hashedBytes / elapsed;
        // Until a byte is hashed there is no rate to tell the time left from.
        const eta = event.hashedBytes > 0 ? formatDuration(((event.totalBytes - event.hashedBytes) / rate) * 1000) : '…';
        const render = (bar: string, percent: number): string =>
          `${pad(`hashing ${event.file}`)} ${bar} ${String(percent).padStart(3)}% ${formatRate(rate).padStart(12)}  ETA ${eta}`;
        this.#hashing.update(event.hashedBytes, { render });
        // Events come at most 4 times a second: draw each, so even a short hash shows its bar.
        this.#bars.update();
        return;
      }
      case 'ready':
        if (this.#hashing) {
          this.#hashing.update(this.#hashing.getTotal());
          this.#bars.remove(this.#hashing);
          this.#hashing = undefined;
        }
        this.#log(recipientInstructions(event, true));
        if (this.#qr) {
          void import('qrcode')
            .then(({ default: QRCode }) => QRCode.toString(event.torrentUrl, { type: 'terminal', small: true }))
            .then((code) => this.#log(`Scan for the .torrent URL:\n${code}`));
        }
        this.#totals = this.#bars.create(1, 0, { render: () => 'waiting for recipients' });
        return;
      case 'progress':
        return this.#progress(event);
      case 'completed':
        return this.#log(`share-file: ${event.peer} has the whole ${event.via === 'http' ? 'file over HTTP' : 'torrent'} (${event.completedPeers} so far)`);
      case 'warning':
        if (event.message.startsWith(UNDO_FAILED)) this.#undoFailed = true;
        return this.#log(`warning: ${event.message}`);
      case 'port-mapped':
        return this.#log(portMappedLine(event));
      case 'firewall': {
        const line = firewallLine(event);
        if (line) this.#log(line);
        return;
      }
      case 'stopped':
        this.close();
        this.#stderr.write(`share-file: stopped (${event.reason}); ${this.#undoFailed ? 'undone, except what the warnings above name' : 'everything it set up is undone'}\n`);
        return;
      case 'peer-connected':
      case 'peer-disconnected':
      case 'error':
        return;
    }
  }

  #progress(event: ProgressEvent): void {
    const seen = new Set<string>();
    for (const peer of event.peers) {
      seen.add(peer.peer);
      let row = this.#peers.get(peer.peer);
      if (!row) {
        row = this.#bars.create(100, 0, { render: () => '' });
        this.#peers.set(peer.peer, row);
      }
      const render = (bar: string): string => `${pad(peer.peer)} ${bar} ${peer.percent.toFixed(1).padStart(5)}% ${formatRate(peer.uploadRate).padStart(12)}  sent ${formatBytes(peer.uploaded)}`;
      row.update(peer.percent, { render });
    }
    for (const [address, row] of this.#peers) {
      if (seen.has(address)) continue;
      this.#bars.remove(row);
      this.#peers.delete(address);
    }
    const peers = event.peers.length === 1 ? '1 peer' : `${event.peers.length} peers`;
    const summary = `uploaded ${formatBytes(event.uploaded)}, ratio ${event.ratio.toFixed(2)}, ${peers}, ${event.completedPeers} done, ${formatRate(event.uploadRate)}`;
    this.#totals?.update(0, { render: () => summary });
  }

  error(line: string): void {
    this.close();
    this.#stderr.write(`${line}\n`);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // Drop the bars before the final render: what stays on screen is the log, not stale rows.
    // A multibar that never drew anything has nothing to take back (stop() would print a blank line).
    if (!this.#bars.isActive) return;
    for (const row of [this.#hashing, this.#totals, ...this.#peers.values()]) if (row) this.#bars.remove(row);
    this.#bars.stop();
  }

  #log(text: string): void {
    if (this.#closed) return;
    // With no bar drawn yet (a hash-cache hit, a notice before hashing), the line goes out as is:
    // MultiBar.update() arms its redraw timer even when idle, and the create() that follows arms a
    // second one over it, which stop() never clears, so the process would outlive its clean-up.
    if (!this.#bars.isActive) {
      this.#stderr.write(`${text}\n`);
      return;
    }
    this.#bars.log(`${text}\n`);
    // MultiBar.log only shows the text at the next redraw; redraw now so it is not held back.
    this.#bars.update();
  }
}

function pad(label: string): string {
  return label.length > LABEL_WIDTH ? `${label.slice(0, LABEL_WIDTH - 1)}…` : label.padEnd(LABEL_WIDTH);
}
