// The processes the benchmarks run and measure: share-file, libtorrent behind opentracker, aria2c.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import getPort from 'get-port';

const BIN = path.resolve(import.meta.dirname, '..', 'bin', 'share-file.js');
const LIBTORRENT_SEED = path.resolve(import.meta.dirname, '..', 'test', 'support', 'clients', 'libtorrent-seed.py');
/** Linux counts process CPU time in clock ticks of 1/100 s (USER_HZ) on every architecture. */
const TICKS_PER_SECOND = 100;

/** A process's CPU time so far (user + system, every thread). */
export async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

export async function peakRssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1]);
  return kib / 1024;
}

/** Resolves with the first stdout line that matches, rejects if the process exits first. */
export function waitForLine(child: ChildProcess, pattern: RegExp): Promise<string> {
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

/** The recipient, the same for every seeder: times its whole run, from start to the file on disk. */
/**
 * The `uploaded` total of the last `progress` event share-file (run with --json) printed: the final
 * one comes as it stops, with the totals.
 */
export function followUploaded(child: ChildProcess): () => number {
  let uploaded = Number.NaN;
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer | string) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      const event = JSON.parse(line) as { event: string; uploaded?: number };
      if (event.event === 'progress') uploaded = event.uploaded!;
    }
  });
  return () => uploaded;
}

export function download(source: string, target: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const args = ['--dir', target, '--seed-time=0', '--enable-dht=false', '--enable-dht6=false', '--bt-enable-lpd=false', '--enable-peer-exchange=false', '--bt-stop-timeout=60', '--console-log-level=warn', '--summary-interval=0', '--allow-overwrite=true', source];
    const child = spawn('aria2c', args, { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`aria2c exited ${code}`))));
  });
}

export async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGINT'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}

export interface LibtorrentSeeder {
  /** The .torrent that names this run's opentracker. */
  torrent: string;
  seeder: ChildProcess;
  /** Stops the seeder and tells what it uploaded (payload bytes), then stops the tracker. */
  stopAll(): Promise<number>;
}

/** libtorrent in seed mode behind a fresh opentracker, announced and ready for recipients. */
export async function startLibtorrentSeeder(dir: string, file: string, infoHash: string, torrentFor: (announce: string) => Buffer): Promise<LibtorrentSeeder> {
  // A fresh opentracker each time, so it hands out no seeder of an earlier turn. Debian builds it
  // with a whitelist, and it drops to `nobody`, who must be able to read that.
  const port = await getPort({ host: '127.0.0.1' });
  const whitelist = path.join(dir, `whitelist-${port}`);
  await writeFile(whitelist, `${infoHash}\n`, { mode: 0o644 });
  const torrent = path.join(dir, `libtorrent-${port}.torrent`);
  await writeFile(torrent, torrentFor(`http://127.0.0.1:${port}/announce`));
  const tracker = spawn('opentracker', ['-i', '127.0.0.1', '-p', String(port), '-P', String(port), '-w', whitelist], { stdio: 'ignore' });
  const seeder = spawn('/usr/bin/python3', [LIBTORRENT_SEED, torrent, path.dirname(file)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const stopAll = async (): Promise<number> => {
    const uploaded = seeder.exitCode === null ? waitForLine(seeder, /^uploaded /).catch(() => 'uploaded NaN') : Promise.resolve('uploaded NaN');
    await stop(seeder, 'SIGTERM');
    await stop(tracker, 'SIGKILL');
    return Number((await uploaded).split(' ')[1]);
  };
  try {
    await waitForLine(seeder, /^listening /);
  } catch (error) {
    await stopAll();
    throw error;
  }
  return { torrent, seeder, stopAll };
}

function shareFileArgs(dir: string, file: string, extra: string[] = []): string[] {
  return [BIN, file, '--json', '--firewall', 'none', '--port-map', 'none', '--ip', '127.0.0.1', '-H', '127.0.0.1', '-o', path.join(dir, `share-${Date.now()}.torrent`), ...extra];
}

/** share-file on the file, with the benchmark's own hash cache; resolves at `ready`. */
export async function startShareFile(dir: string, file: string, extra: string[] = []): Promise<{ child: ChildProcess; ready: { torrentUrl: string } }> {
  const child = spawn(process.execPath, shareFileArgs(dir, file, extra), {
    env: { ...process.env, XDG_CACHE_HOME: path.join(dir, 'cache') },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const ready = JSON.parse(await waitForLine(child, /"event":"ready"/)) as { torrentUrl: string };
  return { child, ready };
}

/** Shares the file until `ready`, then stops: fills the hash cache, as an earlier share would have. */
export async function fillHashCache(dir: string, file: string): Promise<void> {
  const { child } = await startShareFile(dir, file);
  await stop(child);
}
