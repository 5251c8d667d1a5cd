// Peers that break the protocol or hog the seeder, against the built CLI: garbage, the wrong
// torrent, a 4 GiB length prefix, out-of-range requests, handshakes that stall, peers that ask for
// the whole file and never read, 400 connections that handshake and then idle, a peer that requests
// and cancels in a loop, 200 that ask for the info dictionary without reading, and 32 that read one
// block every 30 s. A real aria2c arriving meanwhile still downloads the file byte for byte, and
// peak RSS stays bounded.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { aria2cArgs, runCommand, shareRandomFile, stopShare, tempDir, type RunningShare, type ShareEventRecord } from '../support/helpers.ts';
import { bdecode, type Bdict } from '../../src/seeding/connection/bdecode.ts';
import { connectRaw, handshakeBytes, messageBytes, type RawPeer } from '../support/peer-wire.ts';
import { closedBySeeder, metadataFlood, requestAndCancel, slowReaders, type Attack, type Target } from '../support/hostile-peers.ts';

const SIZE = 128 * 1024 * 1024;
const BLOCK = 16 * 1024;
/** Seeding needs ~110 MiB; hostile peers must not push it past this. */
const MAX_PEAK_RSS_MIB = 256;

async function peakRssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(status.match(/^VmHWM:\s+(\d+) kB/m)![1]) / 1024;
}

describe('hostile peers', () => {
  let dir: string;
  let file: string;
  let share: RunningShare;
  let ready: ShareEventRecord;
  let pieceLength: number;
  const held: RawPeer[] = [];

  before(async () => {
    ({ dir, file, share, ready } = await shareRandomFile('target.bin', SIZE));
    const torrent = bdecode(await readFile(String(ready.torrent))).value as Bdict;
    pieceLength = (torrent['info'] as Bdict)['piece length'] as number;
  });
  after(async () => {
    for (const peer of held) peer.socket.destroy();
    await stopShare(share);
    await rm(dir, { recursive: true, force: true });
  });

  const peerPort = (): number => Number(ready.peerPort);
  const infoHash = (): string => String(ready.infoHash);

  async function sendAndHold(bytes: Buffer, options: { read?: boolean } = {}): Promise<RawPeer> {
    const peer = await connectRaw('127.0.0.1', peerPort(), options);
    peer.socket.write(bytes);
    held.push(peer);
    return peer;
  }

  it('hangs up on garbage, the wrong torrent, 4 GiB length prefixes and out-of-range requests', { timeout: 30_000 }, async () => {
    const good = (): Buffer => Buffer.concat([handshakeBytes(infoHash(), { fast: true }), messageBytes(2)]);
    const pieceCount = Math.ceil(SIZE / pieceLength);
    const broken = [
      ...Array.from({ length: 20 }, () => randomBytes(2000)),
      ...Array.from({ length: 10 }, () => handshakeBytes(randomBytes(20).toString('hex'))),
      ...Array.from({ length: 10 }, () => Buffer.concat([good(), Buffer.from([0xff, 0xff, 0xff, 0xf0]), randomBytes(64 * 1024)])),
      ...Array.from({ length: 10 }, (_, at) => Buffer.concat([good(), messageBytes(6, pieceCount + at, 0, BLOCK)])),
      ...Array.from({ length: 10 }, () => Buffer.concat([good(), messageBytes(6, 0, 0, 1024 * 1024)])),
    ];
    const peers = await Promise.all(broken.map((bytes) => sendAndHold(bytes)));
    await Promise.all(peers.map((peer) => peer.closed));
  });

  it('times out handshakes that stall: silent, halfway through MSE, halfway through BitTorrent', { timeout: 30_000 }, async () => {
    const started = Date.now();
    const stalled = await Promise.all([Buffer.alloc(0), randomBytes(96), handshakeBytes(infoHash()).subarray(0, 30)].map((bytes) => sendAndHold(bytes)));
    await Promise.all(stalled.map((peer) => peer.closed));
    // 10 s from connecting, checked every second.
    assert.ok(Date.now() - started >= 9_000, 'closed before the handshake timeout');
  });

  it('keeps serving an aria2c that arrives while peers flood it with requests they never read and 400 idle connections are held', { timeout: 180_000 }, async (t) => {
    // Five peers with the fast extension ask for the whole file and never read; one without it
    // does the same (it passes the 2000-request queue and is dropped).
    const everyBlock: Buffer[] = [];
    for (let offset = 0; offset < SIZE; offset += BLOCK) everyBlock.push(messageBytes(6, Math.floor(offset / pieceLength), offset % pieceLength, BLOCK));
    const requests = Buffer.concat(everyBlock);
    for (let count = 0; count < 5; count++) await sendAndHold(Buffer.concat([handshakeBytes(infoHash(), { fast: true }), messageBytes(2), requests]), { read: false });
    await sendAndHold(Buffer.concat([handshakeBytes(infoHash()), messageBytes(2), requests]), { read: false });
    // 400 connections that handshake and say nothing more: twice the connection limit.
    for (let count = 0; count < 400; count++) await sendAndHold(handshakeBytes(infoHash(), { fast: count % 2 === 0 }));
    const target = await tempDir();
    const run = await runCommand('aria2c', aria2cArgs(target, String(ready.torrent)), { timeoutMs: 150_000 });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.ok((await readFile(path.join(target, 'target.bin'))).equals(await readFile(file)));
    await rm(target, { recursive: true, force: true });
    const evicted = held.slice(-400).filter((peer) => peer.isClosed()).length;
    t.diagnostic(`${evicted} of the 400 idle connections gave way`);
    assert.equal(share.child.exitCode, null, 'share-file exited');
    const peak = await peakRssMiB(share.child.pid!);
    t.diagnostic(`share-file peak RSS (VmHWM): ${peak.toFixed(0)} MiB`);
    assert.ok(peak <= MAX_PEAK_RSS_MIB, `peak RSS ${peak.toFixed(0)} MiB`);
  });
});

describe('peers that would hold the seeder\'s memory or its send budget', () => {
  const SMALL = 64 * 1024 * 1024;
  const SLOW_READERS = 32;

  /**
   * Does aria2c get the file, byte for byte, while the attack runs? And what did it cost? `then`
   * runs once aria2c is done, while the attack goes on.
   */
  async function underAttack(t: TestContext, start: (target: Target) => Attack, then: (attack: Attack, closed: () => number, events: ShareEventRecord[]) => Promise<void> = () => sleep(10_000)): Promise<Attack> {
    const { dir, file, share, ready } = await shareRandomFile('target.bin', SMALL);
    try {
      const torrent = bdecode(await readFile(String(ready.torrent))).value as Bdict;
      const pieceLength = (torrent['info'] as Bdict)['piece length'] as number;
      const attack = start({ port: Number(ready.peerPort), infoHash: String(ready.infoHash), pieceLength, size: SMALL });
      try {
        // Long enough for the attackers to fill what they can, and to stall.
        await sleep(8_000);
        const target = await tempDir();
        const run = await runCommand('aria2c', aria2cArgs(target, String(ready.torrent)), { timeoutMs: 90_000 });
        assert.equal(run.code, 0, run.stdout + run.stderr);
        assert.ok((await readFile(path.join(target, 'target.bin'))).equals(await readFile(file)), 'aria2c got other bytes');
        await rm(target, { recursive: true, force: true });
        const closed = (): number => closedBySeeder(share.events, attack);
        await then(attack, closed, share.events);
        assert.equal(share.child.exitCode, null, 'share-file exited');
        const peak = await peakRssMiB(share.child.pid!);
        t.diagnostic(`share-file peak RSS (VmHWM): ${peak.toFixed(0)} MiB; the seeder closed ${closed()} of the ${attack.addresses.size} attacking connections`);
        assert.ok(peak <= MAX_PEAK_RSS_MIB, `peak RSS ${peak.toFixed(0)} MiB`);
      } finally {
        await attack.stop();
      }
      return attack;
    } finally {
      await stopShare(share);
      await rm(dir, { recursive: true, force: true });
    }
  }

  it('stays bounded by a peer that asks for 10 MiB it never reads, then requests and cancels in a loop', { timeout: 180_000 }, async (t) => {
    await underAttack(t, (target) => requestAndCancel(target));
  });

  it('stays bounded by 200 connections asking for the info dictionary again and again without reading', { timeout: 180_000 }, async (t) => {
    await underAttack(t, (target) => metadataFlood(target, 200));
  });

  it('drops 32 peers that ask for 16 MiB each and read one block every 30 s, and keeps an idle recipient', { timeout: 180_000 }, async (t) => {
    let idle: RawPeer | undefined;
    await underAttack(
      t,
      (target) => {
        // A recipient that fetched a few blocks and then only sits there (finished, or busy elsewhere):
        // nothing is owed to it, so not reading costs it nothing.
        void connectRaw('127.0.0.1', target.port, { read: false }).then(async (peer) => {
          idle = peer;
          peer.socket.write(Buffer.concat([handshakeBytes(target.infoHash, { fast: true }), messageBytes(2), ...[0, 1, 2, 3].map((at) => messageBytes(6, 0, at * BLOCK, BLOCK))]));
        });
        // 32: with what the kernel's socket buffers take of each, enough to hold the whole send
        // budget (16 did not here).
        return slowReaders(target, SLOW_READERS, 16 * 1024 * 1024, 30_000);
      },
      // aria2c got the file while they held their connections; then every slow reader is dropped,
      // by its rate (bounded here, not timed).
      async (_attack, closed, events) => {
        assert.ok(closed() < SLOW_READERS, 'aria2c finished only once every slow reader was gone');
        for (let waited = 0; closed() < SLOW_READERS && waited < 60_000; waited += 1000) await sleep(1000);
        assert.equal(closed(), SLOW_READERS, 'slow readers the seeder closed');
        // Not `idle.isClosed()`: a peer that does not read never sees the seeder's FIN.
        const idleAddress = `${idle!.socket.localAddress!}:${idle!.socket.localPort!}`;
        assert.ok(!events.some((event) => event.event === 'peer-disconnected' && event.peer === idleAddress), 'the idle recipient was dropped');
        assert.ok(events.some((event) => event.event === 'peer-connected' && event.peer === idleAddress), 'the idle recipient never connected');
        idle!.socket.destroy();
      },
    );
  });
});
