// Clients that are one process per download and report on stdout (libtorrent and webtorrent scripts): `progress <bytes> <0|1>` lines.
import type { ClientSetup, Progress, RunningClient, TorrentSource } from './driver.ts';
import { spawnIn, stopProcess, type ClientProcess } from './process.ts';
import path from 'node:path';

const PROGRESS = /^progress (\d+) ([01])$/gm;

/** A running client whose process starts when the torrent is added, with `argsFor(torrent)`. */
export function lineClient(setup: ClientSetup, command: string, argsFor: (torrent: TorrentSource) => string[]): RunningClient {
  let child: ClientProcess | undefined;
  let resolveExited: (code: unknown) => void = () => {};
  const exited = new Promise((resolve) => (resolveExited = resolve));
  return {
    async add(torrent: TorrentSource): Promise<void> {
      child = spawnIn(setup.namespace, command, argsFor(torrent), { cwd: setup.workDir, log: path.join(setup.workDir, 'client.log') });
      void child.exited.then(resolveExited);
    },
    async progress(): Promise<Progress> {
      const last = [...(child?.output() ?? '').matchAll(PROGRESS)].at(-1);
      if (!last) throw new Error('no progress line yet');
      return { bytes: Number(last[1]), complete: last[2] === '1' };
    },
    output: () => child?.output() ?? '',
    exited,
    stop: async () => {
      if (child) await stopProcess(child, 'SIGTERM');
    },
  };
}
