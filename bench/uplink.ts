// Several aria2c recipients behind a real bottleneck: the sharer's egress capped with tc in its own
// network namespace, the recipients in theirs, free to trade among themselves. share-file against
// libtorrent 2.0 in seed mode with the same file, in alternating turns, in one run.
// `npm run bench -- uplink` runs 4 recipients at 200 Mbit/s and at 1 Gbit/s; `-- uplink 8` runs
// 8 recipients at 200 Mbit/s.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createUplinkHosts } from '../test/support/uplink-hosts.ts';
import { median, torrentOf, writeRandomFile } from './files.ts';
import { fillHashCache } from './processes.ts';
import { startLibtorrentInside, startShareFileInside, swarmTurn, type UplinkTurn } from './uplink-turns.ts';

const MiB = 1024 * 1024;
const SIZE = 256 * MiB;
const ROUNDS = Number(process.env.UPLINK_ROUNDS ?? 3);

interface UplinkCase {
  rateMbit: number;
  recipients: number;
}

interface CaseResult {
  libtorrent: UplinkTurn[];
  shareFile: UplinkTurn[];
}

async function runCase(dir: string, file: string, torrent: Awaited<ReturnType<typeof torrentOf>>, uplinkCase: UplinkCase): Promise<CaseResult> {
  const hosts = await createUplinkHosts(uplinkCase);
  const result: CaseResult = { libtorrent: [], shareFile: [] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which seeder goes first, so neither always meets a machine just warmed (or loaded) by the other.
      const order = round % 2 === 0 ? ['libtorrent', 'shareFile'] as const : ['shareFile', 'libtorrent'] as const;
      for (const seeder of order) {
        const running = seeder === 'libtorrent'
          ? await startLibtorrentInside(hosts, dir, file, torrent.infoHash, torrent.torrentFor)
          : await startShareFileInside(hosts, dir, file);
        const turn = await swarmTurn(hosts, dir, running);
        result[seeder].push(turn);
        console.log(`    ${seeder.padEnd(10)} round ${round + 1}: ${describeTurn(turn)}`);
      }
    }
  } finally {
    await hosts.teardown();
  }
  return result;
}

function describeTurn(turn: UplinkTurn): string {
  return `all done ${(turn.wallMs / 1000).toFixed(2)} s, sent ${(turn.txBytes / SIZE).toFixed(2)} x the file on the wire (payload ${(turn.payloadBytes / SIZE).toFixed(2)}), CPU ${(turn.cpuMs / 1000).toFixed(1)} s, link under half rate ${(turn.underusedMs / 1000).toFixed(1)} s, each done at ${turn.doneMs.map((ms) => (ms / 1000).toFixed(1)).join(' ')} s` +
    (process.env.UPLINK_TIMELINE ? `\n      Mbit/s each second: ${turn.timeline.join(' ')}` : '');
}

function report(uplinkCase: UplinkCase, { libtorrent, shareFile }: CaseResult): void {
  const floorS = (SIZE * 8) / (uplinkCase.rateMbit * 1e6);
  const med = (turns: UplinkTurn[], pick: (turn: UplinkTurn) => number): number => median(turns.map(pick));
  const row = (name: string, turns: UplinkTurn[]): string =>
    `  ${name.padEnd(30)} all done ${(med(turns, (t) => t.wallMs) / 1000).toFixed(2)} s (${turns.map((t) => (t.wallMs / 1000).toFixed(1)).join(', ')}), ` +
    `sent ${(med(turns, (t) => t.txBytes) / SIZE).toFixed(2)} x the file (${turns.map((t) => (t.txBytes / SIZE).toFixed(2)).join(', ')}), ` +
    `CPU ${(med(turns, (t) => t.cpuMs) / 1000).toFixed(1)} s, link under half rate ${(med(turns, (t) => t.underusedMs) / 1000).toFixed(1)} s`;
  console.log(`${uplinkCase.recipients} aria2c recipients, ${SIZE / MiB} MiB, sharer's uplink ${uplinkCase.rateMbit} Mbit/s (floor ${floorS.toFixed(1)} s), median of ${ROUNDS} turns each:`);
  console.log(row('libtorrent 2.0 (seed mode)', libtorrent));
  console.log(row('share-file', shareFile));
  const ratio = med(shareFile, (t) => t.wallMs) / med(libtorrent, (t) => t.wallMs);
  console.log(`  share-file / libtorrent, all done: ${ratio.toFixed(2)}; goal: <= 1.00, and share-file sending <= 1.25 x the file`);
}

/** No words: 4 recipients at 200 Mbit/s and at 1 Gbit/s. `8`: 8 recipients at 200 Mbit/s. `4 1000`: that one case. */
function casesFrom(args: string[]): UplinkCase[] {
  if (args.length === 0) return [{ rateMbit: 200, recipients: 4 }, { rateMbit: 1000, recipients: 4 }];
  const recipients = Number(args[0]);
  const rateMbit = Number(args[1] ?? 200);
  if (!Number.isInteger(recipients) || recipients < 2 || recipients > 40) throw new Error(`\`${args[0]}\` recipients: give a whole number from 2 to 40`);
  if (!Number.isInteger(rateMbit) || rateMbit < 1 || rateMbit > 10_000) throw new Error(`\`${args[1]}\` Mbit/s: give a whole number from 1 to 10000`);
  return [{ rateMbit, recipients }];
}

export async function benchUplink(args: string[] = []): Promise<void> {
  const cases = casesFrom(args);
  const dir = await mkdtemp(path.join(tmpdir(), 'share-file-bench-'));
  try {
    await chmod(dir, 0o755);
    const file = path.join(dir, 'uplink.img');
    await writeRandomFile(file, SIZE);
    const torrent = await torrentOf(file);
    await fillHashCache(dir, file);
    for (const uplinkCase of cases) report(uplinkCase, await runCase(dir, file, torrent, uplinkCase));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
