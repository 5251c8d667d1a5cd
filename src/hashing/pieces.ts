// The piece hashes of what is shared: from the hash cache when this exact version was hashed before, else hashed now.
import { statSync, type BigIntStats } from 'node:fs';
import { ShareFileError } from '../errors.ts';
import { beginHashing, type HashingUnderWay } from './hash.ts';
import { releaseHashWorkers } from './hash-pool.ts';
import type { HashCache } from './hash-cache.ts';
import type { HashingEvent } from '../output/events.ts';
import type { SharedContent } from '../content/source.ts';
import { mark } from '../output/timeline.ts';

const HASHING_EVENTS_PER_SECOND = 4;

export interface PiecesRequest {
  source: SharedContent;
  pieceLength: number;
  cache: HashCache;
  signal: AbortSignal;
}

/** Pieces on their way: the cache looked up and, on a miss, the workers hashing. */
export interface PendingPieces {
  /**
   * From here on reports `hashing` events, and resolves with the pieces. Hashed pieces are written
   * to the cache after that, beside the rest of the start-up: see `stored`.
   */
  finish(onHashing: (event: HashingEvent) => void): Promise<Buffer>;
  /** Resolves once freshly hashed pieces are in the cache (false if they could not be written, or came from it). */
  readonly stored: Promise<boolean>;
  /** Stops hashing that nobody will finish (a later start-up step failed). */
  cancel(): void;
}

export async function obtainPieces(request: PiecesRequest & { onHashing: (event: HashingEvent) => void }): Promise<Buffer> {
  const pending = beginPieces(request);
  const pieces = await pending.finish(request.onHashing);
  await pending.stored;
  return pieces;
}

/**
 * Looks the content up in the hash cache and, on a miss, hands it to the hashing workers at once,
 * without a word: the caller goes on with its own checks, and the events start with finish().
 */
export function beginPieces(request: PiecesRequest): PendingPieces {
  const { source, pieceLength, cache } = request;
  let cancelled = false;
  let store: (pieces: Buffer | undefined) => void = () => {};
  const stored = new Promise<boolean>((resolve) => (store = (pieces) => resolve(pieces ? cache.store(source, pieceLength, pieces) : false)));
  const started: Promise<{ cached: Buffer } | { hashing: HashingUnderWay }> = cache.lookup(source, pieceLength).then((cached) => {
    mark(cached ? 'hash-cache-hit' : 'hash-cache-miss');
    if (cached || cancelled) releaseHashWorkers();
    if (cached) return { cached };
    if (cancelled) throw new Error('start-up stopped before hashing began');
    return { hashing: beginHashing({ files: source.files, pieceLength, signal: request.signal }) };
  });
  // A start that fails (stopped) surfaces in finish(), if anyone still calls it.
  started.catch(() => {});
  return {
    finish: async (onHashing) => {
      const report = (hashedBytes: number, cached: boolean): void => onHashing({ event: 'hashing', file: source.name, hashedBytes, totalBytes: source.length, cached });
      const state = await started;
      if ('cached' in state) {
        store(undefined);
        report(source.length, true);
        return state.cached;
      }
      report(0, false);
      // The whole length is reported once, below, after the pieces are in; the hashing's own last
      // progress report would say it a second time.
      const progress = throttle(HASHING_EVENTS_PER_SECOND, (bytes) => report(bytes, false));
      const pieces = await state.hashing.join((bytes) => bytes < source.length && progress(bytes)).catch((error: unknown) => {
        if (request.signal.aborted) throw error;
        throw new ShareFileError('FILE_UNREADABLE', `reading \`${source.path}\` failed: ${(error as Error).message}`, { cause: error, hint: 'check the file and the disk it is on' });
      });
      report(source.length, false);
      mark('hashing-done');
      // Written to while we read it: the hashes would describe no version of the file.
      await ensureUnchanged(source);
      // Not awaited: under load each asynchronous file operation waited 20-80 ms for a thread (the
      // write took 36-241 ms at 4 GiB), on the way to `ready`. A pending write keeps the process
      // alive until it is done, so the cache is written even when the share stops at once.
      store(pieces);
      void stored.then(() => mark('hash-cache-stored'));
      return pieces;
    },
    stored,
    cancel: () => {
      cancelled = true;
      store(undefined);
      void started.then((state) => 'hashing' in state && state.hashing.cancel(new Error('start-up stopped before hashing finished')), () => {});
    },
  };
}

/** Synchronous stats inside: one takes microseconds, a round trip through the thread pool far longer. */
export async function ensureUnchanged(source: SharedContent): Promise<void> {
  for (const file of source.files) {
    let now: BigIntStats | undefined;
    try {
      now = statSync(file.path, { bigint: true });
    } catch {
      now = undefined;
    }
    // stat gives a block device size 0: its length came from the device itself.
    const sizeChanged = !file.blockDevice && Number(now?.size) !== file.length;
    if (!now || sizeChanged || now.mtimeNs !== file.mtimeNs || Number(now.ino) !== file.ino) {
      throw new ShareFileError('FILE_CHANGED', `\`${file.path}\` changed while share-file was reading it`, { hint: 'wait until nothing writes to it (a running VM, a download), then share it again' });
    }
  }
}

function throttle(perSecond: number, callback: (value: number) => void): (value: number) => void {
  const interval = 1000 / perSecond;
  let last = 0;
  return (value) => {
    const now = performance.now();
    if (now - last < interval) return;
    last = now;
    callback(value);
  };
}
