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
  /** `ip:port` of the seeder, as the magnet's `x.pe` carries it. */
  peer: string;
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

export type StopReason = 'SIGINT' | 'SIGTERM' | 'SIGHUP' | 'timeout' | 'exit-after';

export type ShareEvent =
  | HashingEvent
  | ReadyEvent
  | { event: 'peer-connected'; peer: string; peerId: string }
  | { event: 'peer-disconnected'; peer: string; peerId: string }
  | ProgressEvent
  | { event: 'completed'; peer: string; peerId: string; via: 'bittorrent' | 'http'; completedPeers: number }
  | { event: 'warning'; message: string }
  | { event: 'stopped'; reason: StopReason }
  | { event: 'error'; code: string; message: string };

/** What a person sees; one implementation draws bars, the other prints plain lines. */
export interface View {
  show(event: ShareEvent): void;
  /** An error line, printed so that it does not tangle with bars. */
  error(line: string): void;
  close(): void;
}
