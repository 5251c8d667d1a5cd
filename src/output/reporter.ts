// Output: --json events on stdout, and a view for the person on stderr (bars on a TTY, lines off it).
import type { Writable } from 'node:stream';
import type { ShareEvent, View } from './events.ts';
import { PlainView } from './view-plain.ts';
import { TtyView } from './view-tty.ts';

export interface ReporterOptions {
  stdout: Writable;
  stderr: Writable;
  json: boolean;
  quiet: boolean;
  /** Redraw in place: stderr is a terminal and NO_COLOR is not set. */
  interactive: boolean;
  /** Someone at a terminal can press Ctrl-C: the instructions say so only then. */
  atTerminal: boolean;
  qr: boolean;
  /** Print the .torrent URL alone on stdout; off when stdout is the terminal the bars are drawn on. */
  resultLine: boolean;
}

export class Reporter {
  readonly #stdout: Writable;
  readonly #json: boolean;
  readonly #view: View | undefined;
  readonly #stderr: Writable;
  readonly #resultLine: boolean;

  constructor(options: ReporterOptions) {
    this.#stdout = options.stdout;
    this.#stderr = options.stderr;
    this.#json = options.json;
    this.#resultLine = options.resultLine;
    if (!options.quiet) this.#view = options.interactive ? new TtyView(options.stderr, options.qr) : new PlainView(options.stderr, options.atTerminal);
  }

  emit(event: ShareEvent): void {
    if (this.#json) this.#stdout.write(`${JSON.stringify(event)}\n`);
    // The one result a script needs without --json: the URL to hand over.
    else if (event.event === 'ready' && this.#resultLine) this.#stdout.write(`${event.torrentUrl}\n`);
    this.#view?.show(event);
  }

  /** Errors are shown even with --quiet. */
  error(line: string): void {
    if (this.#view) this.#view.error(line);
    else this.#stderr.write(`${line}\n`);
  }

  close(): void {
    this.#view?.close();
  }
}
