// The reader once a shared file changed: pieces that still match are lent, changed ones refused and
// reported once with the parts of the files that changed, and a file cut short still serves the
// pieces before its new end. Then the warning that names those ranges.
import assert from 'node:assert/strict';
import { mkdir, open, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { describe, it } from 'node:test';
import { mergeRanges } from '../../src/content/changed-ranges.ts';
import { ContentChangedError, ContentReader, type PieceChange } from '../../src/content/reader.ts';
import { inspectSource } from '../../src/content/source.ts';
import { hashPieces } from '../../src/hashing/hash.ts';
import { changedMessage, changeReporter } from '../../src/output/notices.ts';
import type { ShareEvent } from '../../src/output/events.ts';
import { randomFile, tempDir } from '../support/helpers.ts';

const PIECE = 256 * 1024;
const BLOCK = 16 * 1024;

async function readerOver(target: string): Promise<{ reader: ContentReader; changes: Array<PieceChange | undefined> }> {
  const source = await inspectSource(target);
  const pieces = await hashPieces({ files: source.files, pieceLength: PIECE });
  const changes: Array<PieceChange | undefined> = [];
  return { reader: new ContentReader({ files: source.files, pieceLength: PIECE, pieces, onChange: (change) => changes.push(change) }), changes };
}

async function overwrite(file: string, position: number): Promise<void> {
  const handle = await open(file, 'r+');
  await handle.write(randomBytes(10), 0, 10, position);
  await handle.close();
}

async function bytesOf(reader: ContentReader, index: number, offset: number, length: number): Promise<Buffer> {
  const lease = await reader.borrow(index, offset, length);
  const copy = Buffer.from(lease.bytes);
  lease.release();
  return copy;
}

describe('ContentReader after a change on disk', () => {
  it('takes a file deleted while shared for one cut to nothing: its pieces refused, the others served', async () => {
    const dir = await tempDir();
    const folder = path.join(dir, 'share');
    await mkdir(folder);
    const first = await randomFile(folder, 'a.img', 4 * PIECE);
    const second = await randomFile(folder, 'b.img', 4 * PIECE);
    const original = await readFile(first);
    const { reader } = await readerOver(folder);
    assert.ok((await bytesOf(reader, 1, 0, BLOCK)).equals(original.subarray(PIECE, PIECE + BLOCK)));
    await rm(second);
    assert.deepEqual(await reader.refusedIn(0, 7, 8 * PIECE), [4, 5, 6, 7]);
    await assert.rejects(reader.borrow(5, 0, BLOCK), ContentChangedError);
    assert.ok((await bytesOf(reader, 2, BLOCK, BLOCK)).equals(original.subarray(2 * PIECE + BLOCK, 2 * PIECE + 2 * BLOCK)));
    await reader.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('lends pieces that still match, refuses the changed one, and reports it once', async () => {
    const dir = await tempDir();
    const file = await randomFile(dir, 'disk.img', 8 * PIECE);
    const original = await readFile(file);
    const { reader, changes } = await readerOver(file);
    assert.ok((await bytesOf(reader, 1, 0, BLOCK)).equals(original.subarray(PIECE, PIECE + BLOCK)));
    await overwrite(file, 3 * PIECE + 7);

    assert.ok((await bytesOf(reader, 2, BLOCK, BLOCK)).equals(original.subarray(2 * PIECE + BLOCK, 2 * PIECE + 2 * BLOCK)));
    await assert.rejects(reader.borrow(3, 0, BLOCK), ContentChangedError);
    await assert.rejects(reader.borrow(3, BLOCK, BLOCK), ContentChangedError);
    assert.ok((await bytesOf(reader, 4, 0, BLOCK)).equals(original.subarray(4 * PIECE, 4 * PIECE + BLOCK)));
    assert.equal(reader.changed, true);
    assert.equal(reader.refuses(3), true);
    assert.equal(reader.refuses(4), false);
    assert.deepEqual(changes, [undefined, { index: 3, parts: [{ file: 0, start: 3 * PIECE, end: 4 * PIECE }] }]);
    assert.deepEqual(await reader.refusedIn(0, 7, 8 * PIECE), [3]);
    await reader.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('still serves a shortened file up to its new end, and knows the rest is gone without reading', async () => {
    const dir = await tempDir();
    const file = await randomFile(dir, 'disk.img', 8 * PIECE);
    const original = await readFile(file);
    const { reader, changes } = await readerOver(file);
    await truncate(file, 5 * PIECE + 100);

    assert.ok((await bytesOf(reader, 4, PIECE - BLOCK, BLOCK)).equals(original.subarray(5 * PIECE - BLOCK, 5 * PIECE)));
    await assert.rejects(reader.borrow(5, 0, BLOCK), ContentChangedError);
    // One read of piece 4 found the file shorter: pieces 5-7 are refused at once, reported each.
    assert.deepEqual(changes.slice(1).map((change) => change?.index), [5, 6, 7]);
    assert.deepEqual(reader.changedRanges([5, 6, 7]), [{ file: 0, start: 5 * PIECE, end: 8 * PIECE }]);
    assert.deepEqual(await reader.refusedIn(0, 7, 0), [5, 6, 7]);
    await reader.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('names, in a folder, only the parts of a piece that lie in the file that changed', async () => {
    const dir = await tempDir();
    const folder = path.join(dir, 'folder');
    await mkdir(folder);
    // a.bin ends half-way through piece 1, which b.bin completes.
    await writeFile(path.join(folder, 'a.bin'), randomBytes(PIECE + PIECE / 2));
    await writeFile(path.join(folder, 'b.bin'), randomBytes(2 * PIECE));
    const { reader, changes } = await readerOver(folder);
    await overwrite(path.join(folder, 'b.bin'), 10);

    assert.ok((await bytesOf(reader, 0, 0, BLOCK)).length === BLOCK, 'piece 0 lies in a.bin alone and still matches');
    await assert.rejects(reader.borrow(1, PIECE / 2, BLOCK), ContentChangedError);
    // Once the change is seen, a piece is lent only whole and right: not even a.bin's part of it.
    await assert.rejects(reader.borrow(1, 0, BLOCK), ContentChangedError);
    assert.deepEqual(changes.at(-1), { index: 1, parts: [{ file: 1, start: 0, end: PIECE / 2 }] });
    await reader.close();
    await rm(dir, { recursive: true, force: true });
  });
});

describe('the change warning', () => {
  it('merges adjacent and overlapping ranges per file', () => {
    assert.deepEqual(
      mergeRanges([
        { file: 1, start: 10, end: 20 },
        { file: 0, start: 10, end: 30 },
        { file: 0, start: 0, end: 10 },
        { file: 0, start: 40, end: 50 },
        { file: 1, start: 15, end: 25 },
      ]),
      [
        { file: 0, start: 0, end: 30 },
        { file: 0, start: 40, end: 50 },
        { file: 1, start: 10, end: 25 },
      ],
    );
  });

  it('names the ranges per file, inclusive, and the command that shares the folder again', () => {
    const message = changedMessage({ path: 'my vms', name: 'my vms', kind: 'folder' }, [{ file: 'disks/a.img', start: 0, end: 262144 }, { file: 'b.img', start: 524288, end: 786432 }], 2);
    assert.equal(
      message,
      "changed on disk of `my vms`: `disks/a.img` bytes 0-262143, `b.img` bytes 524288-786431 no longer match the .torrent and are not sent (2 pieces so far); to share the current version, stop and run `share-file 'my vms'` again, and hand over the new .torrent",
    );
  });

  it('names the first eight ranges and counts the rest', () => {
    const ranges = Array.from({ length: 11 }, (_, index) => ({ file: 'vm.img', start: index * 2 * PIECE, end: (index * 2 + 1) * PIECE }));
    assert.match(changedMessage({ path: 'vm.img', name: 'vm.img', kind: 'file' }, ranges, 11), /bytes 3670016-3932159 and 3 more ranges no longer match/);
  });

  it('tells recipients of the ranges at once, and the sharer in one warning for pieces found together', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const events: ShareEvent[] = [];
    const source = { path: 'vm.img', name: 'vm.img', kind: 'file' as const, length: 4 * PIECE, files: [{ path: '/x/vm.img', segments: [], length: 4 * PIECE, offset: 0, dev: 0, ino: 0, mtimeNs: 0n }], skipped: [] };
    const undo: Array<() => unknown> = [];
    const changes = changeReporter(source, (event) => events.push(event), { defer: (_name, step) => void undo.push(step) });
    assert.equal(changes.forRecipients(), undefined);
    changes.onChange(undefined);
    changes.onChange({ index: 2, parts: [{ file: 0, start: 2 * PIECE, end: 3 * PIECE }] });
    changes.onChange({ index: 1, parts: [{ file: 0, start: PIECE, end: 2 * PIECE }] });
    assert.equal(changes.forRecipients(), "`vm.img` bytes 262144-786431 changed on the sender's disk since it was shared and will not be sent: ask for it to be shared again");
    assert.equal(events.length, 1, 'only the first sign of a change so far');
    t.mock.timers.tick(1000);
    assert.deepEqual(events.at(-1), {
      event: 'warning',
      message: 'changed on disk: `vm.img` bytes 262144-786431 no longer match the .torrent and are not sent (2 pieces so far); to share the current version, stop and run `share-file vm.img` again, and hand over the new .torrent',
      changed: [{ file: 'vm.img', start: PIECE, end: 3 * PIECE }],
    });
    // One more piece, and the share stops before its warning is due: it is given at the stop.
    changes.onChange({ index: 3, parts: [{ file: 0, start: 3 * PIECE, end: 4 * PIECE }] });
    assert.equal(events.length, 2);
    for (const step of undo) step();
    assert.equal(events.length, 3);
    assert.match(JSON.stringify(events.at(-1)), /bytes 262144-1048575 no longer match .* \(3 pieces so far\)/);
    t.mock.timers.tick(60_000);
    assert.equal(events.length, 3, 'no warning after the stop');
  });
});
