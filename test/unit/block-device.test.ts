// Unit tests: a block device's numbers from its rdev, and its size measured by reading.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { deviceNumbers, probedSize } from '../../src/content/block-device.ts';

describe('deviceNumbers', () => {
  it('splits rdev as glibc does', () => {
    assert.deepEqual(deviceNumbers(0xfd03n), { major: 253n, minor: 3n });
    // A minor past 255 (the 300th loop device) keeps its high bits above the major.
    assert.deepEqual(deviceNumbers(0x10072cn), { major: 7n, minor: 300n });
    assert.deepEqual(deviceNumbers(0x803n), { major: 8n, minor: 3n });
  });
});

describe('probedSize', () => {
  it('finds where the bytes end, sector by sector, when sysfs does not say', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'share-file-probe-'));
    try {
      for (const sectors of [1, 2, 3, 1000, 16385]) {
        const file = path.join(dir, `d${sectors}`);
        await writeFile(file, randomBytes(sectors * 512));
        assert.equal(probedSize(file), sectors * 512);
      }
      await writeFile(path.join(dir, 'empty'), '');
      assert.equal(probedSize(path.join(dir, 'empty')), 0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
