// The seeder's announces: it tells the trackers it seeds, so they hand it to recipients.
import Client from 'bittorrent-tracker/client';

export interface AnnouncerConfig {
  infoHash: string;
  peerId: string;
  /** The peer port recipients connect to. */
  port: number;
  /** http(s):// and udp:// announce URLs. */
  announce: string[];
  userAgent: string;
  /** Bytes sent so far, reported with each announce. */
  uploaded: () => number;
  /** A tracker did not answer or refused; seeding goes on, recipients may reach us another way. */
  onWarning: (error: Error) => void;
}

export interface Announcer {
  /** Sends `stopped`, waits for the answers up to bittorrent-tracker's own short limit, then closes. */
  stop(): Promise<void>;
}

export function startAnnouncing(config: AnnouncerConfig): Announcer {
  const client = new Client({
    infoHash: config.infoHash,
    peerId: config.peerId,
    port: config.port,
    announce: config.announce,
    userAgent: config.userAgent,
    // A seeder with nothing left; it asks for no peers, because it waits for recipients to connect.
    getAnnounceOpts: () => ({ uploaded: config.uploaded(), downloaded: 0, left: 0, numwant: 0 }),
  });
  client.on('warning', config.onWarning);
  // The client's errors are about one tracker too (a bad response): not a reason to stop seeding.
  client.on('error', config.onWarning);
  client.start();
  return {
    stop: () =>
      new Promise((resolve) => {
        client.stop();
        client.destroy(() => resolve());
      }),
  };
}
