// --announce: sharing through an existing tracker (Debian's opentracker) instead of our own.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import bencode from 'bencode';
import getPort from 'get-port';
import { hashPieces } from '../../src/hashing/hash.ts';
import { inspectSource } from '../../src/content/source.ts';
import { buildMetadata, pieceLengthFor } from '../../src/hashing/torrent.ts';
import { announce, httpGet } from '../support/announce.ts';
import { aria2cArgs, LOOPBACK, randomFile, ROOT, runCommand, startShare, stopShare, tempDir, type RunningShare, type ShareEventRecord } from '../support/helpers.ts';

const LIBTORRENT_FETCH = path.join(ROOT, 'test', 'support', 'clients', 'libtorrent-fetch.py');

describe('sharing through opentracker with --announce', () => {
  let dir: string;
  let file: string;
  let expectedInfoHash: string;
  let opentracker: ChildProcess;
  let trackerUrl: string;
  let share: RunningShare;
  let ready: ShareEventRecord;

  before(async () => {
    dir = await tempDir();
    file = await randomFile(dir, 'through opentracker.bin', 5 * 1024 * 1024 + 3);
    // The info hash does not depend on trackers: work it out before any tracker is named.
    const source = await inspectSource(file);
    const pieceLength = pieceLengthFor(source.length);
    expectedInfoHash = buildMetadata(source.name, source.length, pieceLength, await hashPieces({ files: source.files, pieceLength })).infoHash;
    // Debian builds opentracker with a whitelist; it drops to `nobody`, who must be able to read it.
    const whitelist = path.join(dir, 'whitelist');
    await writeFile(whitelist, `${expectedInfoHash}\n`);
    await chmod(dir, 0o755);
    await chmod(whitelist, 0o644);
    const port = await getPort({ host: '127.0.0.1' });
    opentracker = spawn('opentracker', ['-i', '127.0.0.1', '-p', String(port), '-P', String(port), '-w', whitelist], { stdio: 'ignore' });
    trackerUrl = `http://127.0.0.1:${port}/announce`;
    for (let attempt = 0; attempt < 50; attempt++) {
      if ((await httpGet(port, '/stats').catch(() => undefined)) !== undefined) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    share = startShare([file, '--announce', trackerUrl, ...LOOPBACK], { cwd: dir });
    ready = await share.waitForEvent('ready');
  });
  after(async () => {
    if (share) await stopShare(share);
    opentracker?.kill();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps the info hash, and names only the given tracker', async () => {
    assert.equal(ready.infoHash, expectedInfoHash);
    assert.deepEqual(ready.announce, [trackerUrl]);
    const torrent = bencode.decode(await readFile(String(ready.torrent))) as Record<string, unknown>;
    assert.equal(Buffer.from(torrent.announce as Uint8Array).toString(), trackerUrl);
    assert.deepEqual((torrent['announce-list'] as Uint8Array[][]).map((tier) => tier.map((url) => Buffer.from(url).toString())), [[trackerUrl]]);
    assert.equal(new URL(String(ready.magnet)).searchParams.get('tr'), trackerUrl);
  });

  it('runs no tracker of its own, but still serves the .torrent', async () => {
    const port = Number(ready.trackerPort);
    assert.equal((await httpGet(port, `/announce?info_hash=${'%00'.repeat(20)}`)).status, 404);
    const own = await httpGet(port, new URL(String(ready.torrentUrl)).pathname);
    assert.equal(own.status, 200);
    assert.ok(own.body.equals(await readFile(String(ready.torrent))));
  });

  it('is found through opentracker by a real aria2c, which gets the file byte-identical', async () => {
    // The seeder has announced itself to opentracker by now (or does within moments).
    let peers: string[] = [];
    const port = Number(new URL(trackerUrl).port);
    for (let attempt = 0; attempt < 50 && !peers.includes(`127.0.0.1:${ready.peerPort}`); attempt++) {
      peers = (await announce(port, String(ready.infoHash), { peerPort: 9, event: attempt === 0 ? 'started' : 'update' })).peers;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(peers.includes(`127.0.0.1:${ready.peerPort}`), peers.join());
    const target = await tempDir();
    const result = await runCommand('aria2c', aria2cArgs(target, String(ready.torrent)));
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.ok((await readFile(path.join(target, 'through opentracker.bin'))).equals(await readFile(file)));
    await rm(target, { recursive: true, force: true });
  });

  it('announces over UDP too (BEP 15): libtorrent finds it through opentracker and gets the file', async () => {
    await stopShare(share);
    const udpUrl = trackerUrl.replace(/^http:/, 'udp:').replace(/\/announce$/, '');
    share = startShare([file, '--announce', udpUrl, ...LOOPBACK], { cwd: dir });
    const udpReady = await share.waitForEvent('ready');
    assert.equal(udpReady.infoHash, expectedInfoHash);
    assert.deepEqual(udpReady.announce, [udpUrl]);
    const target = await tempDir();
    // aria2c with its DHT off, as the tests run it, did not ask the UDP tracker: libtorrent does.
    const result = await runCommand('/usr/bin/python3', [LIBTORRENT_FETCH, String(udpReady.torrent), target, '60']);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.ok((await readFile(path.join(target, 'through opentracker.bin'))).equals(await readFile(file)));
    await rm(target, { recursive: true, force: true });
  });

  it('says once that a tracker does not answer, and keeps seeding', async () => {
    await stopShare(share);
    const deadUrl = `http://127.0.0.1:${await getPort({ host: '127.0.0.1' })}/announce`;
    share = startShare([file, '--announce', deadUrl, ...LOOPBACK], { cwd: dir });
    await share.waitForEvent('ready');
    const warning = await share.waitForEvent('warning', 20_000);
    assert.equal(String(warning.message).startsWith(`tracker ${deadUrl}: `), true, String(warning.message));
    // The recipient comes through the magnet's x.pe, with no tracker at all.
    const target = await tempDir();
    const magnet = String(share.events.find((event) => event.event === 'ready')!.magnet);
    const result = await runCommand('/usr/bin/python3', [LIBTORRENT_FETCH, magnet.replace(/&tr=[^&]*/g, ''), target, '60']);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.ok((await readFile(path.join(target, 'through opentracker.bin'))).equals(await readFile(file)));
    await rm(target, { recursive: true, force: true });
    assert.equal(share.events.filter((event) => event.event === 'warning' && String(event.message).startsWith(`tracker ${deadUrl}: `)).length, 1);
  });
});
