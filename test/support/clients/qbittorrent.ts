// qBittorrent (qbittorrent-nox 4.5) as a recipient: a profile written here, its Web API on loopback inside the recipient's namespace.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ClientDriver, ClientSetup, Progress, RunningClient, TorrentSource } from './driver.ts';
import { httpIn, pollUntil, readyOrStopped, spawnIn, stopProcess } from './process.ts';

const WEB_PORT = 8080;

/**
 * qBittorrent 4.5 keeps its session settings under `BitTorrent/Session/…` (src/base/bittorrent/sessionimpl.cpp):
 * `Encryption` is 0 = prefer encryption (the default), 1 = require it, 2 = disable it. The Web API
 * reports the same value as `encryption` in /api/v2/app/preferences, which the driver checks.
 */
function profileConfig(setup: ClientSetup): string {
  return [
    '[LegalNotice]',
    'Accepted=true',
    '',
    '[BitTorrent]',
    // Nothing that finds peers on its own: they come from the tracker only.
    'Session\\DHTEnabled=false',
    'Session\\LSDEnabled=false',
    'Session\\PeXEnabled=false',
    `Session\\DefaultSavePath=${setup.downloadDir}`,
    `Session\\TempPath=${path.join(setup.workDir, 'incomplete')}`,
    ...(setup.encryption === 'required' ? ['Session\\Encryption=1'] : []),
    '',
    '[Preferences]',
    'Connection\\UPnP=false',
    'General\\Locale=en',
    'WebUI\\Address=127.0.0.1',
    `WebUI\\Port=${WEB_PORT}`,
    // Requests from loopback need no login; nothing outside the namespace can reach it anyway.
    'WebUI\\LocalHostAuth=false',
    'WebUI\\CSRFProtection=false',
    'WebUI\\HostHeaderValidation=false',
    '',
  ].join('\n');
}

interface TorrentInfo {
  hash: string;
  completed: number;
  progress: number;
  state: string;
}

export const qbittorrent: ClientDriver = {
  name: 'qBittorrent',
  encryptions: ['default', 'required'],
  async start(setup: ClientSetup): Promise<RunningClient> {
    const profile = path.join(setup.workDir, 'profile');
    await mkdir(path.join(profile, 'qBittorrent', 'config'), { recursive: true });
    await writeFile(path.join(profile, 'qBittorrent', 'config', 'qBittorrent.conf'), profileConfig(setup));
    const daemon = spawnIn(setup.namespace, 'qbittorrent-nox', [`--profile=${profile}`, `--webui-port=${WEB_PORT}`], {
      env: { HOME: setup.workDir, XDG_RUNTIME_DIR: setup.workDir },
      log: path.join(setup.workDir, 'qbittorrent.log'),
    });
    const api = (endpoint: string, curlArgs: string[] = []): Promise<string> => httpIn(setup.namespace, `http://127.0.0.1:${WEB_PORT}/api/v2/${endpoint}`, curlArgs);
    const wanted = setup.encryption === 'required' ? 1 : 0;
    await readyOrStopped(daemon, (async () => {
      const preferences = await pollUntil(async () => JSON.parse(await api('app/preferences')) as { encryption: number }, 30_000, daemon.output);
      if (preferences.encryption !== wanted) throw new Error(`qBittorrent read encryption ${preferences.encryption} from its profile, not ${wanted}`);
    })());
    return {
      async add(torrent: TorrentSource): Promise<void> {
        await api('torrents/add', ['--form', `torrents=@${torrent.torrentFile}`, '--form', `savepath=${setup.downloadDir}`]);
      },
      async progress(torrent: TorrentSource): Promise<Progress> {
        const [info] = JSON.parse(await api(`torrents/info?hashes=${torrent.infoHash}`)) as TorrentInfo[];
        if (!info) throw new Error('qBittorrent does not list the torrent (yet)');
        if (info.state === 'error' || info.state === 'missingFiles') throw new Error(`qBittorrent state ${info.state}`);
        return { bytes: info.completed, complete: info.progress === 1 };
      },
      output: daemon.output,
      exited: daemon.exited,
      stop: () => stopProcess(daemon, 'SIGTERM'),
    };
  },
};
