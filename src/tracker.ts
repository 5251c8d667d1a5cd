// In-process HTTP tracker: announces for our torrent only, the .torrent under a secret token, nothing else.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIPv6 } from 'node:net';
import { networkInterfaces } from 'node:os';
import { Server as TrackerServer, type AnnounceParams } from 'bittorrent-tracker';
import bencode from 'bencode';
import { portError } from './ports.ts';

export interface TrackerConfig {
  port: number;
  infoHash: string;
  torrentFile: Buffer;
  /** The name the .torrent is served under, such as `vm.img.torrent`. */
  torrentFileName: string;
  /** Our own seeder: the tracker hands it out at `ip:port`, wherever its announce came from. */
  seeder: { peerId: string; ip: string; port: number };
  /** Whether a source address may use the tracker at all (`--allow`). */
  allows: (ip: string) => boolean;
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

export interface TrackerHandle {
  port: number;
  /** `/<token>/<name>.torrent`: the only path that serves the .torrent. */
  torrentPath: string;
  events: EventEmitter<TrackerEvents>;
  close(): Promise<void>;
}

/** Clients re-announce this often; short, so recipients learn of each other soon. */
export const ANNOUNCE_INTERVAL_MS = 60_000;
/** At most this many peers are remembered for the torrent; the oldest are forgotten first. */
export const MAX_PEERS = 500;
/** 24 random bytes: 192 bits, well past guessing. */
const TOKEN_BYTES = 24;

export async function startTracker(config: TrackerConfig): Promise<TrackerHandle> {
  const events = new EventEmitter<TrackerEvents>();
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  const torrentPath = `/${token}/${encodeURIComponent(config.torrentFileName)}`;

  const tracker = new TrackerServer({
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
  // Malformed requests are the client's problem: they get a bencoded failure, the tracker carries on.
  tracker.on('warning', (error: Error) => events.emit('warning', error));
  for (const event of ['start', 'complete', 'update', 'stop'] as const) {
    tracker.on(event, (_addr: string, params: AnnounceParams) => {
      events.emit('announce', { peerId: params.peer_id, ip: params.ip, port: params.port, event: params.event ?? 'update', left: params.left });
    });
  }

  const expected = digest(torrentPath);
  const server = createServer((req, res) => {
    if (!config.allows(req.socket.remoteAddress ?? '')) {
      res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not allowed\n');
      return;
    }
    handleRequest(req, res, { tracker, infoHash: config.infoHash, torrentFile: config.torrentFile, expected });
  });
  // Slow or idle clients must not hold sockets open forever.
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  server.keepAliveTimeout = 5_000;
  server.maxConnections = 1024;

  await listen(server, config.port);

  return {
    port: config.port,
    torrentPath,
    events,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => tracker.close(() => resolve()));
    },
  };
}

interface RequestContext {
  tracker: TrackerServer;
  infoHash: string;
  torrentFile: Buffer;
  expected: Buffer;
}

function handleRequest(req: IncomingMessage, res: ServerResponse, context: RequestContext): void {
  const url = req.url ?? '/';
  const path = url.split('?', 1)[0] ?? '/';
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Length': 0 }).end();
    return;
  }
  if (path === '/announce') {
    context.tracker.onHttpRequest(req, res, { action: 'announce' });
    return;
  }
  if (path === '/scrape') {
    // Scrapes answer for our torrent alone: a foreign info hash learns nothing, not even "zero".
    const asked = queryValues(url, 'info_hash');
    if (asked.some((value) => value.toString('hex') !== context.infoHash)) {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end(Buffer.from(bencode.encode({ 'failure reason': 'this tracker serves one torrent only' })));
      return;
    }
    context.tracker.onHttpRequest(req, res, { action: 'scrape' });
    return;
  }
  // Compare digests of equal length in constant time: a wrong token costs what a right one does.
  if (timingSafeEqual(digest(path), context.expected)) {
    res.writeHead(200, {
      'Content-Type': 'application/x-bittorrent',
      'Content-Length': context.torrentFile.length,
      'Cache-Control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : context.torrentFile);
    return;
  }
  res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
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

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function rewriteAddress(params: AnnounceParams, ip: string, port: number): void {
  params.ip = ip;
  params.port = port;
  params.addr = isIPv6(ip) ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** Loopback, or one of this host's own interface addresses: where our seeder's announce comes from. */
function isOwnAddress(ip: string): boolean {
  const address = ip.replace(/^::ffff:/, '');
  if (address.startsWith('127.') || address === '::1') return true;
  return Object.values(networkInterfaces()).some((list) => list?.some((entry) => entry.address === address));
}

function listen(server: ReturnType<typeof createServer>, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(portError('tracker', port, error.code, error));
    };
    server.once('error', onError);
    server.listen({ port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
