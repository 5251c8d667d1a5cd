// Four aria2c recipients start together on a 256 MiB file: how much the seeder uploads, share-file
// (its hand-out policy) against libtorrent 2.0 in seed mode, in turns, in one run.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { median, torrentOf, writeRandomFile } from './files.ts';
import { download, fillHashCache, followUploaded, startLibtorrentSeeder, startShareFile, stop } from './processes.ts';

const MiB = 1024 * 1024;
const SIZE = 256 * MiB;
const RECIPIENTS = 4;
const ROUNDS = 3;

interface SwarmTurn {
  /** Until the last recipient has the whole file. */
  wallMs: number;
  /** Payload the seeder sent, in file lengths. */
  ratio: number;
}

/** Every recipient at once; resolves when all have the file. */
async function swarm(dir: string, source: string): Promise<number> {
  const targets = await Promise.all(Array.from({ length: RECIPIENTS }, () => mkdtemp(path.join(dir, 'to-'))));
  const started = performance.now();
  await Promise.all(targets.map((target) => download(source, target)));
  const wallMs = performance.now() - started;
  await Promise.all(targets.map((target) => rm(target, { recursive: true, force: true })));
  return wallMs;
}

async function shareFileTurn(dir: string, file: string): Promise<SwarmTurn> {
  const { child, ready } = await startShareFile(dir, file);
  const uploaded = followUploaded(child);
  try {
    const wallMs = await swarm(dir, ready.torrentUrl);
    await stop(child);
    return { wallMs, ratio: uploaded() / SIZE };
  } finally {
    await stop(child);
  }
}

async function libtorrentTurn(dir: string, file: string, infoHash: string, torrentFor: (announce: string) => Buffer): Promise<SwarmTurn> {
  const { torrent, stopAll } = await startLibtorrentSeeder(dir, file, infoHash, torrentFor);
  let uploaded = Number.NaN;
  try {
    const wallMs = await swarm(dir, torrent);
    uploaded = await stopAll();
    return { wallMs, ratio: uploaded / SIZE };
  } finally {
    if (Number.isNaN(uploaded)) await stopAll();
  }
}

export async function benchSwarm(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'share-file-bench-'));
  try {
    await chmod(dir, 0o755);
    const file = path.join(dir, 'swarm.img');
    await writeRandomFile(file, SIZE);
    const { infoHash, pieceLength, torrentFor } = await torrentOf(file);
    await fillHashCache(dir, file);

    const libtorrent: SwarmTurn[] = [];
    const shareFile: SwarmTurn[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      libtorrent.push(await libtorrentTurn(dir, file, infoHash, torrentFor));
      shareFile.push(await shareFileTurn(dir, file));
    }
    const row = (name: string, turns: SwarmTurn[]): string =>
      `  ${name.padEnd(34)} uploaded ${median(turns.map((turn) => turn.ratio)).toFixed(2)} x the file (${turns.map((turn) => turn.ratio.toFixed(2)).join(', ')})   all done in ${(median(turns.map((turn) => turn.wallMs)) / 1000).toFixed(2)} s`;
    console.log(`${RECIPIENTS} aria2c recipients at once, a ${SIZE / MiB} MiB file over loopback, ${pieceLength / 1024} KiB pieces, median of ${ROUNDS} turns each:`);
    console.log(row('libtorrent 2.0 (seed mode) + opentracker', libtorrent));
    console.log(row('share-file', shareFile));
    const lt = median(libtorrent.map((turn) => turn.ratio));
    const sf = median(shareFile.map((turn) => turn.ratio));
    const wall = median(shareFile.map((turn) => turn.wallMs)) / median(libtorrent.map((turn) => turn.wallMs));
    console.log(`ratios share-file / libtorrent: uploaded ${(sf / lt).toFixed(2)}, time until all are done ${wall.toFixed(2)}; share-file's goal: uploaded <= 1.50 x the file`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
