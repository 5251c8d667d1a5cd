// Each BitTorrent client downloads one 300 MiB file from share-file and from libtorrent 2.0 (seed mode, behind
// opentracker), across two network namespaces, in alternating turns in one run. `npm run bench -- clients
// transmission` runs one client (names as in the table, any case).
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLIENTS } from '../test/support/clients/all.ts';
import { clientSetup, downloadWith, type ClientDriver, type DownloadTiming, type TorrentSource } from '../test/support/clients/driver.ts';
import { assertSameContent, clientHosts, shareFromSharer } from '../test/support/clients/sharing.ts';
import { stopShare } from '../test/support/helpers.ts';
import type { TwoHosts } from '../test/support/netns.ts';
import { median, torrentOf, writeRandomFile } from './files.ts';
import { stop, waitForLine } from './processes.ts';

const MiB = 1024 * 1024;
const SIZE = 300 * MiB;
const ROUNDS = 3;
const DOWNLOAD_TIMEOUT_MS = 300_000;
const LIBTORRENT_SEED = path.resolve(import.meta.dirname, '..', 'test', 'support', 'clients', 'libtorrent-seed.py');
const TRACKER_PORT = 6969;

interface Seeder {
  torrent: TorrentSource;
  stop(): Promise<void>;
}

/** libtorrent in seed mode on the sharer's veth address, behind a fresh opentracker there. */
async function startLibtorrent(hosts: TwoHosts, dir: string, file: string, infoHash: string, torrentFor: (announce: string) => Buffer): Promise<Seeder> {
  const whitelist = path.join(dir, 'whitelist');
  await writeFile(whitelist, `${infoHash}\n`, { mode: 0o644 });
  const torrentFile = path.join(dir, 'libtorrent.torrent');
  await writeFile(torrentFile, torrentFor(`http://${hosts.sharerIp}:${TRACKER_PORT}/announce`));
  const inSharer = (command: string, args: string[], stdout: 'pipe' | 'ignore'): ChildProcess =>
    spawn('ip', ['netns', 'exec', hosts.sharer, command, ...args], { stdio: ['ignore', stdout, 'inherit'] });
  // Debian builds opentracker with a whitelist; it drops to `nobody`, who must be able to read it.
  const tracker = inSharer('opentracker', ['-i', hosts.sharerIp, '-p', String(TRACKER_PORT), '-P', String(TRACKER_PORT), '-w', whitelist], 'ignore');
  const seeder = inSharer('/usr/bin/python3', [LIBTORRENT_SEED, torrentFile, path.dirname(file), hosts.sharerIp], 'pipe');
  const stopBoth = async (): Promise<void> => {
    await stop(seeder, 'SIGTERM');
    await stop(tracker, 'SIGKILL');
  };
  try {
    await waitForLine(seeder, /^listening /);
  } catch (error) {
    await stopBoth();
    throw error;
  }
  return { torrent: { torrentFile, torrentUrl: '', magnet: '', infoHash, length: SIZE }, stop: stopBoth };
}

async function startShareFile(hosts: TwoHosts, dir: string, file: string): Promise<Seeder> {
  const { share, torrent } = await shareFromSharer(hosts, file, path.join(dir, 'share-file.torrent'));
  return { torrent, stop: async () => void (await stopShare(share)) };
}

/** One download by `driver` from a fresh seeder; checks the bytes, cleans up, returns the timing. */
async function turn(driver: ClientDriver, hosts: TwoHosts, dir: string, file: string, startSeeder: () => Promise<Seeder>): Promise<DownloadTiming> {
  const seeder = await startSeeder();
  // TCP on both sides: the libtorrent seeder here has no uTP (and Transmission 3.00 with uTP on
  // never reaches a seeder without it that does not dial; share-file does, see the client tests).
  const setup = { ...(await clientSetup(dir, hosts.recipient, hosts.recipientIp, driver.name, 'default')), tcpOnly: true };
  try {
    const timing = await downloadWith(driver, setup, seeder.torrent, DOWNLOAD_TIMEOUT_MS);
    await assertSameContent(file, path.join(setup.downloadDir, path.basename(file)));
    return timing;
  } finally {
    await seeder.stop();
    await rm(setup.workDir, { recursive: true, force: true });
  }
}

const seconds = (ms: number): string => (ms / 1000).toFixed(1).padStart(6);

function row(name: string, shareFile: DownloadTiming[], libtorrent: DownloadTiming[]): string {
  const wall = (turns: DownloadTiming[]): number => median(turns.map((timing) => timing.totalMs));
  const transfer = (turns: DownloadTiming[]): number => median(turns.map((timing) => timing.totalMs - timing.firstByteMs));
  const firstByte = (turns: DownloadTiming[]): number => median(turns.map((timing) => timing.firstByteMs));
  // A client polled every few seconds (Deluge's console) may see the first and the last byte in one poll.
  const ratio = (a: number, b: number): string => (a > 0 && b > 0 ? (a / b).toFixed(2) : 'n/a').padStart(5);
  return `  ${name.padEnd(13)} ${seconds(wall(shareFile))} ${seconds(wall(libtorrent))}  ${ratio(wall(shareFile), wall(libtorrent))}   ${seconds(transfer(shareFile))} ${seconds(transfer(libtorrent))}  ${ratio(transfer(shareFile), transfer(libtorrent))}   ${seconds(firstByte(shareFile))} ${seconds(firstByte(libtorrent))}`;
}

export async function benchClients(names: string[] = []): Promise<void> {
  const chosen = names.length === 0 ? CLIENTS : CLIENTS.filter((client) => names.some((name) => name.toLowerCase() === client.name.toLowerCase()));
  if (chosen.length === 0) throw new Error(`no client named ${names.join(', ')}; there are ${CLIENTS.map((client) => client.name).join(', ')}`);
  const dir = await mkdtemp(path.join(tmpdir(), 'share-file-bench-clients-'));
  const hosts = await clientHosts();
  try {
    await chmod(dir, 0o755);
    const file = path.join(dir, 'vm.img');
    await writeRandomFile(file, SIZE);
    const { infoHash, pieceLength, torrentFor } = await torrentOf(file);
    const rows: string[] = [];
    for (const driver of chosen) {
      const shareFile: DownloadTiming[] = [];
      const libtorrent: DownloadTiming[] = [];
      try {
        for (let round = 0; round < ROUNDS; round++) {
          libtorrent.push(await turn(driver, hosts, dir, file, () => startLibtorrent(hosts, dir, file, infoHash, torrentFor)));
          shareFile.push(await turn(driver, hosts, dir, file, () => startShareFile(hosts, dir, file)));
        }
        rows.push(row(driver.name, shareFile, libtorrent));
      } catch (error) {
        rows.push(`  ${driver.name.padEnd(13)} failed: ${String((error as Error).message).split('\n')[0]}`);
      }
      console.log(rows.at(-1));
    }
    console.log(`each client downloads a 300 MiB file across two namespaces (veth), ${pieceLength / 1024} KiB pieces, default settings, median of ${ROUNDS} turns per seeder;`);
    console.log('wall = client start to last byte, transfer = first to last byte, first byte = client start to first byte (s):');
    const columns = (a: string, b: string, c: string): string => `${a.padStart(6)} ${b.padStart(6)}  ${c.padStart(5)}`;
    console.log(`  ${''.padEnd(13)} ${'wall'.padEnd(21)}   ${'transfer'.padEnd(21)}   first byte`);
    console.log(`  ${'client'.padEnd(13)} ${columns('sf', 'lt', 'sf/lt')}   ${columns('sf', 'lt', 'sf/lt')}   ${'sf'.padStart(6)} ${'lt'.padStart(6)}`);
    for (const line of rows) console.log(line);
  } finally {
    await hosts.teardown();
    await rm(dir, { recursive: true, force: true });
  }
}
