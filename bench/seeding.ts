// Seeding a 1 GiB file to one aria2c over loopback: share-file against libtorrent 2.0 (Debian's
// python3-libtorrent, seed mode, behind Debian's opentracker), in turns, in one run. Then share-file
// alone on a 4 GiB sparse file, to show that its memory does not grow with the file.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import getPort from 'get-port';
import { hashPieces } from '../src/hash.ts';
import { inspectSource } from '../src/source.ts';
import { buildMetadata, encodeTorrentFile, pieceLengthFor } from '../src/torrent.ts';
import { median, writeRandomFile } from './files.ts';

const BIN = path.resolve(import.meta.dirname, '..', 'bin', 'share-file.js');
const LIBTORRENT_SEED = path.resolve(import.meta.dirname, '..', 'test', 'clients', 'libtorrent-seed.py');
const GiB = 1024 * 1024 * 1024;
const ROUNDS = 3;
/** Linux counts process CPU time in clock ticks of 1/100 s (USER_HZ) on every architecture. */
const TICKS_PER_SECOND = 100;

interface Turn {
  wallMs: number;
  /** The seeder's CPU time (user + system, every thread) while the recipient downloaded. */
  cpuMs: number;
  peakRssMiB?: number;
}

async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

async function peakRssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1]);
  return kib / 1024;
}

/** Resolves with the first stdout line that matches, rejects if the process exits first. */
function waitForLine(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (chunk: string): void => {
      buffered += chunk;
      const line = buffered.split('\n').find((candidate) => pattern.test(candidate));
      if (line) {
        child.stdout!.off('data', onData);
        resolve(line);
      }
    };
    child.stdout!.setEncoding('utf8').on('data', onData);
    child.once('exit', (code) => reject(new Error(`${child.spawnfile} exited (${code}) before printing ${pattern}`)));
  });
}

/** The recipient, the same for both seeders: times its whole run, from start to the file on disk. */
function download(source: string, target: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const args = ['--dir', target, '--seed-time=0', '--enable-dht=false', '--enable-dht6=false', '--bt-enable-lpd=false', '--enable-peer-exchange=false', '--bt-stop-timeout=60', '--console-log-level=warn', '--summary-interval=0', '--allow-overwrite=true', source];
    const child = spawn('aria2c', args, { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`aria2c exited ${code}`))));
  });
}

async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGINT'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}

async function libtorrentTurn(dir: string, file: string, infoHash: string, torrentFor: (announce: string) => Buffer): Promise<Turn> {
  // A fresh opentracker each turn, so it hands out no seeder of an earlier turn. Debian builds it
  // with a whitelist, and it drops to `nobody`, who must be able to read that.
  const port = await getPort({ host: '127.0.0.1' });
  const whitelist = path.join(dir, `whitelist-${port}`);
  await writeFile(whitelist, `${infoHash}\n`, { mode: 0o644 });
  const torrent = path.join(dir, `libtorrent-${port}.torrent`);
  await writeFile(torrent, torrentFor(`http://127.0.0.1:${port}/announce`));
  const tracker = spawn('opentracker', ['-i', '127.0.0.1', '-p', String(port), '-P', String(port), '-w', whitelist], { stdio: 'ignore' });
  const seeder = spawn('/usr/bin/python3', [LIBTORRENT_SEED, torrent, path.dirname(file)], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await waitForLine(seeder, /^listening /);
    const target = await mkdtemp(path.join(dir, 'to-'));
    const before = await cpuMs(seeder.pid!);
    const wallMs = await download(torrent, target);
    const cpu = (await cpuMs(seeder.pid!)) - before;
    await rm(target, { recursive: true, force: true });
    return { wallMs, cpuMs: cpu };
  } finally {
    await stop(seeder, 'SIGKILL');
    await stop(tracker, 'SIGKILL');
  }
}

/** Shares the file until `ready`, then stops: fills the hash cache, as an earlier share would have. */
async function fillHashCache(dir: string, file: string): Promise<void> {
  const child = spawn(process.execPath, [BIN, file, '--json', '--firewall', 'none', '--ip', '127.0.0.1', '-H', '127.0.0.1', '-o', path.join(dir, `fill-${Date.now()}.torrent`)], {
    env: { ...process.env, XDG_CACHE_HOME: path.join(dir, 'cache') },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  await waitForLine(child, /"event":"ready"/);
  await stop(child);
}

async function shareFileTurn(dir: string, file: string): Promise<Turn> {
  const child = spawn(process.execPath, [BIN, file, '--json', '--firewall', 'none', '--ip', '127.0.0.1', '-H', '127.0.0.1', '-o', path.join(dir, `share-${Date.now()}.torrent`)], {
    env: { ...process.env, XDG_CACHE_HOME: path.join(dir, 'cache') },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  try {
    const ready = JSON.parse(await waitForLine(child, /"event":"ready"/)) as { torrentUrl: string };
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
    const source = await inspectSource(file);
    const pieceLength = pieceLengthFor(source.length);
    const metadata = buildMetadata(source.name, source.length, pieceLength, await hashPieces({ files: source.files, pieceLength }));
    const torrentFor = (announce: string): Buffer => encodeTorrentFile(metadata, [announce], 'share-file bench');

    const libtorrent: Turn[] = [];
    const shareFile: Turn[] = [];
    // Seeding is measured, not hashing: share-file finds the pieces in its hash cache, as a re-share would.
    await fillHashCache(dir, file);
    for (let round = 0; round < ROUNDS; round++) {
      libtorrent.push(await libtorrentTurn(dir, file, metadata.infoHash, torrentFor));
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
