// The in-process tracker inside the running CLI: the seeder handed out at its visible address.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { randomFile, startShare, stopShare, tempDir, type RunningShare, type ShareEventRecord } from '../support/helpers.ts';
import { announce } from '../support/announce.ts';

describe('the running CLI', () => {
  let dir: string;
  let share: RunningShare;
  let ready: ShareEventRecord;
  before(async () => {
    dir = await tempDir();
    const file = await randomFile(dir, 'f.bin', 50_000);
    share = startShare([file, '--ip', '127.0.0.55', '-H', '127.0.0.1', '--firewall', 'none', '--port-map', 'none'], { cwd: dir });
    ready = await share.waitForEvent('ready');
  });
  after(async () => {
    await stopShare(share);
    await rm(dir, { recursive: true, force: true });
  });

  it('hands a second peer the ready event\'s ip and peer port', async () => {
    // The seeder announces a moment after start-up; ask until it is listed.
    let peers: string[] = [];
    for (let attempt = 0; attempt < 50 && !peers.includes(`127.0.0.55:${ready.peerPort}`); attempt++) {
      peers = (await announce(Number(ready.trackerPort), String(ready.infoHash), { event: attempt === 0 ? 'started' : 'update' })).peers;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(peers.includes(`${ready.ip}:${ready.peerPort}`), peers.join());
    assert.equal(ready.ip, '127.0.0.55');
  });

  it('refuses a foreign info hash', async () => {
    const reply = await announce(Number(ready.trackerPort), randomBytes(20).toString('hex'));
    assert.match(reply.failure ?? '', /one torrent only/);
  });
});
