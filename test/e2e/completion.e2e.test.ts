// `--exit-after` counts recipients that can really have the file: peers that only say so (a
// `completed` announce with nothing left, `have all`, a full bitfield) before any copy has left are
// not counted, and webtorrent-cli, which leaves the moment it is done without a word, is.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { announce } from '../support/announce.ts';
import { aria2cArgs, LOOPBACK, randomFile, ROOT, runCommand, startShare, stopShare, tempDir } from '../support/helpers.ts';
import type { TwoHosts } from '../support/netns.ts';
import { spawnIn } from '../support/clients/process.ts';
import { assertSameContent, clientHosts, shareFromSharer } from '../support/clients/sharing.ts';
import { connectRaw, handshakeBytes, messageBytes, type RawPeer } from '../support/peer-wire.ts';

const MiB = 1024 * 1024;
const HAVE_ALL = 0x0e;
const BITFIELD = 5;
const WEBTORRENT_CLI = path.join(ROOT, 'node_modules', 'webtorrent-cli', 'bin', 'cmd.js');

/** A peer that connects, says it holds every piece, and downloads nothing; its peer id in hex. */
async function liarOnTheWire(port: number, infoHash: string, pieceCount: number, how: 'have-all' | 'bitfield'): Promise<{ peer: RawPeer; peerId: string }> {
  const handshake = handshakeBytes(infoHash, { fast: how === 'have-all' });
  const peer = await connectRaw('127.0.0.1', port);
  if (how === 'have-all') {
    peer.socket.write(Buffer.concat([handshake, messageBytes(HAVE_ALL)]));
  } else {
    const bits = Buffer.alloc(Math.ceil(pieceCount / 8), 0xff);
    if (pieceCount % 8 !== 0) bits[bits.length - 1] = (0xff << (8 - (pieceCount % 8))) & 0xff;
    const header = Buffer.alloc(5);
    header.writeUInt32BE(1 + bits.length, 0);
    header[4] = BITFIELD;
    peer.socket.write(Buffer.concat([handshake, header, bits]));
  }
  return { peer, peerId: handshake.subarray(48, 68).toString('hex') };
}

describe('who counts as having the file', { timeout: 300_000 }, () => {
  let dir: string;
  before(async () => {
    dir = await tempDir('share-file-completion-');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('--exit-after 1 credits no peer that only says it has everything, and stops once aria2c has the file', async () => {
    const file = await randomFile(dir, 'image.iso', 12 * MiB + 5);
    const share = startShare([file, '--exit-after', '1', ...LOOPBACK], { cwd: dir });
    const liars: RawPeer[] = [];
    try {
      const ready = await share.waitForEvent('ready');
      const infoHash = String(ready.infoHash);
      const pieceCount = Math.ceil(Number(ready.length) / (256 * 1024));
      // A `completed` announce with nothing left, then a `stopped` one, from a peer id that never connects...
      const announcerId = Buffer.from(`-LI0001-${randomBytes(6).toString('hex')}`).toString('hex');
      for (const event of ['completed', 'stopped']) await announce(Number(ready.trackerPort), infoHash, { peerId: announcerId, peerPort: 6999, left: 0, event });
      // ...and peers on the wire saying they hold every piece: `have all` (fast extension), and a full bitfield.
      const onWire = await Promise.all((['have-all', 'bitfield'] as const).map((how) => liarOnTheWire(Number(ready.peerPort), infoHash, pieceCount, how)));
      liars.push(...onWire.map(({ peer }) => peer));
      const liarIds = new Set([announcerId, ...onWire.map(({ peerId }) => peerId)]);
      await waitFor(() => share.events.filter((event) => event.event === 'peer-connected').length >= 2);
      // Time for a completion to be (wrongly) counted: the claims were all made above.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      assert.equal(share.child.exitCode, null, `share-file stopped on claims alone: ${share.stderr()}`);
      assert.deepEqual(share.events.filter((event) => event.event === 'completed'), []);

      const target = path.join(dir, 'aria2c');
      const download = await runCommand('aria2c', aria2cArgs(target, String(ready.torrentUrl)));
      assert.equal(download.code, 0, download.stderr);
      assert.ok((await readFile(path.join(target, 'image.iso'))).equals(await readFile(file)));
      assert.equal((await share.exited).code, 0, share.stderr());
      const first = share.events.find((event) => event.event === 'completed')!;
      assert.ok(!liarIds.has(String(first.peerId)), `the first recipient counted is aria2c, not a liar: ${JSON.stringify(first)}`);
      assert.equal(first.completedPeers, 1);
      assert.deepEqual(share.events.at(-1), { event: 'stopped', reason: 'exit-after' });
    } finally {
      for (const liar of liars) liar.socket.destroy();
      await stopShare(share);
    }
  });

  describe('webtorrent-cli with its defaults, across two namespaces', () => {
    let hosts: TwoHosts;
    before(async () => {
      hosts = await clientHosts();
    });
    after(() => hosts?.teardown());

    it('--exit-after 1 stops once webtorrent-cli, which leaves the moment it is done, has the file', async () => {
      const file = await randomFile(dir, 'release.img', 20 * MiB + 77);
      const { share, torrent } = await shareFromSharer(hosts, file, path.join(dir, 'release.torrent'), ['--exit-after', '1']);
      try {
        const workDir = path.join(dir, 'webtorrent-cli');
        const out = path.join(workDir, 'download');
        await mkdir(out, { recursive: true });
        // `download` quits once the torrent is done (no --keep-seeding); --quiet: no redrawn screen.
        const client = spawnIn(hosts.recipient, process.execPath, [WEBTORRENT_CLI, 'download', torrent.torrentFile, '--out', out, '--quiet'], { cwd: workDir, log: path.join(workDir, 'client.log') });
        assert.equal(await client.exited, 0, client.output());
        await assertSameContent(file, path.join(out, 'release.img'));
        const { code } = await share.exited;
        assert.equal(code, 0, share.stderr());
        const completed = share.events.find((event) => event.event === 'completed');
        assert.equal(completed?.via, 'bittorrent', JSON.stringify(share.events.filter((event) => event.event !== 'progress')));
        assert.match(String(completed?.peer), new RegExp(`^${hosts.recipientIp.replaceAll('.', '\\.')}:`));
        assert.deepEqual(share.events.at(-1), { event: 'stopped', reason: 'exit-after' });
      } finally {
        await stopShare(share);
      }
    });
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
