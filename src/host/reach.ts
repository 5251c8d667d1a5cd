// Where recipients reach us: the router query that runs while the file hashes, and from its answer
// the URLs and peer addresses handed out (the internet's, and the LAN's for routers without hairpin NAT).
import type { CleanupStack } from '../cleanup.ts';
import type { PortMapMode } from '../options.ts';
import { isPublic } from './cidr.ts';
import { formatAddress, isLoopback, urlHost } from './ip.ts';
import type { PortMapper } from './port-mapping/mapper.ts';
import type { MappedPorts } from './port-mapping/port-mapping.ts';

export type RouterQuery = Promise<{ mapper: PortMapper | undefined; notices: string[] }>;

/**
 * Asks the router (auto, upnp, nat-pmp) without waiting for it. auto stays quiet where a router
 * cannot help: a share kept on loopback, or an address the internet already reaches.
 */
export function askRouter(mode: PortMapMode, visibleIp: string, urlHost: string): RouterQuery | undefined {
  if (mode === 'none') return undefined;
  if (mode === 'auto' && (isLoopback(visibleIp) || isLoopback(urlHost) || urlHost === 'localhost' || isPublic(visibleIp))) return undefined;
  const query = import('./port-mapping/port-mapping.ts').then(({ findRouter }) => findRouter(mode));
  query.catch(() => {});
  return query;
}

/** Maps the ports on the router that answered; undefined without one (a notice said why). */
export async function mapOnRouter(
  query: RouterQuery | undefined,
  ports: { trackerPort: number; peerPort: number },
  options: { required: boolean; cleanup: CleanupStack; onNotice: (message: string) => void },
): Promise<MappedPorts | undefined> {
  if (!query) return undefined;
  const { mapper, notices } = await query;
  for (const notice of notices) options.onNotice(notice);
  if (!mapper) return undefined;
  const [{ mapPorts }, { isShareFileRunning }] = await Promise.all([import('./port-mapping/port-mapping.ts'), import('./firewall.ts')]);
  return mapPorts(mapper, ports, { ...options, pid: process.pid, isRunning: isShareFileRunning });
}

export interface Reach {
  /** The host (name or address) of the URLs on our own networks. */
  urlHost: string;
  /** The address IPv4 (or, given as --ip, IPv6) peers on our networks get. */
  ip: string;
  ip6: string | undefined;
  trackerPort: number;
  peerPort: number;
  /** The router's mapping: recipients outside reach us at its external address and ports. */
  mapped: MappedPorts | undefined;
  /** A name given with -H: it goes into the internet URL too (a dynamic DNS name, say). */
  givenName: string | undefined;
}

export interface ServerBases {
  /** What to hand out first: the internet URL with a mapping, else the LAN one. */
  primary: string;
  /** Every URL of our HTTP server, the primary first. */
  all: string[];
  /** The LAN URL when it differs from the primary. */
  lan: string | undefined;
}

/** `http://host:port` of our HTTP server, once per way in. */
export function serverBases(reach: Reach): ServerBases {
  const internetHost = reach.givenName !== undefined && !/^[\d.]+$|:/.test(reach.givenName) ? reach.givenName : reach.mapped?.externalAddress;
  const internet = reach.mapped && internetHost ? `http://${urlHost(internetHost)}:${reach.mapped.trackerPort}` : undefined;
  // A name given with -H that now heads the internet URL (it resolves to the router, say) gives way
  // on the LAN to our address there: without hairpin NAT the router would not loop it back.
  const lanHost = internet !== undefined && internetHost === reach.urlHost ? reach.ip : reach.urlHost;
  const lan = `http://${urlHost(lanHost)}:${reach.trackerPort}`;
  const ipv6 = reach.ip6 !== undefined && reach.ip6 !== reach.urlHost ? `http://${urlHost(reach.ip6)}:${reach.trackerPort}` : undefined;
  const all = [...new Set([internet, lan, ipv6].filter((url) => url !== undefined))];
  return { primary: all[0]!, all, lan: internet !== undefined && internet !== lan ? lan : undefined };
}

/** The magnet's `x.pe` peers: the router's external address first, then ours on the LAN and over IPv6. */
export function handOutPeers(reach: Reach): string[] {
  const peers = [
    reach.mapped ? formatAddress(reach.mapped.externalAddress, reach.mapped.peerPort) : undefined,
    formatAddress(reach.ip, reach.peerPort),
    reach.ip6 !== undefined && reach.ip6 !== reach.ip ? formatAddress(reach.ip6, reach.peerPort) : undefined,
  ];
  return [...new Set(peers.filter((peer) => peer !== undefined))];
}

/**
 * The .torrent a request gets, by its Host header: announcing to the URL it was fetched from, so a
 * LAN recipient is sent to the LAN tracker. Unknown hosts get the default; the info hash never changes.
 */
export function torrentByHost(urls: string[], build: (url: string) => Buffer, fallback: Buffer): (host: string | undefined) => Buffer {
  const byHost = new Map(urls.map((url) => [new URL(url).host, build(url)]));
  return (host) => {
    if (host === undefined || host.length > 300) return fallback;
    try {
      return byHost.get(new URL(`http://${host}`).host) ?? fallback;
    } catch {
      return fallback;
    }
  };
}
