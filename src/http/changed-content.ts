// What an HTTP client is told when the bytes it asks for changed on disk since they were shared.
import { describeRange } from '../content/changed-ranges.ts';
import type { ContentReader } from '../content/reader.ts';

/**
 * Pieces checked before the headers of a response, once the content changed: enough for the start
 * of a long download or any ordinary range, little enough to answer within a second or so. Pieces
 * past it are checked as the response reaches them.
 */
export const CHECK_AHEAD_BYTES = 64 * 1024 * 1024;

/**
 * Why bytes [start, end) of the content cannot be sent (the body of a 410), or undefined while they
 * still match the .torrent. `fileName` names file number n as recipients know it.
 */
export async function changedWithin(reader: ContentReader, fileName: (index: number) => string, start: number, end: number): Promise<string | undefined> {
  const refused = await reader.refusedIn(Math.floor(start / reader.pieceLength), Math.floor((end - 1) / reader.pieceLength), CHECK_AHEAD_BYTES);
  if (refused.length === 0) return undefined;
  const ranges = reader.changedRanges(refused).map((range) => `\`${fileName(range.file)}\` ${describeRange(range)}`);
  return `${ranges.join(', ')} changed on the sender's disk since it was shared, and will not be sent: ask for it to be shared again\n`;
}
