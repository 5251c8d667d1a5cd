// A block device (here a loop device over a file of random bytes) shared like a file: its size from
// the device, a .torrent named with --name, downloaded byte-identical by aria2c and curl, and hashed
// every time (never taken from the hash cache).
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { aria2cArgs, LOOPBACK, randomFile, runCommand, runShare, startShare, stopShare, tempDir, type RunningShare, type ShareEventRecord } from '../support/helpers.ts';

// Whole 512-byte sectors (a loop device drops a partial last one), and more than one piece.
const SIZE = 5 * 1024 * 1024 + 7 * 512;
const NO_LOOP_DEVICE = 'no loop device here (losetup needs root and /dev/loop-control)';

async function attachLoopDevice(file: string): Promise<string | undefined> {
  const attached = await runCommand('losetup', ['--find', '--show', '--read-only', file]);
  return attached.code === 0 ? attached.stdout.trim() : undefined;
}

describe('a block device', () => {
  let dir: string;
  let original: Buffer;
  let device: string | undefined;

  before(async () => {
    dir = await tempDir();
    const file = await randomFile(dir, 'disk.raw', SIZE);
    original = await readFile(file);
    device = await attachLoopDevice(file);
  });
  after(async () => {
    if (device) await runCommand('losetup', ['--detach', device]);
    await rm(dir, { recursive: true, force: true });
  });

  describe('shared with --name', () => {
    let share: RunningShare;
    let ready: ShareEventRecord;

    before(async () => {
      if (!device) return;
      share = startShare([device, ...LOOPBACK, '--name', 'vm-disk.img'], { cwd: dir });
      ready = await share.waitForEvent('ready');
    });
    after(async () => {
      if (share) assert.equal((await stopShare(share)).code, 0);
    });

    it('has the size of the device and the name given', (t) => {
      if (!device) return t.skip(NO_LOOP_DEVICE);
      assert.equal(ready.length, SIZE);
      assert.equal(ready.name, 'vm-disk.img');
      assert.equal(ready.torrent, path.join(dir, `vm-disk.img-${String(ready.trackerPort)}.torrent`));
      const hashing = share.events.filter((event) => event.event === 'hashing');
      assert.equal(hashing.at(-1)!.totalBytes, SIZE);
    });

    it('is downloaded byte-identical by aria2c', async (t) => {
      if (!device) return t.skip(NO_LOOP_DEVICE);
      const target = path.join(dir, 'aria2c');
      const run = await runCommand('aria2c', aria2cArgs(target, String(ready.torrentUrl)), { timeoutMs: 90_000 });
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.ok((await readFile(path.join(target, 'vm-disk.img'))).equals(original));
    });

    it('is downloaded byte-identical by curl', async (t) => {
      if (!device) return t.skip(NO_LOOP_DEVICE);
      const target = path.join(dir, 'curl.img');
      const run = await runCommand('curl', ['-fsS', '-o', target, String(ready.webUrl)]);
      assert.equal(run.code, 0, run.stderr);
      assert.ok((await readFile(target)).equals(original));
    });

    it('is hashed again by the next share: the hash cache is not used for block devices', async (t) => {
      if (!device) return t.skip(NO_LOOP_DEVICE);
      const again = startShare([device!, ...LOOPBACK], { cwd: dir });
      const readyAgain = await again.waitForEvent('ready');
      assert.equal((await stopShare(again)).code, 0);
      assert.equal(readyAgain.name, path.basename(device!));
      assert.equal(readyAgain.infoHash === ready.infoHash, false, 'another name, another info hash');
      assert.ok(again.events.some((event) => event.event === 'hashing' && event.cached === false));
      assert.ok(!again.events.some((event) => event.event === 'hashing' && event.cached === true));
    });
  });

  it('refuses a character device, naming it and what can be shared', async () => {
    const result = await runShare(['/dev/null', ...LOOPBACK]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /`\/dev\/null` is not a regular file, a block device or a folder/);
  });
});
