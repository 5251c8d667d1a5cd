// What the benchmarks share: large random test files, written in big blocks, their torrent for any
// tracker, and the median.
import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { hashPieces } from '../src/hashing/hash.ts';
import { inspectSource } from '../src/content/source.ts';
import { buildMetadata, encodeTorrentFile, pieceLengthFor } from '../src/hashing/torrent.ts';

export async function writeRandomFile(file: string, size: number): Promise<void> {
  const handle = await open(file, 'w');
  const block = randomBytes(16 * 1024 * 1024);
  for (let written = 0; written < size; written += block.length) await handle.write(block, 0, Math.min(block.length, size - written));
  await handle.close();
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** The file's info dictionary, and its .torrent naming any one tracker: the same torrent for every seeder. */
export async function torrentOf(file: string): Promise<{ infoHash: string; pieceLength: number; torrentFor: (announce: string) => Buffer }> {
  const source = await inspectSource(file);
  const pieceLength = pieceLengthFor(source.length);
  const metadata = buildMetadata(source.name, source.length, pieceLength, await hashPieces({ files: source.files, pieceLength }));
  return { infoHash: metadata.infoHash, pieceLength, torrentFor: (announce) => encodeTorrentFile(metadata, [announce], 'share-file bench') };
}
