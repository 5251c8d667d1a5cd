// The orchestration, top to bottom: hash, write the .torrent, serve, open the firewall, seed, report,
// wait, undo. Each step lives in its own module; this file only puts them in order.
import { hostname as osHostname } from 'node:os';
import path from 'node:path';
import { CleanupStack } from './cleanup.ts';
import { afterDelay } from './deadline.ts';
import { ContentReader } from './content/reader.ts';
import { inspectSource, type SharedContent } from './content/source.ts';
import { HashCache } from './hashing/hash-cache.ts';
import { beginPieces, type PendingPieces } from './hashing/pieces.ts';
import { buildMetadata, claimTorrentPath, encodeTorrentFile, magnetLink, pieceLengthFor, removeTorrentFile, writeTorrentFile, type TorrentMetadata } from './hashing/torrent.ts';
import { chooseUrlHost, chooseVisibleAddress, defaultIpv6Address } from './host/address.ts';
import { FirewallStep } from './host/firewall-step.ts';
import { allowsAddress } from './host/cidr.ts';
import { isLoopback } from './host/ip.ts';
import { choosePorts } from './host/ports.ts';
import type { MappedPorts } from './host/port-mapping/port-mapping.ts';
import { askRouter, handOutPeers, mapOnRouter, serverBases, torrentByHost, type RouterQuery } from './host/reach.ts';
import { shareUrls, type ShareUrls } from './http/share-urls.ts';
import { networkLoader } from './load-network.ts';
import type { ShareOptions } from './options.ts';
import type { ReadyEvent, ShareEvent, StopReason } from './output/events.ts';
import { changeReporter, portMappedEvent, reportSkipped } from './output/notices.ts';
import { UNDO_FAILED } from './output/instructions.ts';
import type { Reporter } from './output/reporter.ts';
import { followRecipients } from './output/follow.ts';
import { webSeedPolicy, type WebSeedPolicy } from './seeding/hand-out.ts';
import { makePeerId } from './seeding/peer-id.ts';
import type { SeederHandle } from './seeding/seeder.ts';
import { mark } from './output/timeline.ts';

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
  const deadline = options.timeoutMs === undefined ? undefined : afterDelay(options.timeoutMs, () => stop.abort('timeout' satisfies StopReason));
  let outcome: { reason: StopReason } | { error: unknown };
  try {
    outcome = { reason: await share(options, { ...env, stopSignal: stop.signal }, cleanup, stop) };
  } catch (error) {
    outcome = error instanceof StopRequested ? { reason: stop.signal.reason as StopReason } : { error };
  } finally {
    deadline?.cancel();
    env.stopSignal.removeEventListener('abort', forward);
  }
  // Undo everything before saying we stopped: a script that sees `stopped` may reuse the ports.
  const failures = await cleanup.disposeAsync();
  for (const failure of failures) {
    const reason = failure.error instanceof Error ? failure.error.message : String(failure.error);
    env.reporter.emit({ event: 'warning', message: `${UNDO_FAILED}${failure.name}: ${reason}${failure.manualFix ? `; run by hand: ${failure.manualFix}` : ''}` });
  }
  if ('error' in outcome) throw outcome.error;
  env.reporter.emit({ event: 'stopped', reason: outcome.reason });
  return outcome.reason;
}

async function share(options: ShareOptions, env: RunEnvironment, cleanup: CleanupStack, stop: AbortController): Promise<StopReason> {
  const emit = (event: ShareEvent): void => env.reporter.emit(event);
  const loadNetwork = networkLoader();
  const firewall = new FirewallStep(options.firewall, env.cacheDir, async () => (await loadNetwork()).firewall);

  // 1. Check what can be checked before the long work: the file, the ports, the address.
  const source = await inspectSource(options.file, options.name);
  reportSkipped(source, emit);
  mark('source-inspected');
  // The workers the bin shim started get the content now and hash it while the checks below run on
  // this thread; the `hashing` events still start at step 4, and a failed check cancels it.
  const pending = beginPieces({ source, pieceLength: pieceLengthFor(source.length), cache: new HashCache(env.cacheDir), signal: env.stopSignal });
  cleanup.defer('the hashing', () => pending.cancel());
  const { trackerPort, peerPort } = await choosePorts(options.trackerPort, options.peerPort);
  const { ip, ip6, urlHost } = await chooseAddresses(options, emit);
  // The router is asked now and answers (or not, within 2 s) while the content hashes.
  const routerQuery = askRouter(options.portMap, ip, urlHost);
  mark('ports-and-address-chosen');

  // 2. Claim the .torrent path now (never overwriting anything), so a bad path fails before hashing.
  const torrentPath = options.torrentPath ?? path.join(env.cwd, `${source.name}-${trackerPort}.torrent`);
  await claimTorrentPath(torrentPath);
  cleanup.defer(`the .torrent file ${torrentPath}`, () => removeTorrentFile(torrentPath));
  throwIfStopped(env.stopSignal);

  // 3. With an explicit --firewall mode, a firewall we may not change is fatal: find out before the long wait.
  await firewall.requireEarly();

  // 4. Hash the content once, on every core, unless this very version is in the hash cache. Once
  //    the workers run, the network half loads (and iptables is asked) beside them.
  const metadata = await hashContent(source, pending, env, () => void (options.firewall === 'auto' ? firewall.ask() : loadNetwork()));
  const network = await loadNetwork();
  throwIfStopped(env.stopSignal);
  const changes = changeReporter(source, emit, cleanup);
  const reader = new ContentReader({ files: source.files, pieceLength: metadata.pieceLength, pieces: metadata.pieces, onChange: changes.onChange });
  cleanup.defer('the shared files', () => reader.close());

  // 5. Map the ports on the router that answered (each deletion registered at once). Write the
  //    .torrent: our tracker at every URL that reaches it, the internet's first (or the ones named
  //    with --announce), and with --web-seed our HTTP server as its web seed (see webSeedPolicy).
  const mapped = await mapPorts(routerQuery, { trackerPort, peerPort }, options.portMap !== 'auto', cleanup, emit);
  const reach = { urlHost, ip, ip6, trackerPort, peerPort, mapped, givenName: options.hostname };
  const servers = serverBases(reach);
  const peerId = makePeerId(env.version);
  const urls = shareUrls(options.announce, source, servers.all, network.httpServer.newToken(), network.httpServer);
  const { torrentFile, torrentForHost } = torrentFiles(metadata, urls, servers.all, options.webSeed, `share-file ${env.version}`);
  await writeTorrentFile(torrentPath, torrentFile);

  // 6. Start the HTTP server: our tracker (unless --announce), and under the token the .torrent
  //    and the content itself.
  const allows = allowsAddress(options.allow);
  const tracker = urls.ownTracker ? network.tracker.createTracker({ infoHash: metadata.infoHash, seeder: { peerId, ip, port: peerPort }, reach: { ip6, external: mapped && { ip: mapped.externalAddress, port: mapped.peerPort } }, notice: changes.forRecipients }) : undefined;
  const handOut: { policy: WebSeedPolicy | undefined } = { policy: undefined };
  const content = { name: source.name, kind: source.kind, files: source.files, reader, version: metadata.infoHash, handOut };
  const http = await network.httpServer.startHttpServer({ port: trackerPort, token: urls.token, torrentFile, torrentForHost, content, tracker, allows });
  cleanup.defer(urls.ownTracker ? 'the tracker' : 'the HTTP server', () => http.close());
  throwIfStopped(env.stopSignal);

  // 7. Open both ports in every firewall that filters here (firewalld, nftables, iptables, ...), each
  //    opening tagged or journaled, then say where.
  const opened = await firewall.open([trackerPort, peerPort], options.allow, cleanup);
  for (const message of opened.notices) emit({ event: 'warning', message });
  if (opened.event) emit(opened.event);
  throwIfStopped(env.stopSignal);

  // 8. Seed on the fixed peer port. With our tracker, the seeder announces over loopback, which
  //    always reaches it, even where the host name does not resolve to this machine from here.
  const seederAnnounce = urls.ownTracker ? [`http://127.0.0.1:${trackerPort}/announce`] : urls.announce;
  const seeder = await network.seeder.startSeeder({ infoHash: metadata.infoHash, peerId, port: peerPort, info: metadata.info, reader, announce: seederAnnounce, clientName: `share-file/${env.version}`, allows, requireEncryption: options.requireEncryption, announces: tracker?.events });
  cleanup.defer('the seeder', () => seeder.close());
  reportTrackerWarnings(seeder, emit);
  handOut.policy = webSeedPolicy(seeder.handOut, () => Math.max(seeder.connectedPeers(), tracker?.recipients() ?? 0));
  throwIfStopped(env.stopSignal);

  // 9. Tell the person what to hand the recipient.
  const peers = handOutPeers(reach);
  const magnet = magnetLink({ infoHash: metadata.infoHash, name: source.name, announce: urls.announce, peers });
  const lanTorrentUrl = servers.lan === undefined ? undefined : urls.at(servers.lan).torrentUrl;
  emit({ event: 'ready', infoHash: metadata.infoHash, name: source.name, kind: source.kind, length: source.length, files: source.files.length, torrent: torrentPath, torrentUrl: urls.torrentUrl, webUrl: urls.webUrl, magnet, announce: urls.announce, trackerPort, peerPort, ip, peer: peers[0]!, peers, lanTorrentUrl, ip6, externalIp: mapped?.externalAddress } satisfies ReadyEvent);
  mark('ready');

  // 10. Follow the recipients until told to stop.
  return followRecipients({ exitAfter: options.exitAfter, source, seeder, http, tracker, ownPeerId: peerId, emit, stop, cleanup });
}

/** The ports mapped on the router that answered, each deletion registered at once, and said in an event. */
async function mapPorts(query: RouterQuery | undefined, ports: { trackerPort: number; peerPort: number }, required: boolean, cleanup: CleanupStack, emit: (event: ShareEvent) => void): Promise<MappedPorts | undefined> {
  const mapped = await mapOnRouter(query, ports, { required, cleanup, onNotice: (message) => emit({ event: 'warning', message }) });
  if (mapped) emit(portMappedEvent(mapped, ports));
  return mapped;
}

/**
 * The addresses recipients are told, with a notice wherever one is not the obvious one: the visible
 * IPv4 (or IPv6) address; for IPv6 peers --ip6 or the default route's global or ULA address; and
 * the host the URLs carry, a name only where recipients can resolve it.
 */
async function chooseAddresses(options: ShareOptions, emit: (event: ShareEvent) => void): Promise<{ ip: string; ip6: string | undefined; urlHost: string }> {
  const hostname = options.hostname ?? osHostname();
  let ip = options.ip;
  if (ip === undefined) {
    const visible = await chooseVisibleAddress(hostname);
    if (visible.notice) emit({ event: 'warning', message: visible.notice });
    ip = visible.ip;
  }
  const ip6 = options.ip6 ?? (ip.includes(':') ? ip : isLoopback(ip) ? undefined : await defaultIpv6Address());
  const urlHost = await chooseUrlHost(options.hostname, hostname, ip);
  if (urlHost.notice) emit({ event: 'warning', message: urlHost.notice });
  return { ip, ip6, urlHost: urlHost.host };
}

/**
 * The .torrent written to disk (the first server URL's tracker), and, served over HTTP, one that
 * announces to the URL it was fetched from: a LAN recipient's tracker is then one the LAN reaches.
 * The info hash is the same in all of them.
 */
function torrentFiles(metadata: TorrentMetadata, urls: ShareUrls, servers: string[], webSeed: boolean, createdBy: string): { torrentFile: Buffer; torrentForHost: ((host: string | undefined) => Buffer) | undefined } {
  const torrentFile = encodeTorrentFile(metadata, urls.announce, createdBy, webSeed ? [urls.webSeed] : []);
  if (!urls.ownTracker) return { torrentFile, torrentForHost: undefined };
  const forServer = (server: string): Buffer => encodeTorrentFile(metadata, [`${server}/announce`], createdBy, webSeed ? [urls.at(server).webSeed] : []);
  return { torrentFile, torrentForHost: torrentByHost(servers, forServer, torrentFile) };
}

/** Piece hashes from the workers or the cache, and the torrent's metadata built from them. */
async function hashContent(source: SharedContent, pending: PendingPieces, env: RunEnvironment, onWorkersRunning: () => void): Promise<TorrentMetadata> {
  const pieceLength = pieceLengthFor(source.length);
  let started = false;
  const pieces = await pending.finish((event) => {
    env.reporter.emit(event);
    if (started) return;
    started = true;
    // The first event means the workers exist: what loads now runs beside them, not before them.
    setImmediate(onWorkersRunning);
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
