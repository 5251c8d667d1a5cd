// The in-process BitTorrent tracker: announces and scrapes for our torrent only, our seeder handed
// out at its visible address. It answers requests that the HTTP server (http-server.ts) routes to it.
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIPv4, isIPv6 } from 'node:net';
import { networkInterfaces } from 'node:os';
import { Server as TrackerServer, type AnnounceParams } from 'bittorrent-tracker';
import bencode from 'bencode';
import { onLinkTest } from '../host/cidr.ts';
import { canonicalIp, formatAddress, isLoopback, unmapIPv4 } from '../host/ip.ts';
import { rewriteAnnounceReply, seederEntriesFor, type SeederEndpoints } from './tracker-peers.ts';

export interface TrackerConfig {
  infoHash: string;
  /** Our own seeder: the tracker hands it out at `ip:port`, wherever its announce came from. */
  seeder: { peerId: string; ip: string; port: number };
  /** Where else the seeder is reached: its IPv6 address, the router's mapping, which requesters are local. */
  reach?: { ip6?: string | undefined; external?: { ip: string; port: number } | undefined; isLocal?: (ip: string) => boolean };
  /** A line for every recipient, sent with each announce reply as its `warning message` (clients show it). */
  notice?: () => string | undefined;
}

export interface AnnouncedPeer {
  peerId: string;
  ip: string;
  port: number;
  event: string;
  left: number;
}

export interface TrackerEvents {
  announce: [AnnouncedPeer];
  warning: [Error];
}

export interface Tracker {
  events: EventEmitter<TrackerEvents>;
  /** Answers `/announce` and `/scrape`; returns false for any other path. */
  handle(req: IncomingMessage, res: ServerResponse, path: string, url: string): boolean;
  /** Recipients (not our seeder) that announced lately and have not stopped. */
  recipients(): number;
  close(): Promise<void>;
}

/** Clients re-announce this often; short, so recipients learn of each other soon. */
export const ANNOUNCE_INTERVAL_MS = 60_000;
/** At most this many peers are remembered for the torrent; the oldest are forgotten first. */
export const MAX_PEERS = 500;

export function createTracker(config: TrackerConfig): Tracker {
  const events = new EventEmitter<TrackerEvents>();
  const { seeder, reach = {} } = config;
  const endpoints: SeederEndpoints = {
    peerId: seeder.peerId,
    port: seeder.port,
    lan: { ip4: isIPv4(seeder.ip) ? seeder.ip : undefined, ip6: canonicalIp(reach.ip6 ?? (isIPv6(seeder.ip) ? seeder.ip : undefined)) },
    external: reach.external,
    isLocal: reach.isLocal ?? onLinkTest(networkInterfaces()),
  };
  const tracker = trackerServer(config);
  // Malformed requests are the client's problem: they get a bencoded failure, the tracker carries on.
  tracker.on('warning', (error: Error) => events.emit('warning', error));
  const lastSeen = new Map<string, number>();
  for (const event of ['start', 'complete', 'update', 'stop'] as const) {
    tracker.on(event, (_addr: string, params: AnnounceParams) => {
      if (params.peer_id !== config.seeder.peerId) {
        if (event === 'stop') lastSeen.delete(params.peer_id);
        else lastSeen.set(params.peer_id, performance.now());
        // Bounded like the tracker's own peer list: the oldest go first.
        if (lastSeen.size > MAX_PEERS) lastSeen.delete(lastSeen.keys().next().value!);
      }
      events.emit('announce', { peerId: params.peer_id, ip: params.ip, port: params.port, event: params.event ?? 'update', left: params.left });
    });
  }

  return {
    events,
    handle: (req, res, path, url) => {
      if (path === '/announce') {
        // Our own seeder is handed no peers, not even itself.
        const fromSeeder = queryValues(url, 'peer_id').some((id) => id.toString('hex') === seeder.peerId);
        const entries = fromSeeder ? { ip4: undefined, ip6: undefined } : seederEntriesFor(req.socket.remoteAddress ?? '', endpoints);
        // The reply passes through rewriteAnnounceReply on its way out: bittorrent-tracker ends the
        // response with one res.end(body) and touches nothing else of it.
        const reply = { end: (body?: Buffer) => res.end(body === undefined ? undefined : rewriteAnnounceReply(body, entries, endpoints, fromSeeder ? undefined : config.notice?.())) };
        tracker.onHttpRequest(req, reply as unknown as ServerResponse, { action: 'announce' });
        return true;
      }
      if (path === '/scrape') {
        // Scrapes answer for our torrent alone: a foreign info hash learns nothing, not even "zero".
        const asked = queryValues(url, 'info_hash');
        if (asked.some((value) => value.toString('hex') !== config.infoHash)) {
          res.writeHead(200, { 'Content-Type': 'text/plain' }).end(Buffer.from(bencode.encode({ 'failure reason': 'this tracker serves one torrent only' })));
          return true;
        }
        tracker.onHttpRequest(req, res, { action: 'scrape' });
        return true;
      }
      return false;
    },
    recipients: () => {
      const since = performance.now() - 2 * ANNOUNCE_INTERVAL_MS;
      let count = 0;
      for (const seen of lastSeen.values()) if (seen >= since) count += 1;
      return count;
    },
    close: () => new Promise<void>((resolve) => tracker.close(() => resolve())),
  };
}

/** bittorrent-tracker's server for our one torrent, our own seeder's announce given its visible address. */
function trackerServer(config: TrackerConfig): TrackerServer {
  return new TrackerServer({
    http: false,
    udp: false,
    ws: false,
    stats: false,
    interval: ANNOUNCE_INTERVAL_MS,
    peersCacheLength: MAX_PEERS,
    filter: (infoHash, params, callback) => {
      if (infoHash !== config.infoHash) {
        callback(new Error('this tracker serves one torrent only'));
        return;
      }
      if (params.peer_id === config.seeder.peerId && isOwnAddress(params.ip)) {
        // bittorrent-tracker takes the peer's address from the socket, which for our own seeder is
        // a local address (127.0.0.1, or 127.0.1.1 behind a Debian host name). Hand out the address
        // the recipient can reach instead: the original recipe's `--ip` twist.
        rewriteAddress(params, config.seeder.ip, config.seeder.port);
        // The seeder waits for recipients to connect; a peer list would only hand it itself.
        params.numwant = 0;
      }
      callback(null);
    },
  });
}

/** The raw bytes of every `name=` in a query string: info hashes are binary, percent-encoded. */
export function queryValues(url: string, name: string): Buffer[] {
  const query = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
  const values: Buffer[] = [];
  for (const pair of query.split('&')) {
    const equals = pair.indexOf('=');
    if (equals < 0 || pair.slice(0, equals) !== name) continue;
    const raw = pair.slice(equals + 1);
    const bytes: number[] = [];
    for (let index = 0; index < raw.length; index++) {
      const hex = raw[index] === '%' ? raw.slice(index + 1, index + 3) : '';
      if (/^[0-9a-f]{2}$/i.test(hex)) {
        bytes.push(Number.parseInt(hex, 16));
        index += 2;
      } else {
        bytes.push(raw.charCodeAt(index) & 0xff);
      }
    }
    values.push(Buffer.from(bytes));
  }
  return values;
}

function rewriteAddress(params: AnnounceParams, ip: string, port: number): void {
  params.ip = ip;
  params.port = port;
  params.addr = formatAddress(ip, port);
}

/** Loopback, or one of this host's own interface addresses: where our seeder's announce comes from. */
function isOwnAddress(ip: string): boolean {
  if (isLoopback(ip)) return true;
  const address = unmapIPv4(ip);
  return Object.values(networkInterfaces()).some((list) => list?.some((entry) => entry.address === address));
}
