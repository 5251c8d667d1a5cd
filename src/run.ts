// The orchestration, top to bottom: hash, write the .torrent, serve, open the firewall, seed, report,
// wait, undo. Each step lives in its own module; this file only puts them in order.
import { hostname as osHostname } from 'node:os';
import path from 'node:path';
import { CleanupStack } from './cleanup.ts';
import { ContentReader } from './content/reader.ts';
import { inspectSource, type SharedContent } from './content/source.ts';
import { HashCache } from './hashing/hash-cache.ts';
import { obtainPieces } from './hashing/pieces.ts';
import { buildMetadata, claimTorrentPath, encodeTorrentFile, magnetLink, pieceLengthFor, removeTorrentFile, writeTorrentFile, type TorrentMetadata } from './hashing/torrent.ts';
import { chooseVisibleAddress } from './host/address.ts';
import { FirewallStep } from './host/firewall-step.ts';
import { allowsAddress } from './host/cidr.ts';
import { formatAddress } from './host/ip.ts';
import { choosePorts } from './host/ports.ts';
import { shareUrls } from './http/share-urls.ts';
import { networkLoader } from './load-network.ts';
import type { ShareOptions } from './options.ts';
import type { ReadyEvent, ShareEvent, StopReason } from './output/events.ts';
import { changeReporter, reportSkipped } from './output/notices.ts';
import type { Reporter } from './output/reporter.ts';
import { followRecipients } from './output/follow.ts';
import { webSeedPolicy, type WebSeedPolicy } from './seeding/hand-out.ts';
import { makePeerId } from './seeding/peer-id.ts';
import type { SeederHandle } from './seeding/seeder.ts';

export interface RunEnvironment {
  reporter: Reporter;
  cwd: string;
  version: string;
  /** Aborted with a StopReason when the user or the system asks share-file to stop. */
  stopSignal: AbortSignal;
  /** Where piece hashes of shared files are kept between runs. */
  cacheDir: string;
}

/** Shares the file until asked to stop; resolves with why it stopped, after everything is undone. */
export async function run(options: ShareOptions, env: RunEnvironment): Promise<StopReason> {
  const cleanup = new CleanupStack();
  // One stop for every cause: a signal from outside, --timeout, or --exit-after.
  const stop = new AbortController();
  const forward = (): void => stop.abort(env.stopSignal.reason);
  if (env.stopSignal.aborted) forward();
  else env.stopSignal.addEventListener('abort', forward, { once: true });
  const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => stop.abort('timeout' satisfies StopReason), options.timeoutMs);
  let outcome: { reason: StopReason } | { error: unknown };
  try {
    outcome = { reason: await share(options, { ...env, stopSignal: stop.signal }, cleanup, stop) };
  } catch (error) {
    outcome = error instanceof StopRequested ? { reason: stop.signal.reason as StopReason } : { error };
  } finally {
    clearTimeout(timer);
    env.stopSignal.removeEventListener('abort', forward);
  }
  // Undo everything before saying we stopped: a script that sees `stopped` may reuse the ports.
  const failures = await cleanup.disposeAsync();
  for (const failure of failures) {
    const reason = failure.error instanceof Error ? failure.error.message : String(failure.error);
    env.reporter.emit({ event: 'warning', message: `could not undo ${failure.name}: ${reason}${failure.manualFix ? `; run by hand: ${failure.manualFix}` : ''}` });
  }
  if ('error' in outcome) throw outcome.error;
  env.reporter.emit({ event: 'stopped', reason: outcome.reason });
  return outcome.reason;
}

async function share(options: ShareOptions, env: RunEnvironment, cleanup: CleanupStack, stop: AbortController): Promise<StopReason> {
  const { stopSignal } = env;
  const emit = (event: ShareEvent): void => env.reporter.emit(event);
  const loadNetwork = networkLoader();
  const firewall = new FirewallStep(options.firewall, async () => (await loadNetwork()).firewall);

  // 1. Check what can be checked before the long work: the file, the ports, the address.
  const source = await inspectSource(options.file);
  reportSkipped(source, emit);
  const { trackerPort, peerPort } = await choosePorts(options.trackerPort, options.peerPort);
  const hostname = options.hostname ?? osHostname();
  const ip = options.ip ?? (await visibleAddress(hostname, emit));

  // 2. Claim the .torrent path now (never overwriting anything), so a bad path fails before hashing.
  const torrentPath = options.torrentPath ?? path.join(env.cwd, `${source.name}-${trackerPort}.torrent`);
  await claimTorrentPath(torrentPath);
  cleanup.defer(`the .torrent file ${torrentPath}`, () => removeTorrentFile(torrentPath));
  throwIfStopped(stopSignal);

  // 3. With --firewall iptables, a firewall we may not change is fatal: find out before hashing.
  await firewall.requireEarly();

  // 4. Hash the content once, on every core, unless this very version is in the hash cache. Once
  //    the workers run, the network half loads (and iptables is asked) beside them.
  const metadata = await hashContent(source, env, () => void (options.firewall === 'auto' ? firewall.ask() : loadNetwork()));
  const network = await loadNetwork();
  throwIfStopped(stopSignal);
  const reader = new ContentReader({ files: source.files, pieceLength: metadata.pieceLength, pieces: metadata.pieces, onChange: changeReporter(source, emit) });
  cleanup.defer('the shared files', () => reader.close());

  // 5. Write the .torrent: our tracker (or the ones named with --announce), and with --web-seed
  //    our HTTP server as its web seed (see webSeedPolicy for why not by default).
  const peerId = makePeerId(env.version);
  const urls = shareUrls(options.announce, source, hostname, trackerPort, network.httpServer.newToken(), network.httpServer);
  const torrentFile = encodeTorrentFile(metadata, urls.announce, `share-file ${env.version}`, options.webSeed ? [urls.webSeed] : []);
  await writeTorrentFile(torrentPath, torrentFile);

  // 6. Start the HTTP server: our tracker (unless --announce), and under the token the .torrent
  //    and the content itself.
  const allows = allowsAddress(options.allow);
  const tracker = urls.ownTracker ? network.tracker.createTracker({ infoHash: metadata.infoHash, seeder: { peerId, ip, port: peerPort } }) : undefined;
  const handOut: { policy: WebSeedPolicy | undefined } = { policy: undefined };
  const content = { name: source.name, kind: source.kind, files: source.files, reader, version: metadata.infoHash, handOut };
  const http = await network.httpServer.startHttpServer({ port: trackerPort, token: urls.token, torrentFile, content, tracker, allows });
  cleanup.defer(urls.ownTracker ? 'the tracker' : 'the HTTP server', () => http.close());
  throwIfStopped(stopSignal);

  // 7. Open the firewall for both ports: one tagged rule each, inserted at the top of INPUT.
  for (const message of await firewall.open([trackerPort, peerPort], options.allow, cleanup)) emit({ event: 'warning', message });
  throwIfStopped(stopSignal);

  // 8. Seed on the fixed peer port. With our tracker, the seeder announces over loopback, which
  //    always reaches it, even where the host name does not resolve to this machine from here.
  const seederAnnounce = urls.ownTracker ? [`http://127.0.0.1:${trackerPort}/announce`] : urls.announce;
  const seeder = await network.seeder.startSeeder({ infoHash: metadata.infoHash, peerId, port: peerPort, info: metadata.info, reader, announce: seederAnnounce, clientName: `share-file/${env.version}`, allows });
  cleanup.defer('the seeder', () => seeder.close());
  reportTrackerWarnings(seeder, emit);
  handOut.policy = webSeedPolicy(seeder.handOut, () => Math.max(seeder.connectedPeers(), tracker?.recipients() ?? 0));
  throwIfStopped(stopSignal);

  // 9. Tell the person what to hand the recipient.
  const peer = formatAddress(ip, peerPort);
  const magnet = magnetLink({ infoHash: metadata.infoHash, name: source.name, announce: urls.announce, peer });
  emit({ event: 'ready', infoHash: metadata.infoHash, name: source.name, kind: source.kind, length: source.length, files: source.files.length, torrent: torrentPath, torrentUrl: urls.torrentUrl, webUrl: urls.webUrl, magnet, announce: urls.announce, trackerPort, peerPort, ip, peer } satisfies ReadyEvent);

  // 10. Follow the recipients until told to stop.
  return followRecipients({ exitAfter: options.exitAfter, source, seeder, http, tracker, ownPeerId: peerId, emit, stop, cleanup });
}

/** The address recipients are told, with a notice when it is not the host name's own. */
async function visibleAddress(hostname: string, emit: (event: ShareEvent) => void): Promise<string> {
  const visible = await chooseVisibleAddress(hostname);
  if (visible.notice) emit({ event: 'warning', message: visible.notice });
  return visible.ip;
}

/** Piece hashes from the workers or the cache, and the torrent's metadata built from them. */
async function hashContent(source: SharedContent, env: RunEnvironment, onWorkersRunning: () => void): Promise<TorrentMetadata> {
  const pieceLength = pieceLengthFor(source.length);
  let started = false;
  const pieces = await obtainPieces({
    source,
    pieceLength,
    cache: new HashCache(env.cacheDir),
    signal: env.stopSignal,
    onHashing: (event) => {
      env.reporter.emit(event);
      if (started) return;
      started = true;
      // The first event means the workers exist: what loads now runs beside them, not before them.
      setImmediate(onWorkersRunning);
    },
  }).catch((error: unknown) => {
    throw env.stopSignal.aborted ? new StopRequested() : error;
  });
  return buildMetadata(source.name, source.length, pieceLength, pieces, source.kind === 'folder' ? source.files : undefined);
}

/** An unreachable tracker is worth one line each time it says something new, not one per retry. */
function reportTrackerWarnings(seeder: SeederHandle, emit: (event: ShareEvent) => void): void {
  const said = new Set<string>();
  seeder.events.on('tracker-warning', ({ url, error }) => {
    const message = `tracker ${url}: ${error.message}; recipients with the magnet link (its x.pe) can still connect`;
    if (said.has(message)) return;
    said.add(message);
    emit({ event: 'warning', message });
  });
}

/** Thrown when a stop arrives during start-up; run() turns it into a clean stop. */
export class StopRequested extends Error {
  constructor() {
    super('stopped during start-up');
  }
}

function throwIfStopped(signal: AbortSignal): void {
  if (signal.aborted) throw new StopRequested();
}
