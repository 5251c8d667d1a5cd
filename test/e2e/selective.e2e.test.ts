// Recipients that want only part of the share get it: libtorrent with only some files of a folder
// ticked, and with only the last pieces of a file past 4 GiB wanted (a player reading the end
// first). Each piece window told to a recipient starts at piece 0, so both used to wait forever.
import assert from 'node:assert/strict';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { randomFile, stopShare, tempDir } from '../support/helpers.ts';
import type { TwoHosts } from '../support/netns.ts';
import { spawnIn } from '../support/clients/process.ts';
import { bdecode, type Bdict } from '../../src/seeding/connection/bdecode.ts';
import { assertSameContent, clientHosts, shareFromSharer } from '../support/clients/sharing.ts';

const MiB = 1024 * 1024;
const SCRIPT = path.join(import.meta.dirname, '..', 'support', 'clients', 'libtorrent-selective.py');
const DOWNLOAD_TIMEOUT_S = 90;

/** Runs the selective libtorrent recipient in the recipient's namespace, in `workDir` (made here), until it has what it wants. */
async function fetchPart(hosts: TwoHosts, workDir: string, torrentFile: string, mode: 'files' | 'last-pieces', which: string): Promise<string> {
  const saveTo = path.join(workDir, 'download');
  await mkdir(saveTo, { recursive: true });
  const client = spawnIn(hosts.recipient, '/usr/bin/python3', [SCRIPT, torrentFile, saveTo, hosts.recipientIp, mode, which, String(DOWNLOAD_TIMEOUT_S)], { cwd: workDir, log: path.join(workDir, 'client.log') });
  const code = await client.exited;
  assert.equal(code, 0, `libtorrent (${mode} ${which}) did not get what it wanted:\n${client.output()}`);
  return saveTo;
}

/** `length` bytes at `offset` of a file. */
async function bytesAt(file: string, offset: number, length: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, offset);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

describe('recipients that want only part of the share', { timeout: 600_000 }, () => {
  let hosts: TwoHosts;
  let dir: string;

  before(async () => {
    hosts = await clientHosts();
    dir = await tempDir('share-file-selective-');
  });
  after(async () => {
    await hosts?.teardown();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('libtorrent with only the last two files of a folder ticked gets them byte for byte', async () => {
    const folder = path.join(dir, 'season');
    await mkdir(folder);
    // 256 KiB pieces: the first 8 MiB window told holds none of the wanted files' pieces.
    await randomFile(folder, 'episode 1.mkv', 9 * MiB + 17);
    await randomFile(folder, 'episode 2.mkv', 7 * MiB + 3);
    await randomFile(folder, 'episode 3.mkv', 3 * MiB + 1001);
    await randomFile(folder, 'notes.txt', 5000);
    const { share, torrent } = await shareFromSharer(hosts, folder, path.join(dir, 'season.torrent'));
    try {
      const saveTo = await fetchPart(hosts, path.join(dir, 'files recipient'), torrent.torrentFile, 'files', '2,3');
      for (const name of ['episode 3.mkv', 'notes.txt']) await assertSameContent(path.join(folder, name), path.join(saveTo, 'season', name));
      assert.equal(share.child.exitCode, null);
    } finally {
      await stopShare(share);
    }
  });

  it('libtorrent wanting only the last pieces of a file past 4 GiB gets them byte for byte', async () => {
    // Sparse: holes up to 4 GiB, then 6 MiB of random bytes (the hash cache is not used for this).
    const file = path.join(dir, 'disk.img');
    const tail = randomBytes(6 * MiB);
    const tailAt = 4 * 1024 * MiB + 1234;
    const handle = await open(file, 'w');
    try {
      await handle.write(tail, 0, tail.length, tailAt);
    } finally {
      await handle.close();
    }
    const length = tailAt + tail.length;
    const { share, torrent, pieceLength } = await shareWithPieceLength(hosts, file, path.join(dir, 'disk.torrent'));
    try {
      const lastPieces = Math.ceil(tail.length / pieceLength) + 1;
      const saveTo = await fetchPart(hosts, path.join(dir, 'tail recipient'), torrent.torrentFile, 'last-pieces', String(lastPieces));
      const from = (Math.ceil(length / pieceLength) - lastPieces) * pieceLength;
      const received = await bytesAt(path.join(saveTo, 'disk.img'), from, length - from);
      const original = await bytesAt(file, from, length - from);
      assert.equal(received.length, original.length, 'the wanted bytes are all there');
      assert.ok(received.equals(original), 'the wanted bytes are the original ones');
      assert.ok(received.subarray(-tail.length).equals(tail));
    } finally {
      await stopShare(share);
    }
  });
});

async function shareWithPieceLength(hosts: TwoHosts, file: string, torrentFile: string): Promise<Awaited<ReturnType<typeof shareFromSharer>> & { pieceLength: number }> {
  const shared = await shareFromSharer(hosts, file, torrentFile);
  const info = (bdecode(await readFile(torrentFile)).value as Bdict)['info'] as Bdict;
  return { ...shared, pieceLength: Number(info['piece length']) };
}
