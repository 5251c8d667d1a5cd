// What to hand the recipient, as a person reads it.
import { formatBytes, shellQuote } from './format.ts';
import type { FirewallEvent, PortMappedEvent, ReadyEvent } from './events.ts';

/** `atTerminal`: someone can press Ctrl-C; a log under cron or systemd is not told to. */
export function recipientInstructions(ready: ReadyEvent, atTerminal: boolean): string {
  const what = ready.kind === 'folder' ? `the folder ${ready.name} (${ready.files} files, ${formatBytes(ready.length)})` : `${ready.name} (${formatBytes(ready.length)})`;
  const tracker = ready.announce.some((url) => url.includes(`:${ready.trackerPort}/announce`))
    ? `Tracker and web server on port ${ready.trackerPort}`
    : `Trackers ${ready.announce.join(', ')}; web server on port ${ready.trackerPort}`;
  const plainHttp =
    ready.kind === 'folder'
      ? `  in a browser   ${ready.webUrl}`
      : `  with curl      curl -fC - -o ${shellQuote(ready.name)} ${shellQuote(ready.webUrl)}`;
  return [
    `share-file: sharing ${what}, info hash ${ready.infoHash}`,
    'Hand the recipient one of these:',
    `  .torrent URL   ${ready.torrentUrl}`,
    ...(ready.lanTorrentUrl ? [`  on the LAN     ${ready.lanTorrentUrl}`] : []),
    `  .torrent file  ${ready.torrent}`,
    `  magnet         ${ready.magnet}`,
    `  with aria2c    aria2c --seed-time=0 ${shellQuote(ready.torrentUrl)}`,
    plainHttp,
    `${tracker}; seeding at ${ready.peer} (the magnet's x.pe, for clients that start from it).${atTerminal ? ' Press Ctrl-C to stop.' : ''}`,
  ].join('\n');
}

export function portMappedLine(mapped: PortMappedEvent): string {
  const name = mapped.protocol === 'upnp' ? 'UPnP' : 'NAT-PMP';
  const lease = mapped.lifetime === 0 ? 'until share-file stops' : `for ${Math.round(mapped.lifetime / 60)} min at a time, renewed while sharing`;
  return `share-file: the ${name} router at ${mapped.router} forwards ${mapped.externalIp} ports ${mapped.externalTrackerPort} and ${mapped.externalPeerPort} to ports ${mapped.trackerPort} and ${mapped.peerPort} here, ${lease}`;
}

/** What share-file did to the firewall, naming the backend; nothing when a warning already said it. */
export function firewallLine(firewall: FirewallEvent): string | undefined {
  const ports = `ports ${firewall.ports.join(' and ')}`;
  if (firewall.status === 'opened') return `share-file: opened ${ports} in ${firewall.places.join('; ')}, until share-file stops`;
  if (firewall.status === 'nothing-to-open') return `share-file: found nothing that blocks ${ports} here (firewalld, nftables input chains, iptables); the firewall is left as it is`;
  return undefined;
}

/** How run() words a clean-up step that failed; the views then stop short of "everything is undone". */
export const UNDO_FAILED = 'could not undo ';
