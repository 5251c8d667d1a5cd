// Where bytes of the shared content lie: the content is its files end to end, in path order.

export interface FileSpan {
  /** Where the file's bytes start in the concatenation of all files. */
  offset: number;
  length: number;
}

/** The index of the first file that ends after `position`, or `files.length` past the end. */
export function fileIndexAt(files: readonly FileSpan[], position: number): number {
  let low = 0;
  let high = files.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (files[middle]!.offset + files[middle]!.length <= position) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The files (and the part of each) that hold bytes [start, start + length); empty files hold none. */
export function partsOf<F extends FileSpan>(files: readonly F[], start: number, length: number): Array<{ file: F; at: number; length: number }> {
  const parts: Array<{ file: F; at: number; length: number }> = [];
  const end = start + length;
  for (let index = fileIndexAt(files, start); index < files.length && files[index]!.offset < end; index++) {
    const file = files[index]!;
    const from = Math.max(start, file.offset);
    const to = Math.min(end, file.offset + file.length);
    if (to > from) parts.push({ file, at: from - file.offset, length: to - from });
  }
  return parts;
}
