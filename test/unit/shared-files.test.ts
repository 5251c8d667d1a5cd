// Unit tests: the shared files stay within their descriptor budget, derived from `ulimit -n`.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { openFileBudget, openFileBudgetFor, softOpenFileLimit } from '../../src/content/descriptor-budget.ts';
import { SharedFiles, type ReaderFile } from '../../src/content/shared-files.ts';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            128                  1048576              files
Max locked memory         8388608              8388608              bytes
`;

describe('the descriptor budget', () => {
  it('reads the soft limit from /proc/self/limits', () => {
    assert.equal(softOpenFileLimit(LIMITS), 128);
    assert.equal(softOpenFileLimit(LIMITS.replace('128    ', 'unlimited')), Number.POSITIVE_INFINITY);
    assert.equal(softOpenFileLimit('Max cpu time unlimited unlimited seconds\n'), undefined);
  });

  it('gives shared files a quarter of the limit, from 4 to 64', () => {
    assert.equal(openFileBudgetFor(128), 32);
    assert.equal(openFileBudgetFor(1024), 64);
    assert.equal(openFileBudgetFor(Number.POSITIVE_INFINITY), 64);
    assert.equal(openFileBudgetFor(8), 4);
  });

  it('is derived from this process\'s own limit', () => {
    const soft = softOpenFileLimit(readFileSync('/proc/self/limits', 'utf8'));
    assert.equal(openFileBudget(), openFileBudgetFor(soft ?? 256));
  });
});

async function manyFiles(count: number): Promise<{ dir: string; files: ReaderFile[]; bytes: Buffer }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'share-file-fds-'));
  const files: ReaderFile[] = [];
  const parts: Buffer[] = [];
  let offset = 0;
  for (let index = 0; index < count; index++) {
    const data = randomBytes(1000 + index);
    const file = path.join(dir, `f${index}`);
    await writeFile(file, data);
    files.push({ path: file, offset, length: data.length, mtimeNs: statSync(file, { bigint: true }).mtimeNs });
    parts.push(data);
    offset += data.length;
  }
  return { dir, files, bytes: Buffer.concat(parts) };
}

function openInProcess(): number {
  return readdirSync('/proc/self/fd').length;
}

describe('SharedFiles', () => {
  it('reads across 300 files with at most its budget of descriptors open once the reads are done', async () => {
    const { dir, files, bytes } = await manyFiles(300);
    const before = openInProcess();
    const shared = new SharedFiles(files, 8);
    try {
      // Every file read at once: more reads under way than the budget allows descriptors.
      const reads = files.map((file) => shared.read(file.offset, file.length));
      const data = await Promise.all(reads);
      assert.ok(Buffer.concat(data).equals(bytes));
      assert.ok(shared.openDescriptors <= 8, `${shared.openDescriptors} open`);
      assert.ok(openInProcess() - before <= 8, `${openInProcess() - before} descriptors more than before`);
      // One after the other, as peers usually ask: never more than the budget.
      for (let start = 0; start < bytes.length; start += 4096) {
        const length = Math.min(4096, bytes.length - start);
        assert.ok((await shared.read(start, length)).equals(bytes.subarray(start, start + length)));
        assert.ok(shared.openDescriptors <= 8);
      }
      assert.equal(shared.unchanged(0, bytes.length), true);
    } finally {
      await shared.close();
      await rm(dir, { recursive: true, force: true });
    }
    assert.equal(openInProcess(), before, 'close() gives every descriptor back');
  });
});
