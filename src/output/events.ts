// The events share-file reports: the --json lines on stdout, and what the views show a person.
import type { PeerStats } from '../seeding/seeder.ts';

export interface ReadyEvent {
  event: 'ready';
  infoHash: string;
  name: string;
  /** `file`, or `folder` for a multi-file torrent. */
  kind: 'file' | 'folder';
  /** Total bytes. */
  length: number;
  /** How many files the torrent holds (1 for a file). */
  files: number;
  torrent: string;
  torrentUrl: string;
  /** The content over plain HTTP (also the torrent's web seed); for a folder, a listing of its files. */
  webUrl: string;
  magnet: string;
  announce: string[];
  trackerPort: number;
  peerPort: number;
  ip: string;
  /** `ip:port` of the seeder, as the magnet's first `x.pe` carries it. */
  peer: string;
  /** Every `x.pe` of the magnet: the router's external address first, then the LAN and IPv6 ones. */
  peers: string[];
  /** The .torrent URL on the LAN, when torrentUrl is the internet one (routers often have no hairpin NAT). */
  lanTorrentUrl: string | undefined;
  /** The address IPv6 peers get from the tracker. */
  ip6: string | undefined;
  /** The router's external address, with a port mapping. */
  externalIp: string | undefined;
}

export interface PortMappedEvent {
  event: 'port-mapped';
  protocol: 'upnp' | 'nat-pmp';
  router: string;
  externalIp: string;
  /** Our port and the external port the router granted for it (they may differ). */
  trackerPort: number;
  externalTrackerPort: number;
  peerPort: number;
  externalPeerPort: number;
  /** Seconds, renewed at half-life while sharing; 0 from a router that grants only permanent mappings. */
  lifetime: number;
}

/** What share-file did to the host's firewall, once the ports listen (not with --firewall none). */
export interface FirewallEvent {
  event: 'firewall';
  /** `opened`; `nothing-to-open` (nothing filters, or the ports were open already); `left-alone` (a warning says why and what to run). */
  status: 'opened' | 'nothing-to-open' | 'left-alone';
  /** The firewalls changed: `firewalld`, `nftables`, `ufw`, `iptables`, `iptables-legacy`. */
  backends: ('firewalld' | 'nftables' | 'ufw' | 'iptables' | 'iptables-legacy')[];
  /** Where, for people: `firewalld zone public`, `nftables inet filter input`, `iptables-nft INPUT`. */
  places: string[];
  ports: number[];
}

export interface ProgressEvent {
  event: 'progress';
  /** Bytes sent since start, to peers and over HTTP. */
  uploaded: number;
  uploadRate: number;
  /** The part of `uploaded` sent over HTTP (browsers, curl, web seeding). */
  webUploaded: number;
  /** uploaded / file size. */
  ratio: number;
  completedPeers: number;
  peers: PeerStats[];
}

export interface HashingEvent {
  event: 'hashing';
  file: string;
  hashedBytes: number;
  totalBytes: number;
  cached: boolean;
}

/** Bytes [start, end) of a shared file (its path in the torrent) that no longer match the .torrent. */
export interface ChangedRange {
  file: string;
  start: number;
  end: number;
}

export type StopReason = 'SIGINT' | 'SIGTERM' | 'SIGHUP' | 'timeout' | 'exit-after';

export type ShareEvent =
  | HashingEvent
  | ReadyEvent
  | PortMappedEvent
  | FirewallEvent
  | { event: 'peer-connected'; peer: string; peerId: string; direction: 'incoming' | 'outgoing' }
  | { event: 'peer-disconnected'; peer: string; peerId: string }
  | ProgressEvent
  | { event: 'completed'; peer: string; peerId: string; via: 'bittorrent' | 'http'; completedPeers: number }
  | { event: 'warning'; message: string; changed?: ChangedRange[] }
  | { event: 'stopped'; reason: StopReason }
  | { event: 'error'; code: string; message: string };

/** What a person sees; one implementation draws bars, the other prints plain lines. */
export interface View {
  show(event: ShareEvent): void;
  /** An error line, printed so that it does not tangle with bars. */
  error(line: string): void;
  close(): void;
}
