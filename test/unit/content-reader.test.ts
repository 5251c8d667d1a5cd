// The reader's lending: bytes stay as read for as long as they are lent, and buffers nobody holds
// any more are used again for the next windows.
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { ContentReader, type Lease } from '../../src/content/reader.ts';
import { hashPieces } from '../../src/hashing/hash.ts';
import { inspectSource } from '../../src/content/source.ts';
import { randomFile, tempDir } from '../support/helpers.ts';

const PIECE_LENGTH = 256 * 1024;
const BLOCK = 16 * 1024;
/** More windows than the reader keeps, so reading them all evicts and recycles. */
const PIECES = 24;

describe('ContentReader leases', () => {
  let dir: string;
  let content: Buffer;
  let reader: ContentReader;

  before(async () => {
    dir = await tempDir();
    const file = await randomFile(dir, 'disk.img', PIECES * PIECE_LENGTH);
    content = await readFile(file);
    const source = await inspectSource(file);
    const pieces = await hashPieces({ files: source.files, pieceLength: PIECE_LENGTH });
    reader = new ContentReader({ files: source.files, pieceLength: PIECE_LENGTH, pieces, onChange: () => {} });
  });

  after(async () => {
    await reader.close();
    await rm(dir, { recursive: true, force: true });
  });

  const expected = (piece: number, offset: number, length: number): Buffer => content.subarray(piece * PIECE_LENGTH + offset, piece * PIECE_LENGTH + offset + length);

  it('keeps lent bytes intact while every other window is read, evicted and recycled', async () => {
    const held = await reader.borrow(3, 2 * BLOCK, BLOCK);
    for (let round = 0; round < 3; round++) {
      for (let piece = 0; piece < PIECES; piece++) {
        const lease = await reader.borrow(piece, 0, BLOCK);
        assert.ok(lease.bytes.equals(expected(piece, 0, BLOCK)));
        lease.release();
      }
    }
    assert.ok(held.bytes.equals(expected(3, 2 * BLOCK, BLOCK)));
    held.release();
  });

  it('reads new windows into the buffers of released ones instead of allocating', async () => {
    const seen = new Set<ArrayBufferLike>();
    for (let piece = 0; piece < PIECES; piece++) {
      const lease = await reader.borrow(piece, BLOCK, BLOCK);
      seen.add(lease.bytes.buffer);
      lease.release();
    }
    // Eight windows stay in the list; the others hand their buffers on.
    assert.ok(seen.size <= 8 + 2, `${seen.size} buffers for ${PIECES} windows`);
  });

  it('lends at once from a window in memory, and once read from a window being read', async () => {
    const lend = (offset: number): Promise<Lease> => new Promise((resolve, reject) => reader.lend(PIECES - 1, offset, BLOCK, (error, lease) => (error ? reject(error) : resolve(lease!))));
    // Two borrowers of a window whose read is under way.
    const pending = lend(0);
    const again = lend(BLOCK);
    const [first, second] = await Promise.all([pending, again]);
    assert.ok(first.bytes.equals(expected(PIECES - 1, 0, BLOCK)));
    assert.ok(second.bytes.equals(expected(PIECES - 1, BLOCK, BLOCK)));
    let calledBack = false;
    reader.lend(PIECES - 1, 2 * BLOCK, BLOCK, (_error, lease) => {
      calledBack = true;
      lease!.release();
    });
    assert.equal(calledBack, true, 'a window in memory lends synchronously');
    first.release();
    second.release();
  });

  it('refuses bytes outside the content', async () => {
    await assert.rejects(reader.borrow(PIECES, 0, BLOCK));
    await assert.rejects(reader.borrow(0, PIECE_LENGTH - 1, 2));
  });
});
