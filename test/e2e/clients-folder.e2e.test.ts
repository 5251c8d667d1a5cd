// A folder (nested, with an empty file) reaches a real client byte for byte; and completions are counted once per recipient.
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { randomFile, stopShare, tempDir } from '../support/helpers.ts';
import type { TwoHosts } from '../support/netns.ts';
import { clientSetup, downloadWith } from '../support/clients/driver.ts';
import { libtorrent } from '../support/clients/libtorrent.ts';
import { addRecipientAddress, assertSameContent, clientHosts, shareFromSharer } from '../support/clients/sharing.ts';

const DOWNLOAD_TIMEOUT_MS = 60_000;

describe('a folder and two recipients, across two namespaces', { timeout: 300_000 }, () => {
  let hosts: TwoHosts;
  let dir: string;

  before(async () => {
    hosts = await clientHosts();
    dir = await tempDir('share-file-clients-');
  });
  after(async () => {
    await hosts?.teardown();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('libtorrent downloads a folder: nested files, odd sizes, an empty file', async () => {
    const folder = path.join(dir, 'holiday photos');
    await mkdir(path.join(folder, 'day 2', 'raw'), { recursive: true });
    await randomFile(folder, 'beach.jpg', 3 * 1024 * 1024 + 5);
    await randomFile(path.join(folder, 'day 2'), 'sunset.jpg', 1024 * 1024 + 100);
    await randomFile(path.join(folder, 'day 2', 'raw'), 'IMG_0001.CR2', 10_007);
    await writeFile(path.join(folder, 'notes.txt'), '');
    const { share, torrent } = await shareFromSharer(hosts, folder, path.join(dir, 'holiday photos.torrent'));
    try {
      const setup = await clientSetup(dir, hosts.recipient, hosts.recipientIp, libtorrent.name, 'default');
      await downloadWith(libtorrent, setup, torrent, DOWNLOAD_TIMEOUT_MS);
      await assertSameContent(folder, path.join(setup.downloadDir, 'holiday photos'));
    } finally {
      await stopShare(share);
    }
  });

  it('--exit-after 2 keeps seeding after one libtorrent recipient, and stops after a second one', async () => {
    const file = await randomFile(dir, 'release.iso', 4 * 1024 * 1024 + 3);
    const { share, torrent } = await shareFromSharer(hosts, file, path.join(dir, 'release.torrent'), ['--exit-after', '2']);
    try {
      const first = await clientSetup(dir, hosts.recipient, hosts.recipientIp, libtorrent.name, 'default');
      // Done, then stopped: the client has announced `completed` and `stopped` by now.
      await downloadWith(libtorrent, first, torrent, DOWNLOAD_TIMEOUT_MS);
      await assertSameContent(file, path.join(first.downloadDir, 'release.iso'));
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const completions = share.events.filter((event) => event.event === 'completed');
      assert.equal(share.child.exitCode, null, `share-file stopped after one recipient: ${JSON.stringify(share.events.filter((event) => event.event !== 'progress'))}`);
      assert.equal(completions.at(-1)?.completedPeers, 1, JSON.stringify(completions));

      const second = await clientSetup(dir, hosts.recipient, await addRecipientAddress(hosts), libtorrent.name, 'default');
      await downloadWith(libtorrent, second, torrent, DOWNLOAD_TIMEOUT_MS);
      await assertSameContent(file, path.join(second.downloadDir, 'release.iso'));
      const stopped = await share.waitForEvent('stopped', 30_000);
      assert.equal(stopped.reason, 'exit-after');
      assert.equal((await share.exited).code, 0);
    } finally {
      await stopShare(share);
    }
  });
});
