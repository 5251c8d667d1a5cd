// Transmission 3.00 as a recipient: transmission-daemon with a settings.json written here, torrents added with transmission-remote.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ClientDriver, ClientSetup, Progress, RunningClient, TorrentSource } from './driver.ts';
import { httpIn, pollUntil, readyOrStopped, runIn, spawnIn, stopProcess } from './process.ts';

const RPC_PORT = 9091;

/** Transmission's `encryption`: 0 = prefer plaintext, 1 = prefer encryption (its default), 2 = require encryption. */
function settings(setup: ClientSetup): Record<string, unknown> {
  return {
    'download-dir': setup.downloadDir,
    'incomplete-dir-enabled': false,
    encryption: setup.encryption === 'required' ? 2 : 1,
    // Nothing that finds peers on its own: they come from the tracker only.
    'dht-enabled': false,
    'lpd-enabled': false,
    'pex-enabled': false,
    'port-forwarding-enabled': false,
    'blocklist-enabled': false,
    // uTP stays on, Transmission's default. Its uTP attempt at share-file (which has no uTP) fails,
    // and Transmission 3.00 then drops its own TCP retry: share-file dials it instead (see
    // src/seeding/dial-back.ts), so it downloads over a connection share-file opened. A seeder
    // that has neither uTP nor dials (the benchmark's libtorrent) is never reached with uTP on.
    'utp-enabled': !setup.tcpOnly,
    'rpc-enabled': true,
    'rpc-bind-address': '127.0.0.1',
    'rpc-port': RPC_PORT,
    'rpc-authentication-required': false,
    'rpc-whitelist-enabled': false,
    'rpc-host-whitelist-enabled': false,
    'message-level': 2,
  };
}

interface TorrentFields {
  haveValid: number;
  haveUnchecked: number;
  leftUntilDone: number;
  percentDone: number;
  error: number;
  errorString: string;
}

export const transmission: ClientDriver = {
  name: 'Transmission',
  encryptions: ['default', 'required'],
  async start(setup: ClientSetup): Promise<RunningClient> {
    const config = path.join(setup.workDir, 'config');
    await mkdir(config);
    await writeFile(path.join(config, 'settings.json'), JSON.stringify(settings(setup), null, 2));
    const daemon = spawnIn(setup.namespace, 'transmission-daemon', ['--foreground', '--config-dir', config], {
      env: { HOME: setup.workDir },
      log: path.join(setup.workDir, 'transmission.log'),
    });
    const url = `http://127.0.0.1:${RPC_PORT}/transmission/rpc`;
    // The RPC answers 409 with the session id every later request must carry (CSRF protection).
    const sessionId = await readyOrStopped(daemon, pollUntil(async () => {
      const headers = await runIn(setup.namespace, 'curl', ['--silent', '--max-time', '5', '--output', '/dev/null', '--dump-header', '-', url]);
      return /^X-Transmission-Session-Id: (\S+)/im.exec(headers)?.[1];
    }, 15_000, daemon.output));
    const rpc = async (method: string, args: Record<string, unknown>): Promise<Record<string, unknown>> => {
      const body = JSON.stringify({ method, arguments: args });
      const reply = JSON.parse(await httpIn(setup.namespace, url, ['--header', `X-Transmission-Session-Id: ${sessionId}`, '--data-binary', body])) as { result: string; arguments: Record<string, unknown> };
      if (reply.result !== 'success') throw new Error(`transmission ${method}: ${reply.result}`);
      return reply.arguments;
    };
    return {
      async add(torrent: TorrentSource): Promise<void> {
        await runIn(setup.namespace, 'transmission-remote', [`127.0.0.1:${RPC_PORT}`, '--add', torrent.torrentFile, '--download-dir', setup.downloadDir]);
      },
      async progress(torrent: TorrentSource): Promise<Progress> {
        const fields = ['haveValid', 'haveUnchecked', 'leftUntilDone', 'percentDone', 'error', 'errorString'];
        const { torrents } = (await rpc('torrent-get', { ids: [torrent.infoHash], fields })) as { torrents: TorrentFields[] };
        const [info] = torrents;
        if (!info) throw new Error('Transmission does not list the torrent (yet)');
        if (info.error !== 0) throw new Error(`Transmission: ${info.errorString}`);
        return { bytes: info.haveValid + info.haveUnchecked, complete: info.leftUntilDone === 0 && info.percentDone === 1 };
      },
      output: daemon.output,
      exited: daemon.exited,
      stop: () => stopProcess(daemon, 'SIGTERM'),
    };
  },
};
