// Where recipients find everything: the announce URL, and under one random token the .torrent,
// the content and the web seed, all on our one HTTP server.
import type { SharedContent } from '../content/source.ts';
import { urlHost } from '../host/ip.ts';
import type * as HttpServer from './server.ts';

export interface ShareUrls {
  ownTracker: boolean;
  announce: string[];
  token: string;
  torrentUrl: string;
  webUrl: string;
  webSeed: string;
}

/**
 * Where recipients find everything: under one random token on our HTTP server. BEP 19: a single
 * file's web seed is the file's URL; for a folder, clients append the name and each file's path to
 * a URL that ends in `/`.
 */
export function shareUrls(otherTrackers: string[], source: SharedContent, hostname: string, trackerPort: number, token: string, httpServer: typeof HttpServer): ShareUrls {
  const ownTracker = otherTrackers.length === 0;
  const server = `http://${urlHost(hostname)}:${trackerPort}`;
  const paths = httpServer.serverPaths(token, source.name);
  const content = `${server}${paths.contentPath}`;
  return {
    ownTracker,
    announce: ownTracker ? [`${server}/announce`] : otherTrackers,
    token,
    torrentUrl: `${server}${paths.torrentPath}`,
    webUrl: source.kind === 'folder' ? `${content}/` : content,
    webSeed: `${server}${paths.webSeedBase}${source.kind === 'folder' ? '' : encodeURIComponent(source.name)}`,
  };
}
