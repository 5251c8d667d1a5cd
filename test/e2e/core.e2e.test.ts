// End-to-end: the built CLI shares a file that a real aria2c downloads, then stops cleanly.
import assert from 'node:assert/strict';
import { readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { aria2cArgs, isPortFree, LOOPBACK, randomFile, runCommand, startShare, stopShare, tempDir, type RunningShare, type ShareEventRecord } from '../support/helpers.ts';

const FILE_NAME = 'disk imäge 1.bin';
const SIZE = 32 * 1024 * 1024;

describe('sharing a 32 MiB file on loopback', () => {
  let dir: string;
  let file: string;
  let share: RunningShare;
  let ready: ShareEventRecord;

  before(async () => {
    dir = await tempDir();
    file = await randomFile(dir, FILE_NAME, SIZE);
    share = startShare([file, '--ip', '127.0.0.1', '--hostname', '127.0.0.1', '--firewall', 'none', '--port-map', 'none'], { cwd: dir });
    ready = await share.waitForEvent('ready');
  });

  after(async () => {
    await stopShare(share);
    await rm(dir, { recursive: true, force: true });
  });

  it('reports everything the recipient needs in the ready event', async () => {
    assert.match(String(ready.infoHash), /^[0-9a-f]{40}$/);
    assert.equal(ready.ip, '127.0.0.1');
    assert.equal(typeof ready.trackerPort, 'number');
    assert.equal(ready.peerPort, Number(ready.trackerPort) + 1, 'the peer port defaults to the tracker port + 1');
    assert.ok(Number(ready.trackerPort) >= 50000 && Number(ready.trackerPort) <= 64999);
    assert.equal(ready.torrent, path.join(dir, `${FILE_NAME}-${ready.trackerPort}.torrent`));
    assert.deepEqual(ready.announce, [`http://127.0.0.1:${ready.trackerPort}/announce`]);
    assert.match(String(ready.torrentUrl), new RegExp(`^http://127\\.0\\.0\\.1:${ready.trackerPort}/[A-Za-z0-9_-]{32}/disk%20im%C3%A4ge%201\\.bin\\.torrent$`));
    const magnet = new URL(String(ready.magnet));
    assert.equal(magnet.searchParams.get('xt'), `urn:btih:${ready.infoHash}`);
    assert.equal(magnet.searchParams.get('dn'), FILE_NAME);
    assert.equal(magnet.searchParams.get('tr'), `http://127.0.0.1:${ready.trackerPort}/announce`);
    assert.equal(magnet.searchParams.get('x.pe'), `127.0.0.1:${ready.peerPort}`);
    await waitUntil(() => share.stderr().includes('aria2c --seed-time=0 '));
  });

  const downloadsIdentical = async (source: string): Promise<void> => {
    const target = await tempDir();
    const result = await runCommand('aria2c', aria2cArgs(target, source));
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.ok((await readFile(path.join(target, FILE_NAME))).equals(await readFile(file)));
    await rm(target, { recursive: true, force: true });
  };

  it('serves a .torrent that aria2c downloads byte-identical', () => downloadsIdentical(String(ready.torrent)));

  it('serves the torrent URL, from which aria2c also gets the bytes', () => downloadsIdentical(String(ready.torrentUrl)));

  it('reports each finished recipient once in a completed event', async () => {
    await waitUntil(() => share.events.filter((event) => event.event === 'completed').length >= 2);
    const completed = share.events.filter((event) => event.event === 'completed');
    assert.equal(completed.length, 2);
    for (const event of completed) assert.match(String(event.peer), /^127\.0\.0\.1:\d+$/);
  });

  it('stops promptly on SIGINT, exits 0, frees both ports and removes the .torrent', async () => {
    const started = Date.now();
    const { code } = await stopShare(share, 'SIGINT');
    assert.equal(code, 0);
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
    assert.ok(await isPortFree(Number(ready.trackerPort)));
    assert.ok(await isPortFree(Number(ready.peerPort)));
    assert.deepEqual(await readdir(dir), [FILE_NAME]);
    const stopped = share.events.at(-1);
    assert.deepEqual(stopped, { event: 'stopped', reason: 'SIGINT' });
  });
});

describe('stopping', () => {
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
    it(`stops cleanly on ${signal}`, async () => {
      const dir = await tempDir();
      const file = await randomFile(dir, 'small.bin', 100_000);
      const share = startShare([file, ...LOOPBACK], { cwd: dir });
      const ready = await share.waitForEvent('ready');
      const { code } = await stopShare(share, signal);
      assert.equal(code, 0);
      assert.ok(await isPortFree(Number(ready.trackerPort)));
      assert.deepEqual(await readdir(dir), ['small.bin']);
      assert.deepEqual(share.events.at(-1), { event: 'stopped', reason: signal });
      await rm(dir, { recursive: true, force: true });
    });
  }

  it('without --json prints only the torrent URL on stdout', async () => {
    const dir = await tempDir();
    const file = await randomFile(dir, 'plain.bin', 1000);
    const share = startShare([file, ...LOOPBACK], { cwd: dir, json: false });
    await waitUntil(() => share.stdoutLines.length > 0);
    await stopShare(share);
    assert.equal(share.stdoutLines.length, 1);
    assert.match(share.stdoutLines[0]!, /^http:\/\/127\.0\.0\.1:\d+\/[A-Za-z0-9_-]{32}\/plain\.bin\.torrent$/);
    await rm(dir, { recursive: true, force: true });
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
