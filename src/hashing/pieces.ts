// The piece hashes of what is shared: from the hash cache when this exact version was hashed before, else hashed now.
import { stat } from 'node:fs/promises';
import { ShareFileError } from '../errors.ts';
import { hashPieces } from './hash.ts';
import type { HashCache } from './hash-cache.ts';
import type { HashingEvent } from '../output/events.ts';
import type { SharedContent } from '../content/source.ts';

const HASHING_EVENTS_PER_SECOND = 4;

export interface PiecesRequest {
  source: SharedContent;
  pieceLength: number;
  cache: HashCache;
  signal: AbortSignal;
  onHashing: (event: HashingEvent) => void;
}

export async function obtainPieces(request: PiecesRequest): Promise<Buffer> {
  const { source, pieceLength, cache } = request;
  const report = (hashedBytes: number, cached: boolean): void =>
    request.onHashing({ event: 'hashing', file: source.name, hashedBytes, totalBytes: source.length, cached });

  const cached = await cache.lookup(source, pieceLength);
  if (cached) {
    report(source.length, true);
    return cached;
  }

  report(0, false);
  const pieces = await hashPieces({
    files: source.files,
    pieceLength,
    signal: request.signal,
    onProgress: throttle(HASHING_EVENTS_PER_SECOND, (bytes) => report(bytes, false)),
  }).catch((error: unknown) => {
    if (request.signal.aborted) throw error;
    throw new ShareFileError('FILE_UNREADABLE', `reading \`${source.path}\` failed: ${(error as Error).message}`, { cause: error, hint: 'check the file and the disk it is on' });
  });
  report(source.length, false);

  // Written to while we read it: the hashes would describe no version of the file.
  await ensureUnchanged(source);
  await cache.store(source, pieceLength, pieces);
  return pieces;
}

export async function ensureUnchanged(source: SharedContent): Promise<void> {
  for (const file of source.files) {
    const now = await stat(file.path, { bigint: true }).catch(() => undefined);
    if (!now || Number(now.size) !== file.length || now.mtimeNs !== file.mtimeNs || Number(now.ino) !== file.ino) {
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
