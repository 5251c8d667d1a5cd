// Four real aria2c recipients at once: all get the bytes, and they get much of them from each other.
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { aria2cArgs, LOOPBACK, randomFile, runCommand, startShare, stopShare, tempDir } from '../support/helpers.ts';

describe('a swarm of recipients', { timeout: 180_000 }, () => {
  it('four aria2c recipients finish byte-identical, and the sharer uploads at most 1.5 times the file', async (t) => {
    const dir = await tempDir();
    const size = 256 * 1024 * 1024;
    const file = await randomFile(dir, 'swarm.bin', size);
    const share = startShare([file, ...LOOPBACK, '--exit-after', '4'], { cwd: dir });
    const ready = await share.waitForEvent('ready');
    const targets = await Promise.all(Array.from({ length: 4 }, () => tempDir()));
    const results = await Promise.all(targets.map((target) => runCommand('aria2c', ['--listen-port=6881-6999', ...aria2cArgs(target, String(ready.torrentUrl))])));
    for (const result of results) assert.equal(result.code, 0, result.stderr);
    const original = await readFile(file);
    for (const target of targets) assert.ok((await readFile(path.join(target, 'swarm.bin'))).equals(original));

    const { code } = await share.exited;
    assert.equal(code, 0);
    const completed = share.events.filter((event) => event.event === 'completed');
    assert.equal(completed.length, 4);
    const final = share.events.filter((event) => event.event === 'progress').at(-1)!;
    const ratio = Number(final.uploaded) / size;
    t.diagnostic(`the sharer uploaded ${ratio.toFixed(2)} times the file`);
    assert.ok(ratio >= 1, `uploaded ${ratio.toFixed(2)} times the file`);
    assert.ok(ratio <= 1.5, `uploaded ${ratio.toFixed(2)} times the file`);
    await stopShare(share);
    for (const target of [dir, ...targets]) await rm(target, { recursive: true, force: true });
  });
});
