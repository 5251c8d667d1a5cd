// What to hand the recipient, as a person reads it.
import { formatBytes, shellQuote } from './format.ts';
import type { ReadyEvent } from './report.ts';

export function recipientInstructions(ready: ReadyEvent): string {
  return [
    `share-file: sharing ${ready.name} (${formatBytes(ready.length)}), info hash ${ready.infoHash}`,
    'Hand the recipient one of these:',
    `  .torrent URL   ${ready.torrentUrl}`,
    `  .torrent file  ${ready.torrent}`,
    `  magnet         ${ready.magnet}`,
    `  with aria2c    aria2c --seed-time=0 ${shellQuote(ready.torrentUrl)}`,
    `Tracker on port ${ready.trackerPort}, seeding on ${ready.ip} port ${ready.peerPort}. Press Ctrl-C to stop.`,
  ].join('\n');
}
