// One turn of the uplink benchmark: a seeder in the sharer's namespace, every recipient's aria2c in
// its own, timed until the last has the file, with the bytes that left the sharer's interface.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { UplinkHosts } from '../test/support/uplink-hosts.ts';
import { cpuMs, followUploaded, stop, waitForLine } from './processes.ts';

const BIN = path.resolve(import.meta.dirname, '..', 'bin', 'share-file.js');
const LIBTORRENT_SEED = path.resolve(import.meta.dirname, '..', 'test', 'support', 'clients', 'libtorrent-seed.py');
const SAMPLE_MS = 100;

export interface UplinkTurn {
  /** Until the last recipient has the whole file. */
  wallMs: number;
  /** Bytes that left the sharer's interface during the turn (payload, headers, tracker replies). */
  txBytes: number;
  /** Payload the seeder itself counted. */
  payloadBytes: number;
  /** The seeder's CPU time during the turn. */
  cpuMs: number;
  /** Time the uplink ran below half its rate while some recipient still lacked the file. */
  underusedMs: number;
  /** When each recipient had the file, first to last. */
  doneMs: number[];
  /** The uplink's rate in each second, Mbit/s. */
  timeline: number[];
}

interface RunningSeeder {
  child: ChildProcess;
  source: string;
  /** Stops the seeder; resolves with the payload it counted. */
  stop(): Promise<number>;
}

function spawnInside(hosts: UplinkHosts, namespace: string, command: string[], options: Parameters<typeof spawn>[2] = {}): ChildProcess {
  const [file, ...args] = hosts.inside(namespace, command);
  return spawn(file!, args, options);
}

/** The recipient, the same for every seeder, as bench/processes.ts runs it, inside its namespace. */
function download(hosts: UplinkHosts, namespace: string, source: string, target: string): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const args = ['--dir', target, '--seed-time=0', '--enable-dht=false', '--enable-dht6=false', '--bt-enable-lpd=false', '--enable-peer-exchange=false', '--bt-stop-timeout=60', '--console-log-level=warn', '--summary-interval=0', '--allow-overwrite=true', source];
    const child = spawnInside(hosts, namespace, ['aria2c', ...args], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`aria2c in ${namespace} exited ${code}`))));
  });
}

export async function startShareFileInside(hosts: UplinkHosts, dir: string, file: string): Promise<RunningSeeder> {
  const { ip, namespace } = hosts.sharer;
  const torrent = path.join(dir, `share-${Date.now()}.torrent`);
  const args = [process.execPath, BIN, file, '--json', '--firewall', 'none', '--ip', ip, '-H', ip, '-o', torrent];
  const child = spawnInside(hosts, namespace, args, { env: { ...process.env, XDG_CACHE_HOME: path.join(dir, 'cache') }, stdio: ['ignore', 'pipe', 'ignore'] });
  const ready = waitForLine(child, /"event":"ready"/);
  const uploaded = followUploaded(child);
  await ready.catch(async (error: unknown) => {
    await stop(child, 'SIGKILL');
    throw error;
  });
  // The recipients open the .torrent file, as they do libtorrent's: the turns compare seeding, not
  // fetching a .torrent over HTTP. The last progress event has the totals; it comes as share-file stops.
  return { child, source: torrent, stop: async () => (await stop(child), uploaded()) };
}

/** libtorrent in seed mode behind opentracker, both in the sharer's namespace. */
export async function startLibtorrentInside(hosts: UplinkHosts, dir: string, file: string, infoHash: string, torrentFor: (announce: string) => Buffer): Promise<RunningSeeder> {
  const { ip, namespace } = hosts.sharer;
  const port = 6969;
  // Debian's opentracker has a whitelist and drops to `nobody`, who must be able to read it.
  const whitelist = path.join(dir, `whitelist-${namespace}`);
  await writeFile(whitelist, `${infoHash}\n`, { mode: 0o644 });
  const torrent = path.join(dir, `libtorrent-${namespace}.torrent`);
  await writeFile(torrent, torrentFor(`http://${ip}:${port}/announce`));
  const tracker = spawnInside(hosts, namespace, ['opentracker', '-i', ip, '-p', String(port), '-P', String(port), '-w', whitelist], { stdio: 'ignore' });
  const child = spawnInside(hosts, namespace, ['/usr/bin/python3', LIBTORRENT_SEED, torrent, path.dirname(file), `${ip}:6881`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const stopAll = async (): Promise<number> => {
    const uploaded = child.exitCode === null ? waitForLine(child, /^uploaded /).catch(() => 'uploaded NaN') : Promise.resolve('uploaded NaN');
    await stop(child, 'SIGTERM');
    await stop(tracker, 'SIGKILL');
    return Number((await uploaded).split(' ')[1]);
  };
  try {
    await waitForLine(child, /^listening /);
  } catch (error) {
    await stopAll();
    throw error;
  }
  return { child, source: torrent, stop: stopAll };
}

/** Every recipient at once against a running seeder; the seeder is stopped at the end. */
export async function swarmTurn(hosts: UplinkHosts, dir: string, seeder: RunningSeeder): Promise<UplinkTurn> {
  const pid = seeder.child.pid!;
  try {
    const targets = await Promise.all(hosts.recipients.map(() => mkdtemp(path.join(dir, 'to-'))));
    const txBefore = await hosts.sharerTxBytes(pid);
    const cpuBefore = await cpuMs(pid);
    const sampler = sampleUplink(hosts, pid);
    const started = performance.now();
    const doneMs = await Promise.all(hosts.recipients.map((host, index) => download(hosts, host.namespace, seeder.source, targets[index]!)));
    const wallMs = performance.now() - started;
    const turn = { wallMs, doneMs: doneMs.sort((a, b) => a - b), ...sampler.stop(), txBytes: (await hosts.sharerTxBytes(pid)) - txBefore, cpuMs: (await cpuMs(pid)) - cpuBefore };
    await Promise.all(targets.map((target) => rm(target, { recursive: true, force: true })));
    return { ...turn, payloadBytes: await seeder.stop() };
  } finally {
    await seeder.stop();
  }
}

/** Samples the sharer's sent bytes and adds up the intervals it sent at under half the link's rate. */
function sampleUplink(hosts: UplinkHosts, pid: number): { stop(): { underusedMs: number; timeline: number[] } } {
  const halfRateBytesPerMs = (hosts.rateMbit * 1e6) / 8 / 1000 / 2;
  let underusedMs = 0;
  const started = performance.now();
  const perSecond: number[] = [];
  let last: { at: number; bytes: number } | undefined;
  const timer = setInterval(() => {
    void hosts.sharerTxBytes(pid).then((bytes) => {
      const at = performance.now();
      if (last && (bytes - last.bytes) / (at - last.at) < halfRateBytesPerMs) underusedMs += at - last.at;
      if (last) {
        const second = Math.floor((at - started) / 1000);
        perSecond[second] = (perSecond[second] ?? 0) + bytes - last.bytes;
      }
      last = { at, bytes };
    }, () => {});
  }, SAMPLE_MS);
  return {
    stop: () => {
      clearInterval(timer);
      return { underusedMs, timeline: Array.from(perSecond, (bytes) => Math.round(((bytes ?? 0) * 8) / 1e6)) };
    },
  };
}
