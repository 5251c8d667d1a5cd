// What an HTTP client is told when the bytes it asks for changed on disk since they were shared.
import { changedForRecipients, nameInTorrent } from '../content/changed-ranges.ts';
import type { ContentReader } from '../content/reader.ts';

/**
 * Pieces checked before the headers of a response, once the content changed: enough for the start
 * of a long download or any ordinary range, little enough to answer within a second or so. Pieces
 * past it are checked as the response reaches them.
 */
export const CHECK_AHEAD_BYTES = 64 * 1024 * 1024;

/**
 * Why bytes [start, end) of the content cannot be sent (the body of a 410), or undefined while they
 * still match the .torrent.
 */
export async function changedWithin(content: { reader: ContentReader; name: string; files: ReadonlyArray<{ segments: readonly string[] }> }, start: number, end: number): Promise<string | undefined> {
  const { reader } = content;
  const refused = await reader.refusedIn(Math.floor(start / reader.pieceLength), Math.floor((end - 1) / reader.pieceLength), CHECK_AHEAD_BYTES);
  if (refused.length === 0) return undefined;
  return `${changedForRecipients(reader.changedRanges(refused), (file) => nameInTorrent(content, file))}\n`;
}
