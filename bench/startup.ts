// Launch to `ready`: share-file with a cold and a warm hash cache, against mktorrent and bare Node
// workers hashing the same file, in alternating turns, at 1 GiB and 4 GiB, then once more at 1 GiB
// with the page cache dropped before every turn. Prints every run, medians, ratios and timelines.
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { pieceLengthFor } from '../src/hashing/torrent.ts';
import { dropPageCache, fillPageCache, runBareWorkers, runMktorrent, type Run } from './contenders.ts';
import { median, writeRandomFile } from './files.ts';
import { formatTimeline, launchToReady, medianTimeline, type Launch } from './launch.ts';

const GiB = 1024 * 1024 * 1024;
const ROUNDS = Number(process.env.STARTUP_ROUNDS ?? 3);
const SIZES = (process.env.STARTUP_SIZES ?? '1,4').split(',').map((size) => Number(size) * GiB);

interface Results {
  mktorrent: Run[];
  bare: Run[];
  cold: Launch[];
  warm: Launch[];
}

/** From the job handed out (hash cache missed) to every piece hashed, on share-file's main thread. */
function hashingMs(launch: Launch): number {
  const at = (name: string): number => launch.marks.find((mark) => mark.name === name && mark.thread === 'main')?.at ?? Number.NaN;
  // Builds from before the shared-counter hashing mark only `hashing-done`, a few ms later.
  const end = at('all-pieces-hashed');
  return (Number.isNaN(end) ? at('hashing-done') : end) - at('hash-cache-miss');
}

async function round(dir: string, file: string, size: number, index: number, results: Results, dropped: boolean): Promise<void> {
  const pieceLength = pieceLengthFor(size);
  const cacheHome = path.join(dir, `cache-${index}`);
  const torrent = (name: string): string => path.join(dir, `${name}-${index}-${Date.now()}.torrent`);
  // A turn of each, in an order that moves by one every round, so no contender always follows the same one.
  const turns: Array<() => Promise<void>> = [
    async () => void results.mktorrent.push(await runMktorrent(file, pieceLength, torrent('mktorrent'))),
    async () => void results.bare.push(await runBareWorkers(file, pieceLength, size)),
    async () => {
      results.cold.push(await launchToReady(file, cacheHome, torrent('cold')));
      // Warm right after cold: the hash cache the cold run wrote. With the page cache dropped, warm
      // shows what a second share costs when the file itself is no longer cached.
      if (dropped) await dropPageCache();
      else await fillPageCache(file);
      results.warm.push(await launchToReady(file, cacheHome, torrent('warm')));
    },
  ];
  for (let turn = 0; turn < turns.length; turn++) {
    if (dropped) await dropPageCache();
    else await fillPageCache(file);
    await turns[(turn + index) % turns.length]!();
  }
}

function row(label: string, walls: number[], cpus: number[], reference: number, floor: number): string {
  const wall = median(walls);
  return `  ${label.padEnd(34)} ${wall.toFixed(0).padStart(6)} ms  cpu ${median(cpus).toFixed(0).padStart(5)} ms  x${(wall / reference).toFixed(2)} mktorrent  x${(wall / floor).toFixed(2)} bare   runs: ${walls.map((value) => value.toFixed(0)).join(' ')}`;
}

function report(title: string, results: Results): void {
  const m = median(results.mktorrent.map((run) => run.wallMs));
  const bare = median(results.bare.map((run) => run.wallMs));
  const bareHash = median(results.bare.map((run) => run.hashMs!));
  const coldReady = median(results.cold.map((launch) => launch.readyMs));
  const warmReady = median(results.warm.map((launch) => launch.readyMs));
  const coldHash = median(results.cold.map(hashingMs));
  console.log(`\n${title} (median of ${results.mktorrent.length}; cpu = every thread; x = ratio of medians)`);
  console.log(row(`mktorrent -t ${availableParallelism()}, launch to exit`, results.mktorrent.map((run) => run.wallMs), results.mktorrent.map((run) => run.cpuMs), m, bare));
  console.log(row('bare workers, launch to exit', results.bare.map((run) => run.wallMs), results.bare.map((run) => run.cpuMs), m, bare));
  console.log(row('share-file cold, launch to ready', results.cold.map((launch) => launch.readyMs), results.cold.map((launch) => launch.cpuMs), m, bare));
  console.log(row('share-file warm, launch to ready', results.warm.map((launch) => launch.readyMs), results.warm.map((launch) => launch.cpuMs), m, bare));
  console.log(`  hashing phase: bare workers ${bareHash.toFixed(0)} ms (first spawn to last piece), share-file ${coldHash.toFixed(0)} ms (job handed out to last piece)`);
  console.log(`  goals: hashing x${(coldHash / bareHash).toFixed(2)} bare (<= 1.10); cold x${(coldReady / m).toFixed(2)} mktorrent (<= 1.30 at 1 GiB, 1.10 at 4 GiB, 1.10 disk-bound); warm/cold ${(warmReady / coldReady).toFixed(2)} (<= 0.25)`);
}

function printTimelines(title: string, results: Results): void {
  console.log(`\n${title}, share-file cold, median timeline (wall ms after spawn; cpu ms of that thread):`);
  console.log(formatTimeline(medianTimeline(results.cold)));
  console.log(`${title}, share-file warm:`);
  console.log(formatTimeline(medianTimeline(results.warm)));
}

async function measure(dir: string, size: number, dropped: boolean): Promise<Results> {
  const file = path.join(dir, `share-${size / GiB}g.img`);
  const results: Results = { mktorrent: [], bare: [], cold: [], warm: [] };
  for (let index = 0; index < ROUNDS; index++) await round(dir, file, size, index + (dropped ? 100 : 0), results, dropped);
  return results;
}

export async function benchStartup(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'share-file-bench-'));
  try {
    console.log(`start-up: ${availableParallelism()} cores, load average ${loadavg().map((load) => load.toFixed(1)).join(' ')} at the start; ${ROUNDS} rounds`);
    const timelines: Array<[string, Results]> = [];
    for (const size of SIZES) {
      const file = path.join(dir, `share-${size / GiB}g.img`);
      await writeRandomFile(file, size);
      const title = `${size / GiB} GiB in the page cache, ${pieceLengthFor(size) / 1024} KiB pieces`;
      const results = await measure(dir, size, false);
      report(title, results);
      timelines.push([title, results]);
    }
    const first = SIZES[0]!;
    if (await dropPageCache()) {
      const title = `${first / GiB} GiB, page cache dropped before every turn (disk-bound)`;
      const results = await measure(dir, first, true);
      report(title, results);
      timelines.push([title, results]);
    } else {
      console.log('\n(page cache not dropped: that needs root)');
    }
    for (const [title, results] of timelines) printTimelines(title, results);
    console.log(`\nload average at the end: ${loadavg().map((load) => load.toFixed(1)).join(' ')}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
