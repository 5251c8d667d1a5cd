// Launch to "ready" on a 1 GiB file, cold and warm, against mktorrent hashing the same file in the same run.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import createTorrent from 'create-torrent';
import { pieceLengthFor } from '../src/hashing/torrent.ts';
import { median, writeRandomFile } from './files.ts';

const BIN = path.resolve(import.meta.dirname, '..', 'bin', 'share-file.js');
const SIZE = 1024 * 1024 * 1024;
const ROUNDS = 3;

function timeCommand(command: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`${command} exited ${code}`))));
  });
}

/** From spawning share-file to its `ready` event on stdout; then it is stopped. */
function timeToReady(file: string, cacheHome: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [BIN, file, '--json', '--firewall', 'none', '--port-map', 'none', '--ip', '127.0.0.1', '-H', '127.0.0.1', '-o', `${file}.${Date.now()}.torrent`], {
      env: { ...process.env, XDG_CACHE_HOME: cacheHome },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let output = '';
    let elapsed: number | undefined;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      if (elapsed === undefined && output.includes('"event":"ready"')) {
        elapsed = performance.now() - started;
        child.kill('SIGINT');
      }
    });
    child.on('exit', () => (elapsed === undefined ? reject(new Error('share-file exited before ready')) : resolve(elapsed)));
  });
}

function timeCreateTorrent(file: string, pieceLength: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    createTorrent(file, { pieceLength, private: true, announceList: [['http://127.0.0.1:1/announce']] }, (error) => (error ? reject(error) : resolve(performance.now() - started)));
  });
}

export async function benchStartup(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'share-file-bench-'));
  try {
    const file = path.join(dir, 'vm.img');
    await writeRandomFile(file, SIZE);
    const pieceLength = pieceLengthFor(SIZE);
    const cores = availableParallelism();
    // Read once so every contender starts from the page cache.
    await timeCommand('cat', [file]);

    const mktorrent: number[] = [];
    const cold: number[] = [];
    const warm: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      mktorrent.push(await timeCommand('mktorrent', ['-t', String(cores), '-l', String(Math.log2(pieceLength)), '-p', '-a', 'http://127.0.0.1:1/announce', '-o', path.join(dir, `m${round}.torrent`), file]));
      const cacheHome = path.join(dir, `cache-${round}`);
      cold.push(await timeToReady(file, cacheHome));
      warm.push(await timeToReady(file, cacheHome));
    }
    const reference = await timeCreateTorrent(file, pieceLength);

    const [m, c, w] = [median(mktorrent), median(cold), median(warm)];
    const gbps = (ms: number): string => `${(SIZE / 1e9 / (ms / 1000)).toFixed(2)} GB/s`;
    console.log(`launch to ready, 1 GiB file in the page cache, ${pieceLength / 1024} KiB pieces, ${cores} cores, median of ${ROUNDS}:`);
    console.log(`  mktorrent -t ${cores} (hash and write only)   ${m.toFixed(0).padStart(6)} ms  (${gbps(m)})`);
    console.log(`  share-file, cold cache                  ${c.toFixed(0).padStart(6)} ms  (${gbps(c)})`);
    console.log(`  share-file, warm cache                  ${w.toFixed(0).padStart(6)} ms`);
    console.log(`  create-torrent, main thread (reference) ${reference.toFixed(0).padStart(6)} ms  (${gbps(reference)})`);
    console.log(`ratios: cold / mktorrent = ${(c / m).toFixed(2)} (goal <= 1.00), warm / cold = ${(w / c).toFixed(2)} (goal <= 0.25), create-torrent / cold = ${(reference / c).toFixed(2)}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
