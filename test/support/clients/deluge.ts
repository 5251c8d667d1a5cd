// Deluge 2.0 as a recipient: deluged with a core.conf and auth written here, driven with deluge-console.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ClientDriver, ClientSetup, Progress, RunningClient, TorrentSource } from './driver.ts';
import { pollUntil, readyOrStopped, runIn, spawnIn, stopProcess } from './process.ts';

const DAEMON_PORT = 58846;
const USER = 'localclient';
const PASSWORD = 'share-file-test';
/**
 * Deluge 2.0.3's logger overrides `findCaller(self, stack_info=False)`, but Python 3.8+ calls it
 * with a second argument: every record that passes the level check turns into a TypeError traceback
 * ("Unhandled error in Deferred") in the output instead. With `none`, no record gets that far.
 */
const LOG_LEVEL = 'none';
/** deluge-console starts a Python interpreter and Twisted per command: seconds on a busy machine. */
const CONSOLE_TIMEOUT_MS = 60_000;

/**
 * Deluge hands these to libtorrent (deluge/core/preferencesmanager.py): policies 0 = forced,
 * 1 = enabled (its default), 2 = disabled; level 0 = plaintext, 1 = RC4, 2 = either (its default).
 * Keys not written keep Deluge's defaults.
 */
function coreConfig(setup: ClientSetup): string {
  const config = {
    download_location: setup.downloadDir,
    // Nothing that finds peers on its own: they come from the tracker only.
    dht: false,
    lsd: false,
    upnp: false,
    natpmp: false,
    utpex: false,
    new_release_check: false,
    // Left at its default, random_port (one port): Deluge 2.0.3 joins a port range into libtorrent's
    // listen_interfaces without commas ("0.0.0.0:68810.0.0.0:6882…"), libtorrent 2.0 then listens
    // nowhere, and the torrent never announces.
    ...(setup.encryption === 'required' ? { enc_in_policy: 0, enc_out_policy: 0, enc_level: 1 } : {}),
  };
  // Deluge's config files are two JSON documents back to back: the format version, then the values.
  return `${JSON.stringify({ file: 1, format: 1 }, null, 4)}${JSON.stringify(config, null, 4)}`;
}

export const deluge: ClientDriver = {
  name: 'Deluge',
  encryptions: ['default', 'required'],
  async start(setup: ClientSetup): Promise<RunningClient> {
    const config = path.join(setup.workDir, 'config');
    await mkdir(config);
    await writeFile(path.join(config, 'core.conf'), coreConfig(setup));
    await writeFile(path.join(config, 'auth'), `${USER}:${PASSWORD}:10\n`, { mode: 0o600 });
    const daemon = spawnIn(setup.namespace, 'deluged', ['--do-not-daemonize', '--config', config, '--port', String(DAEMON_PORT), '--ui-interface', '127.0.0.1', '--loglevel', LOG_LEVEL], {
      env: { HOME: setup.workDir },
      log: path.join(setup.workDir, 'deluged.log'),
    });
    const delugeConsole = (command: string): Promise<string> =>
      runIn(setup.namespace, 'deluge-console', ['--config', config, '--loglevel', LOG_LEVEL, '--daemon', '127.0.0.1', '--port', String(DAEMON_PORT), '--username', USER, '--password', PASSWORD, command], CONSOLE_TIMEOUT_MS);
    await readyOrStopped(daemon, pollUntil(async () => ((await delugeConsole('config enc_in_policy enc_out_policy enc_level')).includes('enc_level') ? true : undefined), 60_000, daemon.output, 500));
    return {
      async add(torrent: TorrentSource): Promise<void> {
        // The console splits its command line like a shell (shlex), and these paths may hold spaces.
        const reply = await delugeConsole(`add --path ${JSON.stringify(setup.downloadDir)} ${JSON.stringify(torrent.torrentFile)}`);
        if (!reply.includes('Torrent added!')) throw new Error(`Deluge did not add the torrent: ${reply.slice(-500)}`);
      },
      async progress(torrent: TorrentSource): Promise<Progress> {
        const info = await delugeConsole(`info --detailed ${torrent.infoHash}`);
        const state = /State:\s*(\w+)/.exec(info)?.[1];
        const percent = /Progress:\s*([\d.]+)%/.exec(info)?.[1];
        if (state === undefined) throw new Error(`Deluge does not list the torrent (yet): ${info.slice(0, 300)}`);
        if (state === 'Error') throw new Error(`Deluge: ${info.slice(0, 500)}`);
        const complete = state === 'Seeding';
        // Deluge prints sizes rounded: the share of the length is as close as it tells.
        return { bytes: complete ? torrent.length : Math.floor((Number(percent ?? 0) / 100) * torrent.length), complete };
      },
      output: daemon.output,
      exited: daemon.exited,
      stop: () => stopProcess(daemon, 'SIGTERM'),
    };
  },
};
