// Unit tests: worker hashing and metadata agree with create-torrent, the single-threaded reference.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import bencode from 'bencode';
import createTorrent from 'create-torrent';
import { hashPieces, splitEvenly } from '../../src/hashing/hash.ts';
import { inspectSource } from '../../src/content/source.ts';
import { buildMetadata, encodeTorrentFile, magnetLink, MAX_PIECE_LENGTH, MIN_PIECE_LENGTH, pieceLengthFor } from '../../src/hashing/torrent.ts';
import { randomFile, tempDir } from '../support/helpers.ts';

const KiB = 1024;
const MiB = 1024 * KiB;
const GB = 1e9;

/** create-torrent, on the main thread: what share-file's worker hashing must reproduce exactly. */
function referenceTorrent(file: string, pieceLength: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    createTorrent(file, { pieceLength, private: true, announceList: [['http://reference.invalid/announce']] }, (error: Error | null, torrent: Buffer) => {
      if (error) reject(error);
      else resolve(torrent);
    });
  });
}

function infoHashOf(torrentFile: Buffer): string {
  const decoded = bencode.decode(torrentFile) as { info: Record<string, unknown> };
  return createHash('sha1').update(bencode.encode(decoded.info)).digest('hex');
}

describe('pieceLengthFor', () => {
  it('keeps pieces from 256 KiB to 16 MiB, powers of two', () => {
    for (const size of [1, 1000, 100 * MiB, 1024 * MiB, 5 * GB, 20 * GB, 200 * GB, 4 * 1024 * GB]) {
      const length = pieceLengthFor(size);
      assert.ok(length >= MIN_PIECE_LENGTH && length <= MAX_PIECE_LENGTH, `${size}: ${length}`);
      assert.equal(length & (length - 1), 0);
    }
  });
  it('keeps the piece count at or below 2048 until pieces reach 16 MiB', () => {
    assert.equal(pieceLengthFor(1024 * MiB), 512 * KiB);
    assert.equal(pieceLengthFor(20 * GB), 16 * MiB);
    assert.ok(Math.ceil((20 * GB) / pieceLengthFor(20 * GB)) <= 2048);
    assert.equal(pieceLengthFor(10 * GB), 8 * MiB);
  });
});

describe('splitEvenly', () => {
  it('covers every piece once, in order', () => {
    assert.deepEqual(splitEvenly(10, 3), [[0, 3], [3, 6], [6, 10]]);
    assert.deepEqual(splitEvenly(1, 4), [[0, 1]]);
  });
});

describe('worker hashing against create-torrent', () => {
  let dir: string;
  before(async () => {
    dir = await tempDir();
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const pieceLength = 256 * KiB;
  const cases: Array<[string, number, number | undefined]> = [
    ['one byte', 1, undefined],
    ['exactly one piece', pieceLength, undefined],
    ['one piece and one byte', pieceLength + 1, undefined],
    ['not a multiple of the piece length, four workers', 7 * pieceLength + 12_345, 4],
    ['more workers than pieces', 2 * pieceLength, 8],
    ['a multiple of the read size', 32 * MiB, 3],
  ];
  for (const [label, size, workers] of cases) {
    it(`${label} (${size} bytes)`, async () => {
      const file = await randomFile(dir, `case-${size}.bin`, size);
      const pieces = await hashPieces({ files: [{ path: file, length: size }], pieceLength, workers });
      const metadata = buildMetadata(`case-${size}.bin`, size, pieceLength, pieces);
      const reference = await referenceTorrent(file, pieceLength);
      assert.equal(metadata.infoHash, infoHashOf(reference));
    });
  }

  it('reports progress up to the whole file', async () => {
    const size = 40 * MiB + 3;
    const file = await randomFile(dir, 'progress.bin', size);
    const seen: number[] = [];
    await hashPieces({ files: [{ path: file, length: size }], pieceLength: MiB, workers: 2, onProgress: (bytes) => seen.push(bytes) });
    assert.equal(seen.at(-1), size);
    assert.deepEqual([...seen].sort((a, b) => a - b), seen);
  });

  it('fails when the file is shorter than announced', async () => {
    const file = await randomFile(dir, 'short.bin', 1000);
    await assert.rejects(hashPieces({ files: [{ path: file, length: 5000 }], pieceLength }), /ended at byte 1000/);
  });

  it('stops the workers when aborted', async () => {
    const file = await randomFile(dir, 'abort.bin', 1000);
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await assert.rejects(hashPieces({ files: [{ path: file, length: 1000 }], pieceLength, signal: controller.signal }), /stop/);
  });
});

describe('the .torrent file', () => {
  it('has our tracker only, is private, and its info hash does not depend on the tracker', async () => {
    const pieces = Buffer.alloc(40, 7);
    const metadata = buildMetadata('vm image.img', 300 * KiB, 256 * KiB, pieces);
    const first = encodeTorrentFile(metadata, ['http://a.example:1/announce'], 'share-file test');
    const second = encodeTorrentFile(metadata, ['http://b.example:2/announce'], 'share-file test');
    assert.equal(infoHashOf(first), metadata.infoHash);
    assert.equal(infoHashOf(second), metadata.infoHash);
    const decoded = bencode.decode(first) as Record<string, unknown> & { info: Record<string, unknown> };
    assert.equal(Buffer.from(decoded.announce as Uint8Array).toString(), 'http://a.example:1/announce');
    assert.deepEqual((decoded['announce-list'] as Uint8Array[][]).map((tier) => tier.map((url) => Buffer.from(url).toString())), [['http://a.example:1/announce']]);
    assert.equal(decoded.info.private, 1);
    assert.deepEqual(Object.keys(decoded.info).sort(), ['length', 'name', 'piece length', 'pieces', 'private']);
  });

  it('round-trips through a real torrent parser', async () => {
    const { default: parseTorrent } = await import('parse-torrent');
    const metadata = buildMetadata('ä b.bin', 10, 256 * KiB, Buffer.alloc(20, 1));
    const parsed = await parseTorrent(encodeTorrentFile(metadata, ['http://h:5/announce'], 'x'));
    assert.equal(parsed.infoHash, metadata.infoHash);
    assert.equal(parsed.name, 'ä b.bin');
    assert.equal(parsed.private, true);
    assert.deepEqual(parsed.announce, ['http://h:5/announce']);
    const fromMagnet = await parseTorrent(magnetLink({ infoHash: metadata.infoHash, name: 'ä b.bin', announce: ['http://h:5/announce'], peers: ['192.0.2.1:6'] }));
    assert.equal(fromMagnet.infoHash, metadata.infoHash);
    assert.deepEqual(fromMagnet.announce, ['http://h:5/announce']);
    assert.deepEqual(fromMagnet.peerAddresses, ['192.0.2.1:6']);
  });

  it('writes pieces hashed from the file', async () => {
    const dir = await tempDir();
    const file = await randomFile(dir, 'x.bin', 300 * KiB);
    const pieces = await hashPieces({ files: [{ path: file, length: 300 * KiB }], pieceLength: 256 * KiB });
    const data = await readFile(file);
    const expected = Buffer.concat([createHash('sha1').update(data.subarray(0, 256 * KiB)).digest(), createHash('sha1').update(data.subarray(256 * KiB)).digest()]);
    assert.ok(pieces.equals(expected));
    await rm(dir, { recursive: true, force: true });
  });
});

describe('folder hashing against create-torrent', () => {
  let dir: string;
  before(async () => {
    dir = await tempDir();
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('gives the same info hash for a folder whose pieces cross file boundaries', async () => {
    const root = path.join(dir, 'vm folder');
    await mkdir(path.join(root, 'sub dir', 'deep'), { recursive: true });
    await mkdir(path.join(root, 'empty folder'));
    await randomFile(root, 'b.bin', 300 * KiB + 7);
    await randomFile(root, 'a.bin', 5);
    await writeFile(path.join(root, 'empty.txt'), '');
    await randomFile(path.join(root, 'sub dir'), 'ü.bin', 600 * KiB);
    await randomFile(path.join(root, 'sub dir', 'deep'), 'z', 1);
    await writeFile(path.join(root, '.DS_Store'), 'junk');
    await writeFile(path.join(root, 'Thumbs.db'), 'junk');
    const source = await inspectSource(root);
    assert.equal(source.kind, 'folder');
    assert.deepEqual(source.files.map((file) => file.segments.join('/')), ['a.bin', 'b.bin', 'empty.txt', 'sub dir/deep/z', 'sub dir/ü.bin']);
    assert.deepEqual(source.files.map((file) => file.offset), [0, 5, 5 + 300 * KiB + 7, 5 + 300 * KiB + 7, 5 + 300 * KiB + 8]);
    const pieceLength = 16 * KiB;
    const pieces = await hashPieces({ files: source.files, pieceLength, workers: 3 });
    const metadata = buildMetadata(source.name, source.length, pieceLength, pieces, source.files);
    assert.equal(metadata.infoHash, infoHashOf(await referenceTorrent(root, pieceLength)));
  });
});
