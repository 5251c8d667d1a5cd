// Where recipients find everything: the announce URL, and under one random token the .torrent,
// the content and the web seed, all on our one HTTP server, reached by one URL per way in.
import type { SharedContent } from '../content/source.ts';
import type * as HttpServer from './server.ts';

export interface ServerUrls {
  torrentUrl: string;
  webUrl: string;
  webSeed: string;
}

export interface ShareUrls extends ServerUrls {
  ownTracker: boolean;
  announce: string[];
  token: string;
  /** The same paths on another of our server's URLs (`http://host:port`): the LAN's, IPv6's. */
  at(server: string): ServerUrls;
}

/**
 * Where recipients find everything: under one random token on our HTTP server, whose URLs come
 * primary first (the internet's when the router maps our ports). BEP 19: a single file's web seed
 * is the file's URL; for a folder, clients append the name and each file's path to a URL that ends in `/`.
 */
export function shareUrls(otherTrackers: string[], source: SharedContent, servers: string[], token: string, httpServer: typeof HttpServer): ShareUrls {
  const ownTracker = otherTrackers.length === 0;
  const paths = httpServer.serverPaths(token, source.name);
  const at = (server: string): ServerUrls => {
    const content = `${server}${paths.contentPath}`;
    return {
      torrentUrl: `${server}${paths.torrentPath}`,
      webUrl: source.kind === 'folder' ? `${content}/` : content,
      webSeed: `${server}${paths.webSeedBase}${source.kind === 'folder' ? '' : encodeURIComponent(source.name)}`,
    };
  };
  return {
    ownTracker,
    announce: ownTracker ? servers.map((server) => `${server}/announce`) : otherTrackers,
    token,
    ...at(servers[0]!),
    at,
  };
}
