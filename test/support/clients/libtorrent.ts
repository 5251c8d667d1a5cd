// libtorrent 2.0 (Debian's python3-libtorrent) as a recipient: default settings, or encryption forced both ways with RC4 only.
import path from 'node:path';
import type { ClientDriver, ClientSetup, RunningClient } from './driver.ts';
import { lineClient } from './line-client.ts';

const SCRIPT = path.join(import.meta.dirname, 'libtorrent-recipient.py');

export const libtorrent: ClientDriver = {
  name: 'libtorrent',
  encryptions: ['default', 'required'],
  async start(setup: ClientSetup): Promise<RunningClient> {
    return lineClient(setup, '/usr/bin/python3', (torrent) => [SCRIPT, torrent.torrentFile, setup.downloadDir, setup.encryption, setup.ip]);
  },
};
