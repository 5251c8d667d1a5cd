// Byte ranges of files that no longer match the .torrent, in the files' own coordinates, merged so
// that a person reads "bytes 0-4194303" rather than sixteen pieces.

/** Bytes [start, end) of the content's file number `file` (its index in torrent order). */
export interface FileRange {
  file: number;
  start: number;
  end: number;
}

/** The ranges sorted by file and start, overlapping or adjacent ones joined into one. */
export function mergeRanges(ranges: readonly FileRange[]): FileRange[] {
  const sorted = [...ranges].sort((a, b) => a.file - b.file || a.start - b.start);
  const merged: FileRange[] = [];
  for (const range of sorted) {
    const last = merged.at(-1);
    if (last && last.file === range.file && range.start <= last.end) last.end = Math.max(last.end, range.end);
    else merged.push({ ...range });
  }
  return merged;
}

/** `bytes 0-262143` (inclusive, as HTTP ranges are written). */
export function describeRange(range: Pick<FileRange, 'start' | 'end'>): string {
  return `bytes ${range.start}-${range.end - 1}`;
}

/** The name recipients know file number `index` by: its path in a folder, else the shared name. */
export function nameInTorrent(content: { name: string; files: ReadonlyArray<{ segments: readonly string[] }> }, index: number): string {
  const file = content.files[index];
  return file && file.segments.length > 0 ? file.segments.join('/') : content.name;
}

/**
 * What recipients are told of changed ranges (an HTTP 410's body, our tracker's warning): the first
 * `shown` named, the rest counted.
 */
export function changedForRecipients(ranges: readonly FileRange[], nameOf: (file: number) => string, shown = Number.POSITIVE_INFINITY): string {
  const named = ranges.slice(0, shown).map((range) => `\`${nameOf(range.file)}\` ${describeRange(range)}`);
  const more = ranges.length > shown ? ` and ${ranges.length - shown} more ranges` : '';
  return `${named.join(', ')}${more} changed on the sender's disk since it was shared and will not be sent: ask for it to be shared again`;
}
