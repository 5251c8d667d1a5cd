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
  onWarning: (url: string, error: Error) => void;
}

export interface Announcer {
  /** Sends `stopped`, waits for the answers up to bittorrent-tracker's own short limit, then closes. */
  stop(): Promise<void>;
}

export function startAnnouncing(config: AnnouncerConfig): Announcer {
  // One client per tracker, so that a warning can say which tracker it is about.
  const clients = config.announce.map((url) => {
    const client = new Client({
      infoHash: config.infoHash,
      peerId: config.peerId,
      port: config.port,
      announce: [url],
      userAgent: config.userAgent,
      // A seeder with nothing left; it asks for no peers, because it waits for recipients to connect.
      getAnnounceOpts: () => ({ uploaded: config.uploaded(), downloaded: 0, left: 0, numwant: 0 }),
    });
    client.on('warning', (error: Error) => config.onWarning(url, error));
    // The client's errors are about its tracker too (a bad response): not a reason to stop seeding.
    client.on('error', (error: Error) => config.onWarning(url, error));
    client.start();
    return client;
  });
  return {
    stop: () =>
      Promise.all(
        clients.map(
          (client) =>
            new Promise<void>((resolve) => {
              client.stop();
              client.destroy(() => resolve());
            }),
        ),
      ).then(() => {}),
  };
}
