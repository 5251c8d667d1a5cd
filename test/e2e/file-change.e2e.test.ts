// A file that changes while it is shared: the change is reported and changed pieces are never sent,
// to peers or over HTTP.
import assert from 'node:assert/strict';
import { open, readFile, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { LOOPBACK, randomFile, startShare, stopShare, tempDir } from '../support/helpers.ts';
import { connectPeer } from '../support/peer-wire.ts';

const PIECE = 256 * 1024;
const BLOCK = 16 * 1024;

describe('a file that changes while shared', () => {
  it('keeps serving unchanged pieces, refuses changed ones, and says so', async () => {
    const dir = await tempDir();
    const file = await randomFile(dir, 'live.img', 8 * 1024 * 1024);
    const original = await readFile(file);
    const share = startShare([file, ...LOOPBACK], { cwd: dir });
    const ready = await share.waitForEvent('ready');
    const peer = await connectPeer('127.0.0.1', Number(ready.peerPort), String(ready.infoHash));

    // Before the change: blocks come back exactly as in the file.
    assert.ok((await peer.request(4, 0, BLOCK)).equals(original.subarray(4 * PIECE, 4 * PIECE + BLOCK)));

    // Something writes into piece 5 in place, as a running VM would.
    const handle = await open(file, 'r+');
    await handle.write(randomBytes(100), 0, 100, 5 * PIECE + 1000);
    await handle.close();

    await assert.rejects(peer.request(5, 0, BLOCK), 'a block of the changed piece is not sent');
    await assert.rejects(peer.request(5, BLOCK, BLOCK));
    assert.ok((await peer.request(6, BLOCK, BLOCK)).equals(original.subarray(6 * PIECE + BLOCK, 6 * PIECE + 2 * BLOCK)), 'unchanged pieces are still served');
    assert.ok((await peer.request(4, BLOCK, BLOCK)).equals(original.subarray(4 * PIECE + BLOCK, 4 * PIECE + 2 * BLOCK)), 'so are pieces read before the change');
    peer.close();

    // Over HTTP the same: the changed piece is gone (410), the others are still served.
    const gone = await fetch(String(ready.webUrl), { headers: { Range: `bytes=${5 * PIECE}-${5 * PIECE + 99}` } });
    assert.equal(gone.status, 410);
    assert.match(await gone.text(), /piece 5 changed on disk/);
    const kept = await fetch(String(ready.webUrl), { headers: { Range: `bytes=${6 * PIECE}-${6 * PIECE + 99}` } });
    assert.equal(kept.status, 206);
    assert.ok(Buffer.from(await kept.arrayBuffer()).equals(original.subarray(6 * PIECE, 6 * PIECE + 100)));

    await share.waitForEvent('warning');
    const warnings = share.events.filter((event) => event.event === 'warning').map((event) => String(event.message));
    assert.ok(warnings.some((message) => /changed on disk while being shared/.test(message)), warnings.join('\n'));
    assert.ok(warnings.some((message) => /piece 5 of `live\.img` no longer matches/.test(message)), warnings.join('\n'));
    await stopShare(share);
    await rm(dir, { recursive: true, force: true });
  });
});
