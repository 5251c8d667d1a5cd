// The file to share: checked to be a readable, non-empty regular file before anything else happens.
import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { ShareFileError } from './errors.ts';

export interface SourceFile {
  path: string;
  name: string;
  length: number;
  /** Identity of this version of the file: any change to it changes one of these. */
  dev: number;
  ino: number;
  mtimeNs: bigint;
}

export async function inspectSource(path: string): Promise<SourceFile> {
  let info;
  try {
    info = await stat(path, { bigint: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new ShareFileError('FILE_MISSING', `\`${path}\` does not exist`, { hint: 'check the file name and try again', cause: error });
    }
    throw new ShareFileError('FILE_UNREADABLE', `cannot look at \`${path}\` (${code ?? 'error'})`, { hint: 'check the permissions of the file and its folders', cause: error });
  }
  if (!info.isFile()) {
    const what = info.isDirectory() ? 'a directory' : 'not a regular file';
    throw new ShareFileError('FILE_NOT_REGULAR', `\`${path}\` is ${what}`, { hint: 'share one regular file (pack a folder with tar first)' });
  }
  if (info.size === 0n) {
    throw new ShareFileError('FILE_EMPTY', `\`${path}\` is empty`, { hint: 'there is nothing to share; check that it is the right file' });
  }
  try {
    const handle = await open(path, constants.O_RDONLY);
    await handle.close();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ShareFileError('FILE_UNREADABLE', `cannot read \`${path}\` (${code ?? 'error'})`, { hint: 'check that you may read it, or run share-file as its owner', cause: error });
  }
  return { path, name: basename(path), length: Number(info.size), dev: Number(info.dev), ino: Number(info.ino), mtimeNs: info.mtimeNs };
}
