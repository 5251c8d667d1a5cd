// Torrent metadata: the piece-length rule, the info dictionary, the .torrent file and the magnet link.
import { createHash } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import bencode from 'bencode';
import { ShareFileError } from '../errors.ts';

const KiB = 1024;
const MiB = 1024 * KiB;

export const MIN_PIECE_LENGTH = 256 * KiB;
export const MAX_PIECE_LENGTH = 16 * MiB;
/** Enough pieces for recipients to trade among themselves, few enough for a small .torrent. */
export const TARGET_MAX_PIECES = 2048;

/**
 * The smallest power of two from 256 KiB to 16 MiB that keeps the piece count at or under 2048.
 * 1 GiB gets 512 KiB pieces, 20 GB gets 16 MiB pieces (1,193 of them), and past 32 GiB the count
 * grows beyond 2048 rather than the pieces beyond 16 MiB, which many clients handle badly.
 */
export function pieceLengthFor(fileLength: number): number {
  let pieceLength = MIN_PIECE_LENGTH;
  while (pieceLength < MAX_PIECE_LENGTH && Math.ceil(fileLength / pieceLength) > TARGET_MAX_PIECES) pieceLength *= 2;
  return pieceLength;
}

/** A file of a folder share: its path inside the torrent, and its size. */
export interface TorrentFileEntry {
  segments: string[];
  length: number;
}

export interface TorrentMetadata {
  name: string;
  length: number;
  /** A folder's files (BEP 3 multi-file mode); undefined for a single file. */
  files: TorrentFileEntry[] | undefined;
  pieceLength: number;
  /** Concatenated 20-byte SHA-1 digests. */
  pieces: Buffer;
  infoHash: string;
  /** The bencoded info dictionary; its SHA-1 is the info hash. */
  info: Buffer;
}

/** The info dictionary depends only on the content: no tracker URL, so the info hash never does either. */
export function buildMetadata(name: string, length: number, pieceLength: number, pieces: Buffer, files?: TorrentFileEntry[]): TorrentMetadata {
  const layout = files
    ? { files: files.map((file) => ({ length: file.length, path: file.segments.map((segment) => Buffer.from(segment, 'utf8')) })) }
    : { length };
  const info = Buffer.from(
    bencode.encode({
      ...layout,
      name: Buffer.from(name, 'utf8'),
      'piece length': pieceLength,
      pieces,
      private: 1,
    }),
  );
  const infoHash = createHash('sha1').update(info).digest('hex');
  return { name, length, files, pieceLength, pieces, infoHash, info };
}

/**
 * The .torrent file: our info dictionary with only the trackers we name, and the web seeds (BEP 19
 * `url-list`) we serve, if any. Neither is inside the info dictionary, so neither changes the info hash.
 */
export function encodeTorrentFile(metadata: TorrentMetadata, announce: string[], createdBy: string, webSeeds: string[] = []): Buffer {
  // Splice the already-encoded info in, so the bytes that were hashed are the bytes that ship.
  const outer = Buffer.from(
    bencode.encode({
      announce: announce[0],
      'announce-list': announce.map((url) => [url]),
      'created by': createdBy,
      'creation date': Math.floor(Date.now() / 1000),
      info: Buffer.alloc(0),
      ...(webSeeds.length > 0 ? { 'url-list': webSeeds } : {}),
    }),
  );
  const marker = Buffer.from('4:info0:');
  const at = outer.indexOf(marker);
  return Buffer.concat([outer.subarray(0, at + 6), metadata.info, outer.subarray(at + marker.length)]);
}

export interface MagnetParts {
  infoHash: string;
  name: string;
  announce: string[];
  /** `ip:port` of peers that have the file (BEP 9 `x.pe`), so clients can start without the tracker. */
  peers: string[];
}

export function magnetLink(parts: MagnetParts): string {
  const fields = [`xt=urn:btih:${parts.infoHash}`, `dn=${encodeURIComponent(parts.name)}`];
  for (const url of parts.announce) fields.push(`tr=${encodeURIComponent(url)}`);
  // Left unescaped: `ip:port` and `[v6]:port` are valid in a query, and not every client unescapes x.pe.
  for (const peer of parts.peers) fields.push(`x.pe=${peer}`);
  return `magnet:?${fields.join('&')}`;
}

/** Creates the (empty) .torrent up front, never replacing an existing file: it is removed again at exit. */
export async function claimTorrentPath(torrentPath: string): Promise<void> {
  try {
    await writeFile(torrentPath, '', { flag: 'wx', mode: 0o644 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const hint =
      code === 'EEXIST'
        ? 'share-file never overwrites a file; remove it or choose another path with --torrent'
        : 'choose a writable path with --torrent';
    throw new ShareFileError('TORRENT_UNWRITABLE', `cannot write the .torrent to \`${torrentPath}\` (${code ?? 'error'})`, { hint, cause: error });
  }
}

/** Fills the path claimed by claimTorrentPath. */
export async function writeTorrentFile(torrentPath: string, contents: Buffer): Promise<void> {
  try {
    await writeFile(torrentPath, contents);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ShareFileError('TORRENT_UNWRITABLE', `cannot write the .torrent to \`${torrentPath}\` (${code ?? 'error'})`, { hint: 'check the free space and permissions there', cause: error });
  }
}

export async function removeTorrentFile(torrentPath: string): Promise<void> {
  await rm(torrentPath, { force: true });
}
