// A file that changes while it is shared, in place or cut short: pieces that still match are served
// as before, changed ones are refused (410 over HTTP; withdrawn from BitTorrent recipients), and the
// sharer is told which byte ranges changed and how to share the current version; BitTorrent
// recipients are told by the tracker.
import assert from 'node:assert/strict';
import { mkdir, open, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { describe, it } from 'node:test';
import { aria2cArgs, LOOPBACK, runCommand, shareRandomFile, startShare, stopShare, tempDir, type RunningShare } from '../support/helpers.ts';
import { connectPeer } from '../support/peer-wire.ts';

const PIECE = 256 * 1024;
const BLOCK = 16 * 1024;
const MiB = 1024 * 1024;

/** Overwrites 100 bytes at `position`, in place, as a running VM writes into its image. */
async function writeInPlace(file: string, position: number): Promise<void> {
  const handle = await open(file, 'r+');
  await handle.write(Buffer.alloc(100, 0x5a), 0, 100, position);
  await handle.close();
}

async function fetchRange(url: string, first: number, last: number | ''): Promise<{ status: number; body: Buffer }> {
  const response = await fetch(url, { headers: { Range: `bytes=${first}-${last}` } });
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
}

/** aria2c until it gives up on the pieces no one offers (10 s without a byte), its log kept. */
async function aria2cUntilStalled(dir: string, torrent: string): Promise<{ code: number | null; output: string; log: string; file: Buffer }> {
  const log = path.join(dir, 'aria2c.log');
  const args = aria2cArgs(path.join(dir, 'aria2c'), torrent).map((arg) => (arg.startsWith('--bt-stop-timeout=') ? '--bt-stop-timeout=10' : arg));
  const result = await runCommand('aria2c', [`--log=${log}`, '--log-level=info', ...args], { timeoutMs: 90_000 });
  return { code: result.code, output: result.stdout + result.stderr, log: await readFile(log, 'utf8'), file: await readFile(path.join(dir, 'aria2c', path.basename(torrent).replace(/-\d+\.torrent$/, ''))) };
}

/** Waits for a --json warning whose `changed` ranges are exactly these. */
async function changedWarning(share: RunningShare, expected: Array<{ file: string; start: number; end: number }>): Promise<string> {
  for (let waited = 0; waited < 60_000; waited += 250) {
    const found = share.events.findLast((event) => event.event === 'warning' && Array.isArray(event.changed));
    if (found && JSON.stringify(found.changed) === JSON.stringify(expected)) return String(found.message);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  assert.fail(`no warning naming ${JSON.stringify(expected)}; events:\n${share.events.map((event) => JSON.stringify(event)).join('\n')}`);
}

/** Asserts that every piece but `changed` arrived as it was hashed. */
function assertPiecesIntact(received: Buffer, original: Buffer, pieces: number, changed: (index: number) => boolean): void {
  for (let index = 0; index < pieces; index++) {
    if (changed(index)) continue;
    const start = index * PIECE;
    assert.ok(received.subarray(start, start + PIECE).equals(original.subarray(start, start + PIECE)), `piece ${index} arrived intact`);
  }
}

/** Also after a failed assertion: a share left running would keep the test file from ending. */
async function cleanUp(share: RunningShare, dir: string): Promise<void> {
  await stopShare(share);
  await rm(dir, { recursive: true, force: true });
}

describe('a file that changes while shared', () => {
  it('changed in place: intact pieces still served, changed ones refused and named', async (t) => {
    const { dir, file, share, ready } = await shareRandomFile('live.img', 80 * MiB);
    t.after(() => cleanUp(share, dir));
    const original = await readFile(file);
    const url = String(ready.webUrl);
    const peer = await connectPeer('127.0.0.1', Number(ready.peerPort), String(ready.infoHash));
    assert.ok((await peer.request(4, 0, BLOCK)).equals(original.subarray(4 * PIECE, 4 * PIECE + BLOCK)));

    // Piece 5, near the start, and piece 288 (at 72 MiB), beyond what a response checks before its headers.
    await writeInPlace(file, 5 * PIECE + 1000);
    await writeInPlace(file, 288 * PIECE + 5000);

    // BitTorrent: intact pieces still come; the changed one is refused and the connection closed
    // (a `have` cannot be taken back), so the recipient reconnects and is not told of it again.
    assert.ok((await peer.request(6, BLOCK, BLOCK)).equals(original.subarray(6 * PIECE + BLOCK, 6 * PIECE + 2 * BLOCK)));
    await assert.rejects(peer.request(5, 0, BLOCK));
    await peer.closed;

    // HTTP: an intact range is served identical; a range reaching a changed piece gets 410, named.
    const kept = await fetchRange(url, 6 * PIECE, 7 * PIECE - 1);
    assert.equal(kept.status, 206);
    assert.ok(kept.body.equals(original.subarray(6 * PIECE, 7 * PIECE)));
    const gone = await fetchRange(url, 5 * PIECE + 10, 5 * PIECE + 20);
    assert.equal(gone.status, 410);
    assert.match(gone.body.toString(), /`live\.img` bytes 1310720-1572863 changed on the sender's disk/);

    // A response that only reaches a changed piece mid-body is cut there, every byte before it
    // right; curl says so, and asked again it gets the 410.
    const target = path.join(dir, 'curl.img');
    const cut = await runCommand('curl', ['-fsS', '-r', `${8 * MiB}-`, '-o', target, url]);
    assert.equal(cut.code, 18, cut.stderr);
    assert.match(cut.stderr, /transfer closed with \d+ bytes remaining/);
    assert.equal((await stat(target)).size, 288 * PIECE - 8 * MiB);
    assert.ok((await readFile(target)).equals(original.subarray(8 * MiB, 288 * PIECE)));
    const again = await runCommand('curl', ['-fsS', '-r', `${8 * MiB}-`, '-o', target, url]);
    assert.equal(again.code, 22, again.stderr);
    assert.match(again.stderr, /410/);

    // aria2c gets every other piece, then waits without asking for the changed ones again and again
    // (once, 15,000 refusals a second), and gives up by its own --bt-stop-timeout.
    const aria2c = await aria2cUntilStalled(dir, String(ready.torrent));
    assert.notEqual(aria2c.code, null, 'aria2c ended by itself');
    assert.notEqual(aria2c.code, 0);
    assertPiecesIntact(aria2c.file, original, 320, (index) => index === 5 || index === 288);
    const refusals = aria2c.log.match(/ reject index=/g)?.length ?? 0;
    assert.ok(refusals < 200, `${refusals} refusals`);
    // What the wire cannot say, our tracker's reply does: aria2c prints it.
    assert.match(aria2c.output, /Tracker returned warning message: `live\.img` bytes 1310720-1572863, `live\.img` bytes 75497472-75759615 changed on the sender's disk/);

    const warning = await changedWarning(share, [
      { file: 'live.img', start: 5 * PIECE, end: 6 * PIECE },
      { file: 'live.img', start: 288 * PIECE, end: 289 * PIECE },
    ]);
    assert.match(warning, /`live\.img` bytes 1310720-1572863, `live\.img` bytes 75497472-75759615 no longer match the \.torrent/);
    assert.match(warning, /stop and run `share-file .*live\.img` again/);
    assert.match(share.stderr(), /warning: .*bytes 1310720-1572863.*share-file /);
  });

  it('cut short: pieces wholly before the new end still served, the rest refused and named', async (t) => {
    const { dir, file, share, ready } = await shareRandomFile('short.img', 8 * MiB);
    t.after(() => cleanUp(share, dir));
    const original = await readFile(file);
    const url = String(ready.webUrl);
    // The new end falls inside piece 6: pieces 0-5 are whole, 6-31 are gone.
    await truncate(file, 6 * PIECE + 1000);

    const intact = await fetchRange(url, 5 * PIECE, 6 * PIECE - 1);
    assert.equal(intact.status, 206);
    assert.ok(intact.body.equals(original.subarray(5 * PIECE, 6 * PIECE)));
    const gone = await fetchRange(url, 7 * PIECE, '');
    assert.equal(gone.status, 410);
    assert.match(gone.body.toString(), /`short\.img` bytes 1835008-8388607 changed/);
    const whole = await runCommand('curl', ['-fsS', '-o', path.join(dir, 'curl.img'), url]);
    assert.equal(whole.code, 22, 'the whole file gets 410 before any byte');

    const aria2c = await aria2cUntilStalled(dir, String(ready.torrent));
    assert.notEqual(aria2c.code, null, 'aria2c ended by itself');
    assertPiecesIntact(aria2c.file, original, 6, () => false);
    assert.match(aria2c.output, /Tracker returned warning message: `short\.img` bytes 1572864-8388607 changed on the sender's disk/);

    const warning = await changedWarning(share, [{ file: 'short.img', start: 6 * PIECE, end: 8 * MiB }]);
    assert.match(warning, /`short\.img` bytes 1572864-8388607 no longer match/);
  });

  it('in a folder: the warning and the 410 name the file that changed, the others are served whole', async (t) => {
    const dir = await tempDir();
    const folder = path.join(dir, 'vms');
    await mkdir(folder);
    const first = randomBytes(3 * MiB);
    await writeFile(path.join(folder, 'a.img'), first);
    await writeFile(path.join(folder, 'b.img'), randomBytes(3 * MiB));
    const share = startShare([folder, ...LOOPBACK], { cwd: dir });
    t.after(() => cleanUp(share, dir));
    const ready = await share.waitForEvent('ready');
    // b.img starts at 3 MiB, where piece 12 begins: its byte 300000 lies in piece 13.
    await writeInPlace(path.join(folder, 'b.img'), 300_000);

    const url = String(ready.webUrl);
    const whole = await fetch(`${url}a.img`);
    assert.equal(whole.status, 200);
    assert.ok(Buffer.from(await whole.arrayBuffer()).equals(first));
    const gone = await fetch(`${url}b.img`);
    assert.equal(gone.status, 410);
    assert.match(await gone.text(), /^`b\.img` bytes 262144-524287 changed on the sender's disk/);
    const warning = await changedWarning(share, [{ file: 'b.img', start: PIECE, end: 2 * PIECE }]);
    assert.match(warning, /changed on disk of `vms`: `b\.img` bytes 262144-524287 no longer match/);
  });
});
