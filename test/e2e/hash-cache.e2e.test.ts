// The hash cache seen from outside: a second share of the same file reads none of it.
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { LOOPBACK, randomFile, startShare, stopShare, tempDir } from '../support/helpers.ts';

describe('a second share of the same file', () => {
  it('reaches ready without reading the file', async () => {
    const dir = await tempDir();
    const size = 160 * 1024 * 1024;
    const file = await randomFile(dir, 'vm.img', size);
    const env = { XDG_CACHE_HOME: path.join(dir, 'xdg') };
    const args = [file, ...LOOPBACK];
    const bytesReadBy = async (pid: number): Promise<number> => Number(/^rchar: (\d+)$/m.exec(await readFile(`/proc/${pid}/io`, 'utf8'))![1]);

    const cold = startShare(args, { cwd: dir, env });
    await cold.waitForEvent('ready');
    const coldRead = await bytesReadBy(cold.child.pid!);
    await stopShare(cold);
    assert.ok(coldRead >= size, `the first share reads the file (${coldRead} bytes read)`);

    const warm = startShare(args, { cwd: dir, env });
    const ready = await warm.waitForEvent('ready');
    const warmRead = await bytesReadBy(warm.child.pid!);
    await stopShare(warm);
    assert.ok(warmRead < size / 4, `the second share read ${warmRead} bytes`);
    assert.ok(warm.events.some((event) => event.event === 'hashing' && event.cached === true));
    assert.equal(ready.infoHash, cold.events.find((event) => event.event === 'ready')!.infoHash);
    await rm(dir, { recursive: true, force: true });
  });
});
