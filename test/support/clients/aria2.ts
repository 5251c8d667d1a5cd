// aria2c as a recipient: a JSON-RPC daemon on loopback inside the recipient's namespace; the .torrent is sent over RPC.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ClientDriver, ClientSetup, Progress, RunningClient, TorrentSource } from './driver.ts';
import { httpIn, pollUntil, readyOrStopped, spawnIn, stopProcess } from './process.ts';

const RPC_PORT = 6800;

interface Aria2Status {
  completedLength: string;
  totalLength: string;
  status: string;
  errorMessage?: string;
}

export const aria2: ClientDriver = {
  name: 'aria2c',
  encryptions: ['default', 'required'],
  async start(setup: ClientSetup): Promise<RunningClient> {
    const args = [
      '--enable-rpc', `--rpc-listen-port=${RPC_PORT}`, '--rpc-listen-all=false',
      '--dir', setup.downloadDir,
      // Stay a leech: done means done, and the status stays `complete` for the last poll.
      '--seed-time=0',
      // Nothing that finds peers on its own: they come from the tracker only.
      '--enable-dht=false', '--enable-dht6=false', '--bt-enable-lpd=false', '--enable-peer-exchange=false',
      '--console-log-level=warn', '--summary-interval=0', '--allow-overwrite=true', '--auto-file-renaming=false',
      `--log=${path.join(setup.workDir, 'aria2.log')}`, '--log-level=info',
      ...(setup.encryption === 'required' ? ['--bt-require-crypto=true', '--bt-min-crypto-level=arc4'] : []),
    ];
    const daemon = spawnIn(setup.namespace, 'aria2c', args, { log: path.join(setup.workDir, 'stdout.log') });
    const call = async <T>(method: string, params: unknown[]): Promise<T> => {
      const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method, params });
      const reply = JSON.parse(await httpIn(setup.namespace, `http://127.0.0.1:${RPC_PORT}/jsonrpc`, ['--data-binary', body])) as { result?: T; error?: { message: string } };
      if (reply.error) throw new Error(`aria2 ${method}: ${reply.error.message}`);
      return reply.result as T;
    };
    await readyOrStopped(daemon, pollUntil(() => call<unknown>('aria2.getVersion', []), 15_000, daemon.output));
    let gid = '';
    return {
      async add(torrent: TorrentSource): Promise<void> {
        gid = await call<string>('aria2.addTorrent', [(await readFile(torrent.torrentFile)).toString('base64')]);
      },
      async progress(): Promise<Progress> {
        const status = await call<Aria2Status>('aria2.tellStatus', [gid, ['completedLength', 'totalLength', 'status', 'errorMessage']]);
        if (status.status === 'error') throw new Error(`aria2 gave up: ${status.errorMessage}`);
        return { bytes: Number(status.completedLength), complete: status.status === 'complete' };
      },
      output: daemon.output,
      exited: daemon.exited,
      stop: () => stopProcess(daemon, 'SIGTERM'),
    };
  },
};
