// The in-process tracker: one torrent only, the seeder handed out at its visible address, a secret URL.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { allowsAddress } from '../../src/host/cidr.ts';
import { ContentReader } from '../../src/content/reader.ts';
import { newToken, startHttpServer, type HttpServerConfig, type HttpServerHandle } from '../../src/http/server.ts';
import { createTracker } from '../../src/http/tracker.ts';
import getPort from 'get-port';
import { announce, httpGet } from '../support/announce.ts';

/** The HTTP server with our tracker in it, over a one-byte stand-in for the content. */
function startTrackerServer(options: { port: number; infoHash: string; torrentFile: Buffer; name: string; seeder: { peerId: string; ip: string; port: number }; allows: HttpServerConfig['allows'] }): Promise<HttpServerHandle> {
  const reader = new ContentReader({ files: [], pieceLength: 16384, pieces: Buffer.alloc(0), onChange: () => {} });
  return startHttpServer({
    port: options.port,
    token: newToken(),
    torrentFile: options.torrentFile,
    content: { name: options.name, kind: 'file', files: [], reader, version: options.infoHash, handOut: { policy: undefined } },
    tracker: createTracker({ infoHash: options.infoHash, seeder: options.seeder }),
    allows: options.allows,
  });
}

describe('tracker', () => {
  const infoHash = randomBytes(20).toString('hex');
  const seederPeerId = randomBytes(20).toString('hex');
  const torrentFile = Buffer.from('d8:announce0:e');
  let tracker: HttpServerHandle;
  let port: number;

  before(async () => {
    port = await getPort();
    tracker = await startTrackerServer({ port, infoHash, torrentFile, name: 'x y.img', seeder: { peerId: seederPeerId, ip: '127.0.0.55', port: 40001 }, allows: allowsAddress([]) });
  });
  after(() => tracker.close());

  it('refuses a foreign info hash with a bencoded failure reason', async () => {
    const reply = await announce(port, randomBytes(20).toString('hex'));
    assert.equal(reply.failure, 'this tracker serves one torrent only');
  });

  it('hands peers our seeder at its visible address, not the loopback address it announced from', async () => {
    const own = await announce(port, infoHash, { peerId: seederPeerId, peerPort: 12345, left: 0 });
    assert.equal(own.failure, undefined);
    assert.deepEqual(own.peers, [], 'the seeder is handed no peers, not even itself');
    const recipient = await announce(port, infoHash);
    assert.ok(recipient.peers.includes('127.0.0.55:40001'), recipient.peers.join());
    assert.ok(!recipient.peers.some((peer) => peer.startsWith('127.0.0.1:1234')));
  });

  it('takes the address of any other peer from its socket, whatever it claims', async () => {
    const peerId = randomBytes(20).toString('hex');
    await announce(port, infoHash, { peerId, peerPort: 7000 });
    const other = await announce(port, infoHash);
    assert.ok(other.peers.includes('127.0.0.1:7000'));
  });

  it('serves the .torrent only under its token path', async () => {
    const good = await httpGet(port, tracker.torrentPath);
    assert.equal(good.status, 200);
    assert.equal(good.headers['content-type'], 'application/x-bittorrent');
    assert.ok(good.body.equals(torrentFile));
    assert.match(tracker.torrentPath, /^\/[A-Za-z0-9_-]{32}\/x%20y\.img\.torrent$/);
    const head = await httpGet(port, tracker.torrentPath, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String(torrentFile.length));
    const wrongToken = tracker.torrentPath.replace(/^\/./, (match: string) => (match === '/A' ? '/B' : '/A'));
    for (const path of [wrongToken, '/', '/stats', '/stats.json', '/x%20y.img.torrent', tracker.torrentPath + 'x']) {
      assert.equal((await httpGet(port, path)).status, 404, path);
    }
    assert.equal((await httpGet(port, tracker.torrentPath, 'POST')).status, 405);
  });
});

describe('tracker with --allow', () => {
  it('answers 403 to every request from a source outside the allowed ranges', async () => {
    const port = await getPort();
    const seen: string[] = [];
    const tracker = await startTrackerServer({
      port,
      infoHash: randomBytes(20).toString('hex'),
      torrentFile: Buffer.from('x'),
      name: 'x',
      seeder: { peerId: randomBytes(20).toString('hex'), ip: '127.0.0.1', port: 1 },
      allows: (ip: string) => {
        seen.push(ip);
        return false;
      },
    });
    try {
      for (const path of [tracker.torrentPath, '/announce?info_hash=x', '/']) assert.equal((await httpGet(port, path)).status, 403);
      assert.ok(seen.every((ip) => ip === '127.0.0.1' || ip === '::ffff:127.0.0.1'), seen.join());
    } finally {
      await tracker.close();
    }
  });
});
