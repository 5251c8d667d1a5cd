// The orchestration, top to bottom: hash, write the .torrent, track, open the firewall, seed, report, wait, undo.
import { randomBytes } from 'node:crypto';
import { hostname as osHostname } from 'node:os';
import path from 'node:path';
import { chooseUrlHost, chooseVisibleAddress, defaultIpv6Address } from './host/address.ts';
import { askRouter, handOutPeers, mapOnRouter, serverUrls, torrentByHost, type Reach } from './host/reach.ts';
import { CleanupStack } from './cleanup.ts';
import { ShareFileError } from './errors.ts';
import { formatAddress } from './output/format.ts';
import { isLoopback } from './host/ip.ts';
import { webSeedPolicy, type WebSeedPolicy } from './seeding/hand-out.ts';
import { HashCache } from './hashing/hash-cache.ts';
import { allowsAddress, type ShareOptions } from './options.ts';
import { obtainPieces } from './hashing/pieces.ts';
import { choosePorts } from './host/ports.ts';
import type { HashingEvent, Reporter, StopReason } from './output/reporter.ts';
import { inspectSource } from './content/source.ts';
import { ContentReader } from './content/reader.ts';
import type * as FirewallModule from './host/firewall.ts';
import type * as HttpServerModule from './http/server.ts';
import type { FirewallProbe } from './host/firewall.ts';
import type * as SeederModule from './seeding/seeder.ts';
import type * as TrackerModule from './http/tracker.ts';
import { buildMetadata, claimTorrentPath, encodeTorrentFile, magnetLink, pieceLengthFor, removeTorrentFile, writeTorrentFile } from './hashing/torrent.ts';

export interface RunEnvironment {
  reporter: Reporter;
  cwd: string;
  version: string;
  /** Aborted with a StopReason when the user or the system asks share-file to stop. */
  stopSignal: AbortSignal;
  /** Where piece hashes of shared files are kept between runs. */
  cacheDir: string;
}
const PROGRESS_INTERVAL_MS = 1000;

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
  const { reporter, stopSignal } = env;
  // The network half (webtorrent alone takes ~0.1 s to evaluate, on this thread) loads once the
  // hashing workers run, so that it neither delays them nor waits for them.
  let network: ReturnType<typeof loadNetworkModules> | undefined;
  const loadNetwork = (): ReturnType<typeof loadNetworkModules> => {
    network ??= loadNetworkModules();
    network.catch(() => {});
    return network;
  };

  // 1. Check what can be checked before the long work: the file, the ports, the address.
  const source = await inspectSource(options.file);
  if (source.skipped.length > 0) {
    const shown = source.skipped.slice(0, 5).join(', ');
    const more = source.skipped.length > 5 ? ` and ${source.skipped.length - 5} more` : '';
    reporter.emit({ event: 'warning', message: `left out of \`${source.path}\`: ${shown}${more}` });
  }
  const { trackerPort, peerPort } = await choosePorts(options.trackerPort, options.peerPort);
  const hostname = options.hostname ?? osHostname();
  let ip = options.ip;
  if (ip === undefined) {
    const visible = await chooseVisibleAddress(hostname);
    if (visible.notice) reporter.emit({ event: 'warning', message: visible.notice });
    ip = visible.ip;
  }
  // The IPv6 address IPv6 peers get, and the host the URLs carry (a name only where others resolve it).
  const ip6 = options.ip6 ?? (ip.includes(':') ? ip : isLoopback(ip) ? undefined : await defaultIpv6Address());
  const urlHost = await chooseUrlHost(options.hostname, hostname, ip);
  if (urlHost.notice) reporter.emit({ event: 'warning', message: urlHost.notice });
  // Ask the router now: it answers (or not, within 2 s) while the file hashes.
  const routerQuery = askRouter(options.portMap, ip, urlHost.host);

  // 2. Claim the .torrent path now (never overwriting anything), so a bad path fails before hashing.
  const torrentPath = options.torrentPath ?? path.join(env.cwd, `${source.name}-${trackerPort}.torrent`);
  await claimTorrentPath(torrentPath);
  cleanup.defer(`the .torrent file ${torrentPath}`, () => removeTorrentFile(torrentPath));
  throwIfStopped(stopSignal);

  // 3. Ask iptables whether we may change the firewall. With --firewall iptables a "no" is fatal, so
  //    wait for the answer before hashing; with auto it only matters later, so ask while hashing.
  let firewall: Promise<FirewallProbe | undefined> = Promise.resolve(undefined);
  const probeFirewall = (): void => {
    if (options.firewall !== 'none') firewall = loadNetwork().then(({ firewall }) => firewall.probeFirewall());
    firewall.catch(() => {});
  };
  if (options.firewall === 'iptables') {
    probeFirewall();
    const probe = await firewall;
    if (probe && !probe.ok) throw (await loadNetwork()).firewall.unavailableError(probe.reason);
  }

  // 4. Hash the file once, on every core, unless this very version is in the hash cache.
  const pieceLength = pieceLengthFor(source.length);
  let hashingStarted = false;
  const onHashing = (event: HashingEvent): void => {
    reporter.emit(event);
    if (hashingStarted) return;
    hashingStarted = true;
    // The workers exist by now: load the network half (and ask iptables) beside them.
    if (!network) setImmediate(() => (options.firewall === 'auto' ? probeFirewall() : loadNetwork()));
  };
  let changedPieces = 0;
  const onContentChanged = (piece: number | undefined): void => {
    if (piece === undefined) {
      reporter.emit({ event: 'warning', message: `\`${source.path}\` changed on disk while being shared; every piece is now checked before it is sent, and pieces that no longer match are not sent` });
      return;
    }
    changedPieces += 1;
    // One line per changed piece would flood a log when a VM writes all over its image.
    if (changedPieces <= 3 || Number.isInteger(Math.log2(changedPieces))) {
      reporter.emit({ event: 'warning', message: `piece ${piece} of \`${source.name}\` no longer matches the .torrent and is not sent (${changedPieces} such pieces so far); share it again once it has stopped changing` });
    }
  };
  const pieces = await obtainPieces({ source, pieceLength, cache: new HashCache(env.cacheDir), signal: stopSignal, onHashing }).catch(
    (error: unknown) => {
      throw stopSignal.aborted ? new StopRequested() : error;
    },
  );
  const { firewall: firewallModule, tracker: trackerModule, seeder: seederModule, httpServer: httpModule } = await loadNetwork();
  // Map the ports on the router that answered, each mapping's deletion registered as it is made.
  const onNotice = (message: string): void => reporter.emit({ event: 'warning', message });
  const mapped = await mapOnRouter(routerQuery, { trackerPort, peerPort }, { required: options.portMap !== 'auto', cleanup, onNotice });
  if (mapped) {
    const { protocol, router, externalAddress: externalIp, lifetimeSeconds: lifetime } = mapped;
    reporter.emit({ event: 'port-mapped', protocol, router, externalIp, trackerPort, externalTrackerPort: mapped.trackerPort, peerPort, externalPeerPort: mapped.peerPort, lifetime });
  }
  const reach: Reach = { urlHost: urlHost.host, ip, ip6, trackerPort, peerPort, mapped, givenName: options.hostname };
  throwIfStopped(stopSignal);
  const metadata = buildMetadata(source.name, source.length, pieceLength, pieces, source.kind === 'folder' ? source.files : undefined);
  throwIfStopped(stopSignal);
  const reader = new ContentReader({
    files: source.files,
    pieceLength,
    pieces,
    onChange: onContentChanged,
  });
  cleanup.defer('the shared files', () => reader.close());

  // 5. Write the .torrent: our tracker (or the named ones), and with --web-seed our HTTP server as
  //    its web seed (see webSeedPolicy for why not by default). BEP 19: a single file's web seed
  //    is the file's URL; for a folder, clients append the name and each file's path to a URL that
  //    ends in `/`.
  const peerId = makePeerId(env.version);
  const allows = allowsAddress(options.allow);
  const ownTracker = options.announce.length === 0;
  const urls = serverUrls(reach);
  const serverUrl = urls.primary;
  const announce = ownTracker ? urls.all.map((url) => `${url}/announce`) : options.announce;
  const token = httpModule.newToken();
  const paths = httpModule.serverPaths(token, source.name);
  const webSeedAt = (url: string): string[] => (options.webSeed ? [`${url}${paths.webSeedBase}${source.kind === 'folder' ? '' : encodeURIComponent(source.name)}`] : []);
  const torrentFile = encodeTorrentFile(metadata, announce, `share-file ${env.version}`, webSeedAt(serverUrl));
  await writeTorrentFile(torrentPath, torrentFile);
  // Served over HTTP, the .torrent announces to the URL it was fetched from (same info hash).
  const torrentForHost = ownTracker ? torrentByHost(urls.all, (url) => encodeTorrentFile(metadata, [`${url}/announce`], `share-file ${env.version}`, webSeedAt(url)), torrentFile) : undefined;

  // 6. Start the HTTP server: our tracker (unless --announce names others), and under the token
  //    the .torrent and the content itself.
  const tracker = ownTracker ? trackerModule.createTracker({
        infoHash: metadata.infoHash,
        seeder: { peerId, ip, port: peerPort },
        reach: { ip6, external: mapped ? { ip: mapped.externalAddress, port: mapped.peerPort } : undefined },
      }) : undefined;
  const handOut: { policy: WebSeedPolicy | undefined } = { policy: undefined };
  const http = await httpModule.startHttpServer({
    port: trackerPort,
    token,
    torrentFile,
    torrentForHost,
    content: { name: source.name, kind: source.kind, files: source.files, reader, version: metadata.infoHash, handOut },
    tracker,
    allows,
  });
  cleanup.defer(ownTracker ? 'the tracker' : 'the HTTP server', () => http.close());
  let webUploaded = 0;
  http.events.on('served', ({ bytes }) => (webUploaded += bytes));
  throwIfStopped(stopSignal);

  // 7. Open the firewall for both ports: one tagged rule each, inserted at the top of INPUT.
  const probe = await firewall;
  const rules = firewallModule.rulesFor([trackerPort, peerPort], process.pid, probe?.ok ? probe.executor.families : [4], options.allow);
  if (probe?.ok) {
    const notices = await firewallModule.openPorts(probe.executor, rules, options.firewall === 'iptables', cleanup);
    for (const message of notices) reporter.emit({ event: 'warning', message });
  } else if (probe) {
    reporter.emit({ event: 'warning', message: firewallModule.manualOpenAdvice(rules, probe.reason) });
  }
  throwIfStopped(stopSignal);

  // 8. Seed on the fixed peer port. With our tracker, the seeder announces over loopback, which
  //    always reaches it, even where the host name does not resolve to this machine from here.
  const seeder = await seederModule.startSeeder({
    infoHash: metadata.infoHash,
    peerId,
    port: peerPort,
    info: metadata.info,
    reader,
    announce: ownTracker ? [`http://127.0.0.1:${trackerPort}/announce`] : announce,
    clientName: `share-file/${env.version}`,
    allows,
  });
  cleanup.defer('the seeder', () => seeder.close());
  // An unreachable tracker is worth one line each time it says something new, not one per retry.
  const trackerWarnings = new Set<string>();
  seeder.events.on('tracker-warning', ({ url, error }) => {
    const message = `tracker ${url}: ${error.message}; recipients with the magnet link (its x.pe) can still connect`;
    if (trackerWarnings.has(message)) return;
    trackerWarnings.add(message);
    reporter.emit({ event: 'warning', message });
  });
  handOut.policy = webSeedPolicy(seeder.handOut, () => Math.max(seeder.connectedPeers(), tracker?.recipients() ?? 0));
  throwIfStopped(stopSignal);

  // 9. Tell the person what to hand the recipient.
  const peers = handOutPeers(reach);
  const torrentUrl = `${serverUrl}${paths.torrentPath}`;
  const contentUrl = `${serverUrl}${paths.contentPath}`;
  reporter.emit({
    event: 'ready',
    infoHash: metadata.infoHash,
    name: source.name,
    kind: source.kind,
    length: source.length,
    files: source.files.length,
    torrent: torrentPath,
    torrentUrl,
    webUrl: source.kind === 'folder' ? `${contentUrl}/` : contentUrl,
    magnet: magnetLink({ infoHash: metadata.infoHash, name: source.name, announce, peers }),
    announce,
    trackerPort,
    peerPort,
    ip,
    peer: peers[0]!,
    peers,
    lanTorrentUrl: urls.lan === undefined ? undefined : `${urls.lan}${paths.torrentPath}`,
    ip6,
    externalIp: mapped?.externalAddress,
  });

  // 10. Follow the peers until told to stop.
  const completedPeers = new Set<string>();
  const onCompleted = (peerId: string, peer: string, via: 'bittorrent' | 'http' = 'bittorrent'): void => {
    if (completedPeers.has(peerId)) return;
    completedPeers.add(peerId);
    reporter.emit({ event: 'completed', peer, peerId, via, completedPeers: completedPeers.size });
    if (options.exitAfter !== undefined && completedPeers.size >= options.exitAfter) stop.abort('exit-after' satisfies StopReason);
  };
  seeder.events.on('peer-connected', (peer) => reporter.emit({ event: 'peer-connected', peer: peer.address, peerId: peer.peerId }));
  seeder.events.on('peer-disconnected', (peer) => reporter.emit({ event: 'peer-disconnected', peer: peer.address, peerId: peer.peerId }));
  seeder.events.on('peer-completed', (peer) => onCompleted(peer.peerId, peer.address));
  // Over HTTP there is no peer id: each whole download counts once.
  let httpDownloads = 0;
  http.events.on('whole-file', (address) => onCompleted(`http#${++httpDownloads}`, address, 'http'));
  tracker?.events.on('announce', (announced) => {
    // A recipient that finished while talking to other recipients tells the tracker, not us: with a
    // `completed` announce, or (aria2c with --seed-time=0) only a `stopped` one with nothing left.
    if (announced.peerId !== peerId && (announced.event === 'completed' || announced.left === 0)) onCompleted(announced.peerId, formatAddress(announced.ip, announced.port));
  });

  let lastUploaded = 0;
  let lastWebUploaded = 0;
  let lastReport = performance.now();
  const reportProgress = (always: boolean): void => {
    const stats = seeder.stats();
    const uploaded = stats.uploaded + webUploaded;
    if (!always && stats.peers.length === 0 && uploaded === lastUploaded) return;
    const now = performance.now();
    const webRate = Math.round(((webUploaded - lastWebUploaded) * 1000) / Math.max(1, now - lastReport));
    lastUploaded = uploaded;
    lastWebUploaded = webUploaded;
    lastReport = now;
    reporter.emit({
      event: 'progress',
      uploaded,
      uploadRate: stats.uploadRate + webRate,
      webUploaded,
      ratio: uploaded / source.length,
      completedPeers: completedPeers.size,
      peers: stats.peers,
    });
  };
  const progress = setInterval(() => reportProgress(false), PROGRESS_INTERVAL_MS);
  cleanup.defer('the progress timer', () => clearInterval(progress));

  const reason = await waitForStop(stopSignal, seeder.events);
  // The final totals, for scripts that want to know how much was sent.
  reportProgress(true);
  return reason;
}

interface NetworkModules {
  firewall: typeof FirewallModule;
  tracker: typeof TrackerModule;
  seeder: typeof SeederModule;
  httpServer: typeof HttpServerModule;
}

function loadNetworkModules(): Promise<NetworkModules> {
  return Promise.all([import('./host/firewall.ts'), import('./http/tracker.ts'), import('./seeding/seeder.ts'), import('./http/server.ts')]).then(([firewall, tracker, seeder, httpServer]) => ({ firewall, tracker, seeder, httpServer }));
}

/** Resolves when a stop is requested; rejects when the seeder fails for good. */
function waitForStop(stopSignal: AbortSignal, seederEvents: NodeJS.EventEmitter): Promise<StopReason> {
  return new Promise((resolve, reject) => {
    if (stopSignal.aborted) {
      resolve(stopSignal.reason as StopReason);
      return;
    }
    stopSignal.addEventListener('abort', () => resolve(stopSignal.reason as StopReason), { once: true });
    seederEvents.once('error', (error: Error) => {
      reject(new ShareFileError('INTERNAL', `seeding failed: ${error.message}`, { cause: error }));
    });
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

/** Azureus-style peer id (`-SF0100-` and 12 random bytes), in hex as webtorrent and the tracker use it. */
function makePeerId(version: string): string {
  const [major = '0', minor = '0', patch = '0'] = version.split('.');
  const tag = `-SF${major.padStart(2, '0').slice(-2)}${minor.slice(-1)}${patch.slice(-1)}-`;
  return Buffer.concat([Buffer.from(tag, 'latin1'), randomBytes(12)]).toString('hex');
}
