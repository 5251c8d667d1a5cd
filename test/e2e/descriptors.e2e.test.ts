// A folder of 300 files shared under `ulimit -n 128`: the shared files stay within their share of
// the limit, so 16 HTTP downloads at once and a BitTorrent download get every byte, and no EMFILE.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { aria2cArgs, BIN, LOOPBACK, runCommand, startShare, stopShare, tempDir, type RunningShare, type ShareEventRecord } from '../support/helpers.ts';

const FILES = 300;
const LIMIT = 128;

describe(`300 files under ulimit -n ${LIMIT}`, () => {
  let dir: string;
  const originals = new Map<string, Buffer>();
  let share: RunningShare;
  let ready: ShareEventRecord;

  before(async () => {
    dir = await tempDir();
    const folder = path.join(dir, 'many');
    await mkdir(folder);
    for (let index = 0; index < FILES; index++) {
      // Sizes from 1 byte to 130 KiB: pieces (and the web seed's blocks) cross many files.
      const name = `file-${String(index).padStart(3, '0')}.bin`;
      const data = randomBytes(1 + ((index * 7919) % (130 * 1024)));
      originals.set(name, data);
      await writeFile(path.join(folder, name), data);
    }
    const command = ['bash', '-c', `ulimit -n ${LIMIT} && exec "$0" "$@"`, process.execPath, BIN];
    share = startShare([folder, ...LOOPBACK], { cwd: dir, command });
    ready = await share.waitForEvent('ready');
  });
  after(async () => {
    if (share) await stopShare(share);
    await rm(dir, { recursive: true, force: true });
  });

  async function assertIdentical(folder: string): Promise<void> {
    for (const [name, data] of originals) assert.ok((await readFile(path.join(folder, name))).equals(data), name);
  }

  it('serves every file over HTTP, 16 requests at a time, without a 500', async () => {
    const list = path.join(dir, 'urls.txt');
    const base = String(ready.webUrl);
    await writeFile(list, [...originals.keys()].map((name) => `${base}${name}\n  out=${name}\n`).join(''));
    const target = path.join(dir, 'http');
    const run = await runCommand('aria2c', ['--dir', target, '--input-file', list, '--max-concurrent-downloads=16', '--split=1', '--console-log-level=warn', '--summary-interval=0', '--allow-overwrite=true', '--auto-file-renaming=false'], { timeoutMs: 120_000 });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    await assertIdentical(target);
  });

  it('seeds every file over BitTorrent', async () => {
    const target = path.join(dir, 'bittorrent');
    const run = await runCommand('aria2c', aria2cArgs(target, String(ready.torrentUrl)), { timeoutMs: 120_000 });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    await assertIdentical(path.join(target, 'many'));
  });

  it('said nothing of running out of descriptors', () => {
    assert.doesNotMatch(share.stderr(), /EMFILE|too many open files/i);
    assert.ok(!share.events.some((event) => event.event === 'error' || (event.event === 'warning' && /EMFILE/.test(String(event.message)))));
  });
});
