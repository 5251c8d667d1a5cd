// webtorrent (the npm package, a devDependency) as a recipient: its default options (encryption on) or RC4 required, uTP off.
import path from 'node:path';
import type { ClientDriver, ClientSetup, RunningClient } from './driver.ts';
import { lineClient } from './line-client.ts';

const SCRIPT = path.join(import.meta.dirname, 'webtorrent-fetch.ts');

export const webtorrent: ClientDriver = {
  name: 'webtorrent',
  encryptions: ['default', 'required'],
  async start(setup: ClientSetup): Promise<RunningClient> {
    return lineClient(setup, process.execPath, (torrent) => [SCRIPT, torrent.torrentFile, setup.downloadDir, setup.encryption]);
  },
};
