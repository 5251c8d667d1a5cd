// The one HTTP server share-file runs: the tracker's announces, and behind a secret token the
// .torrent and the content itself. Nothing else: no stats, no listing of what is shared.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOn } from '../host/listen.ts';
import { mark } from '../output/timeline.ts';
import { IDLE_TIMEOUT_MS, limitConnections } from './connection-limits.ts';
import type { Tracker } from './tracker.ts';
import { serveContent, type WebContent, type WebServed } from './web-seed.ts';

export interface HttpServerConfig {
  port: number;
  /** The secret every path but the tracker's starts with (see newToken). */
  token: string;
  torrentFile: Buffer;
  /**
   * The .torrent for a request's Host header: the same info, announcing to the URL the recipient
   * fetched it from (a LAN URL where the internet one does not loop back). Default: torrentFile.
   */
  torrentForHost?: (host: string | undefined) => Buffer;
  /** What is shared; its name places it: the .torrent is `/<token>/<name>.torrent`, the content `/<token>/<name>`. */
  content: WebContent;
  /** Absent when the torrent names other trackers (`--announce`). */
  tracker: Tracker | undefined;
  /** Whether a source address may use the server at all (`--allow`). */
  allows: (ip: string) => boolean;
}

export interface HttpServerEvents {
  served: [WebServed];
  'whole-file': [string];
}

export interface ServerPaths {
  /** `/<token>/<name>.torrent`: the only path that serves the .torrent. */
  torrentPath: string;
  /** `/<token>/<name>`: the file, or for a folder its listing (and its files below it). */
  contentPath: string;
  /** `/<token>.seed/`: the same below it, for the .torrent's `url-list`. */
  webSeedBase: string;
}

export interface HttpServerHandle extends ServerPaths {
  port: number;
  events: EventEmitter<HttpServerEvents>;
  close(): Promise<void>;
}

const WEB_SEED_SUFFIX = '.seed';
/** 24 random bytes: 192 bits, well past guessing. */
const TOKEN_BYTES = 24;

/** A fresh secret for the URLs; made before the server starts, as the .torrent carries it. */
export function newToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

export function serverPaths(token: string, name: string): ServerPaths {
  const encodedName = encodeURIComponent(name);
  return {
    torrentPath: `/${token}/${encodedName}.torrent`,
    contentPath: `/${token}/${encodedName}`,
    webSeedBase: `/${token}${WEB_SEED_SUFFIX}/`,
  };
}

export async function startHttpServer(config: HttpServerConfig): Promise<HttpServerHandle> {
  const events = new EventEmitter<HttpServerEvents>();
  const { token } = config;
  const { name } = config.content;
  const paths = serverPaths(token, name);
  const expected = digest(token);
  const hooks = { onBytes: (served: WebServed) => events.emit('served', served), onWholeFile: (ip: string) => events.emit('whole-file', ip) };

  const server = createServer({ connectionsCheckingInterval: 1000 }, (req, res) => {
    if (!config.allows(req.socket.remoteAddress ?? '')) {
      res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not allowed\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Length': 0 }).end();
      return;
    }
    const url = req.url ?? '/';
    const path = url.split('?', 1)[0] ?? '/';
    if (config.tracker?.handle(req, res, path, url)) return;
    const parts = decodeSegments(path);
    // `/<token>.seed/...` is the web seed written into the .torrent: the same content, but BitTorrent
    // clients there share the hand-out policy with the peers (base64url tokens never contain a dot).
    const head = parts?.[0] ?? '';
    const webSeed = head.endsWith(WEB_SEED_SUFFIX);
    // Compare digests of equal length in constant time: a wrong token costs what a right one does.
    if (!parts || !timingSafeEqual(digest(webSeed ? head.slice(0, -WEB_SEED_SUFFIX.length) : head), expected)) return notFound(res);
    const [, first, ...rest] = parts;
    if (first === `${name}.torrent` && rest.length === 0 && !webSeed) return sendTorrent(req, res, config.torrentForHost?.(req.headers.host) ?? config.torrentFile);
    if (first === name) return serveContent(req, res, rest, `/${head}/${encodeURIComponent(name)}`, config.content, { ...hooks, webSeed });
    notFound(res);
  });
  // Slow or idle clients must not hold sockets open forever: the request has 10 s for its headers
  // and 15 s in all (checked every second), and a response may go 30 s without progress (a slow
  // download that keeps reading is fine). See connection-limits.ts for the numbers.
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  server.keepAliveTimeout = 5_000;
  server.timeout = IDLE_TIMEOUT_MS;
  limitConnections(server);

  // The server owns the tracker from here on: it closes it, on failure as at the end.
  await listenOn(server, config.port, 'tracker').catch(async (error: unknown) => {
    await config.tracker?.close();
    throw error;
  });
  mark('http-listening');

  return {
    port: config.port,
    ...paths,
    events,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await config.tracker?.close();
    },
  };
}

/** `/a/b%20c` → ['a', 'b c']; undefined when a segment is not valid percent-encoding. */
function decodeSegments(path: string): string[] | undefined {
  try {
    return path.split('/').slice(1).map((segment) => decodeURIComponent(segment));
  } catch {
    return undefined;
  }
}

function sendTorrent(req: IncomingMessage, res: ServerResponse, torrentFile: Buffer): void {
  res.writeHead(200, {
    'Content-Type': 'application/x-bittorrent',
    'Content-Length': torrentFile.length,
    'Cache-Control': 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : torrentFile);
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

