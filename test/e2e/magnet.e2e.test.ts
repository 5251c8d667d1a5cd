// The magnet's x.pe: a client that accepts it (libtorrent, qBittorrent's engine) starts from the
// magnet alone, with no tracker in it, fetches the metadata from the seeder and then the file.
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT, runCommand, shareRandomFile, stopShare, tempDir, type RunningShare, type ShareEventRecord } from '../support/helpers.ts';

const LIBTORRENT_FETCH = path.join(ROOT, 'test', 'support', 'clients', 'libtorrent-fetch.py');

describe('a magnet link with x.pe', () => {
  let dir: string;
  let file: string;
  let share: RunningShare;
  let ready: ShareEventRecord;

  before(async () => {
    ({ dir, file, share, ready } = await shareRandomFile('from a magnet.bin', 6 * 1024 * 1024 + 5));
  });
  after(async () => {
    await stopShare(share);
    await rm(dir, { recursive: true, force: true });
  });

  it('names the seeder, and the instructions print it', async () => {
    assert.equal(ready.peer, `127.0.0.1:${ready.peerPort}`);
    assert.equal(new URL(String(ready.magnet)).searchParams.get('x.pe'), ready.peer);
    for (let attempt = 0; attempt < 100 && !share.stderr().includes(`seeding at ${String(ready.peer)}`); attempt++) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(share.stderr().includes(`seeding at ${String(ready.peer)} (the magnet's x.pe`), share.stderr());
  });

  it('is enough for libtorrent to download the file without any tracker', async () => {
    const trackerless = String(ready.magnet).replace(/&tr=[^&]*/g, '');
    assert.doesNotMatch(trackerless, /tr=/);
    assert.match(trackerless, /&x\.pe=127\.0\.0\.1:\d+$/);
    const target = await tempDir();
    // Debian's python3-libtorrent belongs to the system Python.
    const result = await runCommand('/usr/bin/python3', [LIBTORRENT_FETCH, trackerless, target, '60']);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.ok((await readFile(path.join(target, 'from a magnet.bin'))).equals(await readFile(file)));
    await rm(target, { recursive: true, force: true });
  });
});
