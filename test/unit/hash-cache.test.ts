// The hash cache: a hit only for the very same file version, and never trust in a damaged entry.
import assert from 'node:assert/strict';
import { appendFile, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cacheDirectory, HashCache } from '../../src/hashing/hash-cache.ts';
import { ensureUnchanged, obtainPieces } from '../../src/hashing/pieces.ts';
import type { HashingEvent } from '../../src/output/events.ts';
import { inspectSource } from '../../src/content/source.ts';
import { randomFile, tempDir } from '../support/helpers.ts';

const PIECE = 256 * 1024;

describe('hash cache', () => {
  let dir: string;
  let cacheDir: string;
  before(async () => {
    dir = await tempDir();
    cacheDir = path.join(dir, 'cache');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const piecesOf = async (file: string, cache: HashCache): Promise<{ pieces: Buffer; events: HashingEvent[] }> => {
    const events: HashingEvent[] = [];
    const pieces = await obtainPieces({ source: await inspectSource(file), pieceLength: PIECE, cache, signal: new AbortController().signal, onHashing: (event) => events.push(event) });
    return { pieces, events };
  };

  it('lives under XDG_CACHE_HOME, or ~/.cache', () => {
    assert.equal(cacheDirectory({ XDG_CACHE_HOME: '/var/cache/me' }), '/var/cache/me/share-file');
    assert.match(cacheDirectory({}), /\/\.cache\/share-file$/);
    assert.match(cacheDirectory({ XDG_CACHE_HOME: 'relative' }), /\/\.cache\/share-file$/, 'a relative XDG_CACHE_HOME is ignored, as the spec says');
  });

  it('misses, stores, then hits without hashing', async () => {
    const file = await randomFile(dir, 'a.bin', 3 * PIECE + 5);
    const cache = new HashCache(cacheDir);
    const first = await piecesOf(file, cache);
    assert.ok(first.events.every((event) => !event.cached));
    assert.equal(first.events.filter((event) => event.hashedBytes === event.totalBytes).length, 1, 'the end of hashing is reported once');
    assert.equal((await readdir(cacheDir)).length, 1);
    const second = await piecesOf(file, cache);
    assert.deepEqual(second.events, [{ event: 'hashing', file: 'a.bin', hashedBytes: 3 * PIECE + 5, totalBytes: 3 * PIECE + 5, cached: true }]);
    assert.ok(second.pieces.equals(first.pieces));
  });

  it('misses once the file is touched, and when the piece length differs', async () => {
    const file = await randomFile(dir, 'b.bin', 2 * PIECE);
    const cache = new HashCache(cacheDir);
    const source = await inspectSource(file);
    await piecesOf(file, cache);
    assert.ok(await cache.lookup(source, PIECE));
    assert.equal(await cache.lookup(source, PIECE * 2), undefined);
    const later = new Date(Date.now() + 5000);
    await utimes(file, later, later);
    assert.equal(await cache.lookup(await inspectSource(file), PIECE), undefined, 'a new mtime misses');
    const rehashed = await piecesOf(file, cache);
    assert.ok(rehashed.events.every((event) => !event.cached));
  });

  it('misses when the content changed and the size with it', async () => {
    const file = await randomFile(dir, 'c.bin', PIECE);
    const cache = new HashCache(cacheDir);
    const before = await piecesOf(file, cache);
    await appendFile(file, 'more');
    const after = await piecesOf(file, cache);
    assert.ok(after.events.every((event) => !event.cached));
    assert.ok(!after.pieces.equals(before.pieces));
  });

  for (const [label, damage] of [
    ['a flipped byte in the pieces', (data: Buffer) => Buffer.concat([data.subarray(0, -1), Buffer.from([data.at(-1)! ^ 1])])],
    ['a truncated entry', (data: Buffer) => data.subarray(0, data.length - 7)],
    ['garbage', () => Buffer.from('not a cache entry at all')],
    ['an empty file', () => Buffer.alloc(0)],
  ] as const) {
    it(`ignores and rewrites ${label}`, async () => {
      const cacheHere = path.join(dir, `cache-${label.replaceAll(' ', '-')}`);
      const file = await randomFile(dir, `${label}.bin`, 2 * PIECE + 1);
      const cache = new HashCache(cacheHere);
      const good = await piecesOf(file, cache);
      const [entry] = await readdir(cacheHere);
      const entryPath = path.join(cacheHere, entry!);
      await writeFile(entryPath, damage(await readFile(entryPath)));
      const again = await piecesOf(file, cache);
      assert.ok(again.events.every((event) => !event.cached), 'the damaged entry is not used');
      assert.ok(again.pieces.equals(good.pieces));
      const third = await piecesOf(file, cache);
      assert.ok(third.events.some((event) => event.cached), 'and it was rewritten');
    });
  }

  it('an unwritable cache only costs a re-hash', async () => {
    const file = await randomFile(dir, 'd.bin', PIECE);
    const blocked = path.join(dir, 'not-a-dir');
    await writeFile(blocked, 'a file where the cache folder would be');
    const result = await piecesOf(file, new HashCache(path.join(blocked, 'share-file')));
    assert.equal(result.pieces.length, 20);
  });

  it('notices a file that changed while it was read', async () => {
    const file = await randomFile(dir, 'e.bin', PIECE);
    const source = await inspectSource(file);
    await ensureUnchanged(source);
    await appendFile(file, 'x');
    await assert.rejects(ensureUnchanged(source), /changed while share-file was reading it/);
  });
});
