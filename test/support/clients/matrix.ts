// The client tests' shared bed: two namespaces, one share of one file, and a test per client for one encryption setting.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { randomFile, stopShare, tempDir, type RunningShare } from '../helpers.ts';
import type { TwoHosts } from '../netns.ts';
import { CLIENTS } from './all.ts';
import { clientSetup, downloadWith, type Encryption, type TorrentSource } from './driver.ts';
import { assertSameContent, clientHosts, shareFromSharer } from './sharing.ts';

/** Not a multiple of any piece or block size, so the last piece is short. */
const FILE_SIZE = 8 * 1024 * 1024 + 1234;
/** Generous for a busy machine: a working client takes seconds. */
const DOWNLOAD_TIMEOUT_MS = 60_000;

/** One test per client that has the `encryption` setting: it downloads the shared file, byte for byte. */
export function describeClientDownloads(encryption: Encryption): void {
  describe(`every client downloads a file from share-file (${encryption} encryption)`, { timeout: 900_000 }, () => {
    let hosts: TwoHosts;
    let dir: string;
    let file: string;
    let share: RunningShare;
    let torrent: TorrentSource;

    before(async () => {
      hosts = await clientHosts();
      dir = await tempDir('share-file-clients-');
      file = await randomFile(dir, 'disk image.img', FILE_SIZE);
      ({ share, torrent } = await shareFromSharer(hosts, file, path.join(dir, 'disk image.torrent')));
    });
    after(async () => {
      if (share) await stopShare(share);
      await hosts?.teardown();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    for (const driver of CLIENTS.filter((client) => client.encryptions.includes(encryption))) {
      it(`${driver.name} (${encryption} encryption)`, async (t) => {
        const setup = await clientSetup(dir, hosts.recipient, hosts.recipientIp, driver.name, encryption);
        const timing = await downloadWith(driver, setup, torrent, DOWNLOAD_TIMEOUT_MS);
        await assertSameContent(file, path.join(setup.downloadDir, path.basename(file)));
        // The delay a plaintext-only seeder costs shows in the first byte; printed, never asserted.
        t.diagnostic(`${driver.name}: first byte ${(timing.firstByteMs / 1000).toFixed(1)} s after start (${(timing.addToFirstByteMs / 1000).toFixed(1)} s after adding), done after ${(timing.totalMs / 1000).toFixed(1)} s`);
        await rm(setup.workDir, { recursive: true, force: true });
      });
    }
  });
}
