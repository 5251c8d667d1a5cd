// Offsets to files: the content is its files end to end, empty files included.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileIndexAt, partsOf } from '../../src/content/file-spans.ts';

const files = [
  { name: 'a', offset: 0, length: 10 },
  { name: 'empty', offset: 10, length: 0 },
  { name: 'b', offset: 10, length: 5 },
  { name: 'c', offset: 15, length: 20 },
];

describe('file spans', () => {
  it('finds the file that holds a byte, passing over empty files', () => {
    assert.equal(fileIndexAt(files, 0), 0);
    assert.equal(fileIndexAt(files, 9), 0);
    assert.equal(fileIndexAt(files, 10), 2);
    assert.equal(fileIndexAt(files, 15), 3);
    assert.equal(fileIndexAt(files, 34), 3);
    assert.equal(fileIndexAt(files, 35), files.length);
    assert.equal(fileIndexAt([], 0), 0);
  });

  it('splits a range across the files it touches', () => {
    const parts = partsOf(files, 8, 10).map(({ file, at, length }) => [file.name, at, length]);
    assert.deepEqual(parts, [['a', 8, 2], ['b', 0, 5], ['c', 0, 3]]);
    assert.deepEqual(partsOf(files, 35, 4), []);
    assert.deepEqual(partsOf(files, 12, 0), []);
  });
});
