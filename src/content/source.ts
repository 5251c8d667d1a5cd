// What to share: one regular file or block device, or a folder walked into the ordered file list of
// a multi-file torrent. Everything is checked here, before anything else happens.
import { constants, type BigIntStats } from 'node:fs';
import { lstat, open, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { ShareFileError } from '../errors.ts';
import { blockDeviceSize } from './block-device.ts';

export interface SourceFile {
  /** Where it is read from. */
  path: string;
  /** Its path inside the torrent: empty for a single-file share. */
  segments: string[];
  length: number;
  /** Where its bytes start in the torrent's concatenation of all files. */
  offset: number;
  /** Identity of this version of the file: any change to it changes one of these. */
  dev: number;
  ino: number;
  mtimeNs: bigint;
  /** A block device: its length is the device's size (stat says 0), and it is never hash-cached. */
  blockDevice?: boolean;
}

export interface SharedContent {
  /** What the user named. */
  path: string;
  /** The torrent's `name`: --name, else the base name of the file, folder or device as named. */
  name: string;
  kind: 'file' | 'folder';
  /** Total bytes, all files together. */
  length: number;
  /** In torrent order (for a folder: sorted by path); empty files included, they carry no bytes. */
  files: SourceFile[];
  /** What the folder walk left out, and why, for a notice. */
  skipped: string[];
}

/**
 * Files that operating systems drop into folders on their own. Nobody means to send them, and
 * they differ between machines, so they would only make the torrent differ for no reason.
 */
const JUNK_NAMES = new Set(['.ds_store', 'thumbs.db', 'ehthumbs.db', 'desktop.ini']);

export function isJunk(name: string): boolean {
  // `._name` files are AppleDouble resource forks that macOS writes beside every file on foreign disks.
  return JUNK_NAMES.has(name.toLowerCase()) || name.startsWith('._');
}

/** `name`: what recipients save it as (--name); by default the base name of what was named. */
export async function inspectSource(target: string, name?: string): Promise<SharedContent> {
  const info = await statOrFail(target, stat);
  if (info.isDirectory()) return inspectFolder(target, name);
  const blockDevice = info.isBlockDevice();
  if (!info.isFile() && !blockDevice) {
    throw new ShareFileError('FILE_NOT_REGULAR', `\`${target}\` is not a regular file, a block device or a folder`, { hint: 'share a file, a disk or volume (block device), or a folder' });
  }
  if (!blockDevice && info.size === 0n) throw emptyFile(target, 'empty');
  await ensureReadable(target);
  const length = blockDevice ? deviceSize(target, info.rdev) : Number(info.size);
  if (length === 0) throw emptyFile(target, 'a block device of size 0 (a loop device with no file attached?)');
  const file = { ...sourceFile(target, [], info, 0), length, ...(blockDevice ? { blockDevice } : {}) };
  return { path: target, name: name ?? path.basename(target), kind: 'file', length, files: [file], skipped: [] };
}

async function inspectFolder(folder: string, givenName: string | undefined): Promise<SharedContent> {
  const root = await realpath(folder);
  const name = givenName ?? path.basename(path.resolve(folder));
  if (path.basename(path.resolve(folder)) === '') throw new ShareFileError('FILE_NOT_REGULAR', `\`${folder}\` is the root folder`, { hint: 'share a folder below it' });
  const walk: Walk = { root, files: [], skipped: [], emptyFolders: 0 };
  await walkFolder(walk, folder, [], new Set([root]));
  if (walk.emptyFolders > 0) walk.skipped.push(`${walk.emptyFolders} empty folder${walk.emptyFolders === 1 ? '' : 's'} (a torrent carries files only)`);
  let offset = 0;
  const files = walk.files.map(({ file, segments, info }) => {
    const entry = sourceFile(file, segments, info, offset);
    offset += entry.length;
    return entry;
  });
  if (offset === 0) {
    throw new ShareFileError('FILE_EMPTY', `\`${folder}\` has nothing to share (${files.length === 0 ? 'no files' : 'only empty files'})`, { hint: 'check that it is the right folder' });
  }
  return { path: folder, name, kind: 'folder', length: offset, files, skipped: walk.skipped };
}

interface Walk {
  root: string;
  files: Array<{ file: string; segments: string[]; info: BigIntStats }>;
  skipped: string[];
  emptyFolders: number;
}

/** Depth first, entries sorted by name, so the same folder always gives the same torrent. */
async function walkFolder(walk: Walk, folder: string, segments: string[], ancestors: Set<string>): Promise<void> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (error) {
    throw unreadable(folder, error);
  }
  names.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const before = walk.files.length;
  for (const name of names) {
    const entryPath = path.join(folder, name);
    const shown = [...segments, name].join('/');
    if (isJunk(name)) {
      walk.skipped.push(`${shown} (system junk)`);
      continue;
    }
    let info = await statOrFail(entryPath, lstat);
    if (info.isSymbolicLink()) {
      const target = await realpath(entryPath).catch(() => undefined);
      if (target === undefined) {
        throw new ShareFileError('FILE_MISSING', `\`${entryPath}\` is a link to nothing`, { hint: 'remove the broken link or make it point at a file in the folder' });
      }
      if (target !== walk.root && !target.startsWith(walk.root + path.sep)) {
        throw new ShareFileError('FILE_OUTSIDE_FOLDER', `\`${entryPath}\` links to \`${target}\`, outside the shared folder`, {
          hint: 'copy what it points to into the folder, or remove the link',
        });
      }
      if (ancestors.has(target)) {
        walk.skipped.push(`${shown} (a link back to a folder that contains it)`);
        continue;
      }
      info = await statOrFail(entryPath, stat);
    }
    if (info.isDirectory()) {
      const real = await realpath(entryPath);
      await walkFolder(walk, entryPath, [...segments, name], new Set([...ancestors, real]));
    } else if (info.isFile()) {
      if (info.size > 0n) await ensureReadable(entryPath);
      walk.files.push({ file: entryPath, segments: [...segments, name], info });
    } else {
      walk.skipped.push(`${shown} (not a regular file)`);
    }
  }
  if (walk.files.length === before && segments.length > 0) walk.emptyFolders += 1;
}

function sourceFile(file: string, segments: string[], info: BigIntStats, offset: number): SourceFile {
  return { path: file, segments, length: Number(info.size), offset, dev: Number(info.dev), ino: Number(info.ino), mtimeNs: info.mtimeNs };
}

async function statOrFail(target: string, how: typeof stat | typeof lstat): Promise<BigIntStats> {
  try {
    return await how(target, { bigint: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new ShareFileError('FILE_MISSING', `\`${target}\` does not exist`, { hint: 'check the name and try again', cause: error });
    }
    throw new ShareFileError('FILE_UNREADABLE', `cannot look at \`${target}\` (${code ?? 'error'})`, { hint: 'check the permissions of the file and its folders', cause: error });
  }
}

async function ensureReadable(file: string): Promise<void> {
  try {
    const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
    await handle.close();
  } catch (error) {
    throw unreadable(file, error);
  }
}

function deviceSize(target: string, rdev: bigint): number {
  try {
    return blockDeviceSize(target, rdev);
  } catch (error) {
    throw unreadable(target, error);
  }
}

function emptyFile(target: string, what: string): ShareFileError {
  return new ShareFileError('FILE_EMPTY', `\`${target}\` is ${what}`, { hint: 'there is nothing to share; check that it is the right file' });
}

function unreadable(target: string, error: unknown): ShareFileError {
  const code = (error as NodeJS.ErrnoException).code;
  return new ShareFileError('FILE_UNREADABLE', `cannot read \`${target}\` (${code ?? 'error'})`, { hint: 'check that you may read it, or run share-file as its owner', cause: error });
}
