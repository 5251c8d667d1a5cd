// A strict bencode decoder for what peers send (extended handshakes, ut_metadata requests).
//
// The `bencode` package's decoder trusts string lengths: `d1:al-3:e` (a negative length) sends
// its position backwards and it loops forever, so one extended message from a peer would hang the
// seeder. This one checks every length against the bytes left, bounds nesting, and throws
// BdecodeError on anything malformed.

export type Bvalue = number | Buffer | Bvalue[] | Bdict;
export interface Bdict {
  [key: string]: Bvalue;
}

export class BdecodeError extends Error {}

/** Deeper nesting than any extended message has is a hostile peer (and a stack risk). */
const MAX_DEPTH = 32;
const COLON = 0x3a;
const END = 0x65; // e

interface Cursor {
  bytes: Buffer;
  at: number;
}

/**
 * Decodes the first bencoded value of `bytes`; returns it and where it ended (ut_metadata's data
 * messages carry the piece after the dictionary).
 */
export function bdecode(bytes: Buffer): { value: Bvalue; end: number } {
  const cursor: Cursor = { bytes, at: 0 };
  const value = next(cursor, 0);
  return { value, end: cursor.at };
}

function next(cursor: Cursor, depth: number): Bvalue {
  if (depth > MAX_DEPTH) throw new BdecodeError('nested too deep');
  const byte = cursor.bytes[cursor.at];
  if (byte === undefined) throw new BdecodeError('ends early');
  if (byte === 0x69) return integer(cursor); // i
  if (byte === 0x6c) return list(cursor, depth); // l
  if (byte === 0x64) return dictionary(cursor, depth); // d
  if (byte >= 0x30 && byte <= 0x39) return string(cursor);
  throw new BdecodeError(`unexpected byte ${byte} at ${cursor.at}`);
}

function integer(cursor: Cursor): number {
  const end = cursor.bytes.indexOf(END, cursor.at + 1);
  if (end === -1 || end - cursor.at > 20) throw new BdecodeError('bad integer');
  const text = cursor.bytes.toString('latin1', cursor.at + 1, end);
  if (!/^(0|-?[1-9][0-9]*)$/.test(text)) throw new BdecodeError(`bad integer \`${text}\``);
  cursor.at = end + 1;
  return Number(text);
}

function string(cursor: Cursor): Buffer {
  const colon = cursor.bytes.indexOf(COLON, cursor.at);
  if (colon === -1 || colon - cursor.at > 10) throw new BdecodeError('bad string length');
  const text = cursor.bytes.toString('latin1', cursor.at, colon);
  if (!/^(0|[1-9][0-9]*)$/.test(text)) throw new BdecodeError(`bad string length \`${text}\``);
  const length = Number(text);
  const start = colon + 1;
  if (length > cursor.bytes.length - start) throw new BdecodeError('string longer than the message');
  cursor.at = start + length;
  return cursor.bytes.subarray(start, start + length);
}

function list(cursor: Cursor, depth: number): Bvalue[] {
  cursor.at += 1;
  const items: Bvalue[] = [];
  while (cursor.bytes[cursor.at] !== END) items.push(next(cursor, depth + 1));
  cursor.at += 1;
  return items;
}

function dictionary(cursor: Cursor, depth: number): Bdict {
  cursor.at += 1;
  // No prototype: a key named __proto__ is just a key.
  const dict = Object.create(null) as Bdict;
  while (cursor.bytes[cursor.at] !== END) {
    if (cursor.bytes[cursor.at] === undefined) throw new BdecodeError('ends early');
    const key = string(cursor).toString('latin1');
    dict[key] = next(cursor, depth + 1);
  }
  cursor.at += 1;
  return dict;
}

/** A dictionary's integer field, if it is one. */
export function integerField(dict: Bvalue | undefined, key: string): number | undefined {
  if (!isDict(dict)) return undefined;
  const value = dict[key];
  return typeof value === 'number' ? value : undefined;
}

export function isDict(value: Bvalue | undefined): value is Bdict {
  return typeof value === 'object' && value !== null && !Buffer.isBuffer(value) && !Array.isArray(value);
}
