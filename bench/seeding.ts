// Seeding a 1 GiB file to one aria2c over loopback: share-file against libtorrent 2.0 (Debian's
// python3-libtorrent, seed mode, behind Debian's opentracker), in turns, in one run. Then share-file
// alone on a 4 GiB sparse file, to show that its memory does not grow with the file.
import { chmod, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { median, torrentOf, writeRandomFile } from './files.ts';
import { cpuMs, download, fillHashCache, peakRssMiB, startLibtorrentSeeder, startShareFile, stop } from './processes.ts';

const GiB = 1024 * 1024 * 1024;
const ROUNDS = 3;

interface Turn {
  wallMs: number;
  /** The seeder's CPU time (user + system, every thread) while the recipient downloaded. */
  cpuMs: number;
  peakRssMiB?: number;
}

async function libtorrentTurn(dir: string, file: string, infoHash: string, torrentFor: (announce: string) => Buffer): Promise<Turn> {
  const { torrent, seeder, stopAll } = await startLibtorrentSeeder(dir, file, infoHash, torrentFor);
  try {
    const target = await mkdtemp(path.join(dir, 'to-'));
    const before = await cpuMs(seeder.pid!);
    const wallMs = await download(torrent, target);
    const cpu = (await cpuMs(seeder.pid!)) - before;
    await rm(target, { recursive: true, force: true });
    return { wallMs, cpuMs: cpu };
  } finally {
    await stopAll();
  }
}

async function shareFileTurn(dir: string, file: string): Promise<Turn> {
  const { child, ready } = await startShareFile(dir, file);
  try {
    const target = await mkdtemp(path.join(dir, 'to-'));
    const before = await cpuMs(child.pid!);
    const wallMs = await download(ready.torrentUrl, target);
    const cpu = (await cpuMs(child.pid!)) - before;
    const peak = await peakRssMiB(child.pid!);
    await rm(target, { recursive: true, force: true });
    return { wallMs, cpuMs: cpu, peakRssMiB: peak };
  } finally {
    await stop(child);
  }
}

export async function benchSeeding(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'share-file-bench-'));
  try {
    await chmod(dir, 0o755);
    const file = path.join(dir, 'vm.img');
    await writeRandomFile(file, GiB);
    // The same info dictionary for both seeders; only the tracker differs.
    const { infoHash, pieceLength, torrentFor } = await torrentOf(file);

    const libtorrent: Turn[] = [];
    const shareFile: Turn[] = [];
    // Seeding is measured, not hashing: share-file finds the pieces in its hash cache, as a re-share would.
    await fillHashCache(dir, file);
    for (let round = 0; round < ROUNDS; round++) {
      libtorrent.push(await libtorrentTurn(dir, file, infoHash, torrentFor));
      shareFile.push(await shareFileTurn(dir, file));
    }

    // Memory must not grow with the file: a 4 GiB sparse file (reads as zeros, costs no disk).
    const sparse = path.join(dir, 'sparse.img');
    await writeFile(sparse, '');
    await truncate(sparse, 4 * GiB);
    await fillHashCache(dir, sparse);
    const big = await shareFileTurn(dir, sparse);

    const row = (name: string, turns: Turn[]): string =>
      `  ${name.padEnd(34)} wall ${(median(turns.map((turn) => turn.wallMs)) / 1000).toFixed(2).padStart(6)} s   seeder CPU ${(median(turns.map((turn) => turn.cpuMs)) / 1000).toFixed(2).padStart(6)} s`;
    const lt = { wall: median(libtorrent.map((turn) => turn.wallMs)), cpu: median(libtorrent.map((turn) => turn.cpuMs)) };
    const sf = { wall: median(shareFile.map((turn) => turn.wallMs)), cpu: median(shareFile.map((turn) => turn.cpuMs)) };
    const peak = Math.max(...shareFile.map((turn) => turn.peakRssMiB ?? 0));
    console.log(`seeding a 1 GiB file over loopback to one aria2c, ${pieceLength / 1024} KiB pieces, median of ${ROUNDS} turns each:`);
    console.log(row('libtorrent 2.0 (seed mode) + opentracker', libtorrent));
    console.log(row('share-file', shareFile));
    console.log(`ratios share-file / libtorrent: wall ${(sf.wall / lt.wall).toFixed(2)} (goal <= 1.00), CPU ${(sf.cpu / lt.cpu).toFixed(2)} (goal <= 1.00)`);
    console.log(`share-file peak RSS: ${peak.toFixed(0)} MiB on 1 GiB, ${(big.peakRssMiB ?? 0).toFixed(0)} MiB on a 4 GiB sparse file (goal <= 160 MiB, flat with size); 4 GiB took ${(big.wallMs / 1000).toFixed(1)} s`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
