// The hash cache: piece hashes of files already shared, keyed by everything that changes with the file.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import type { SharedContent } from '../content/source.ts';

const MAGIC = 'share-file hash cache 2\n';

export function cacheDirectory(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(homedir(), '.cache');
  return path.join(base, 'share-file');
}

interface CacheIdentity {
  /** The real path of what was named, and for a folder its layout. */
  path: string;
  kind: SharedContent['kind'];
  length: number;
  pieceLength: number;
  /** Per file: its path in the torrent, size, mtime (ns), device and inode. */
  files: Array<[string, number, string, number, number]>;
}

function identityOf(source: SharedContent, pieceLength: number): CacheIdentity {
  const files = source.files.map((file): [string, number, string, number, number] => [file.segments.join('/'), file.length, file.mtimeNs.toString(), file.dev, file.ino]);
  return { path: realpathSync(source.path), kind: source.kind, length: source.length, pieceLength, files };
}

/** SHA-256 of the identity: names the entry, and heads it, so a folder of many files needs no long header. */
function identityDigest(identity: CacheIdentity): string {
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex');
}

function entryPath(directory: string, identity: CacheIdentity): string {
  return path.join(directory, `${identityDigest(identity)}.pieces`);
}

/**
 * An entry is the magic line, the identity's SHA-256 as a hex line, the SHA-256 of the pieces as a hex line,
 * then the pieces. Anything that does not check out (other identity, wrong size, bad checksum) is a
 * miss: a cache entry is never trusted just for existing.
 */
function encodeEntry(identity: CacheIdentity, pieces: Buffer): Buffer {
  const checksum = createHash('sha256').update(pieces).digest('hex');
  return Buffer.concat([Buffer.from(`${MAGIC}${identityDigest(identity)}\n${checksum}\n`), pieces]);
}

function decodeEntry(data: Buffer, identity: CacheIdentity): Buffer | undefined {
  const header = data.subarray(0, Math.min(data.length, 8192)).toString('latin1');
  if (!header.startsWith(MAGIC)) return undefined;
  const identityEnd = header.indexOf('\n', MAGIC.length);
  const checksumEnd = identityEnd < 0 ? -1 : header.indexOf('\n', identityEnd + 1);
  if (checksumEnd < 0) return undefined;
  if (header.slice(MAGIC.length, identityEnd) !== identityDigest(identity)) return undefined;
  const pieces = data.subarray(checksumEnd + 1);
  if (pieces.length !== Math.ceil(identity.length / identity.pieceLength) * 20) return undefined;
  if (createHash('sha256').update(pieces).digest('hex') !== header.slice(identityEnd + 1, checksumEnd)) return undefined;
  return Buffer.from(pieces);
}

/**
 * A block device is hashed every time: nothing cheap tells that its bytes changed. Its node's mtime
 * moves only with writes through that node, and is reset when /dev is made at boot; writes through
 * another path (a loop device's backing file, a filesystem mounted on it, a VM in another mount
 * namespace) change nothing stat shows, so a cache entry could describe bytes that are gone.
 */
function cacheable(source: SharedContent): boolean {
  return !source.files.some((file) => file.blockDevice);
}

export class HashCache {
  readonly #directory: string;

  constructor(directory: string) {
    this.#directory = directory;
  }

  /** The cached pieces of exactly this version of the file, or undefined. */
  async lookup(source: SharedContent, pieceLength: number): Promise<Buffer | undefined> {
    if (!cacheable(source)) return undefined;
    try {
      // Synchronous on purpose: one realpath and one small read (or a missing file) take tens of
      // microseconds, while the same calls through the thread pool took one round trip each and
      // were answered only after the port checks that run next, so the workers waited for their job.
      const identity = identityOf(source, pieceLength);
      return decodeEntry(readFileSync(entryPath(this.#directory, identity)), identity);
    } catch {
      return undefined;
    }
  }

  /** Best effort: a cache that cannot be written only costs the next share a re-hash. */
  async store(source: SharedContent, pieceLength: number, pieces: Buffer): Promise<boolean> {
    if (!cacheable(source)) return false;
    let identity: CacheIdentity;
    try {
      identity = identityOf(source, pieceLength);
    } catch {
      return false;
    }
    const target = entryPath(this.#directory, identity);
    const temporary = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await mkdir(this.#directory, { recursive: true, mode: 0o700 });
      await writeFile(temporary, encodeEntry(identity, pieces), { mode: 0o600 });
      await rename(temporary, target);
      return true;
    } catch {
      await rm(temporary, { force: true }).catch(() => {});
      return false;
    }
  }
}
