// A fast download over plain HTTP: curl on loopback gets 200 MiB byte-identical, and share-file's
// stderr stays free of Node's own warnings (a listener left behind per backpressure wait once
// printed a MaxListenersExceededWarning in the middle of the bars).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runCommand, shareRandomFile, stopShare } from '../support/helpers.ts';

const SIZE = 200 * 1024 * 1024;

async function sha1Of(file: string): Promise<string> {
  const hash = createHash('sha1');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

describe('a fast curl download', () => {
  it('arrives whole, with nothing from Node on share-file\'s stderr', async () => {
    const { dir, file, share, ready } = await shareRandomFile('fast.img', SIZE);
    const target = path.join(dir, 'fetched.img');
    const result = await runCommand('curl', ['-fsS', '-C', '-', '-o', target, String(ready.webUrl)]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await sha1Of(target), await sha1Of(file));
    await stopShare(share);
    assert.doesNotMatch(share.stderr(), /\(node:\d+\)/, share.stderr());
    await rm(dir, { recursive: true, force: true });
  });
});
