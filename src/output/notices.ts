// Warnings about the shared content, worded once (files left out of a folder, changes on disk), and
// the event that says what the router maps.
import type { SharedContent } from '../content/source.ts';
import type { MappedPorts } from '../host/port-mapping/port-mapping.ts';
import type { PortMappedEvent, ShareEvent } from './events.ts';

type Emit = (event: ShareEvent) => void;

/** One line for what a folder's walk left out (junk, sockets, empty folders), the first five named. */
export function reportSkipped(source: SharedContent, emit: Emit): void {
  if (source.skipped.length === 0) return;
  const shown = source.skipped.slice(0, 5).join(', ');
  const more = source.skipped.length > 5 ? ` and ${source.skipped.length - 5} more` : '';
  emit({ event: 'warning', message: `left out of \`${source.path}\`: ${shown}${more}` });
}

/**
 * The reader's change callback: one line when a change is first seen, then one per changed piece,
 * thinned out (3, then powers of two) so that a VM writing all over its image does not flood a log.
 */
export function changeReporter(source: SharedContent, emit: Emit): (piece: number | undefined) => void {
  let changedPieces = 0;
  return (piece) => {
    if (piece === undefined) {
      emit({ event: 'warning', message: `\`${source.path}\` changed on disk while being shared; every piece is now checked before it is sent, and pieces that no longer match are not sent` });
      return;
    }
    changedPieces += 1;
    if (changedPieces <= 3 || Number.isInteger(Math.log2(changedPieces))) {
      emit({ event: 'warning', message: `piece ${piece} of \`${source.name}\` no longer matches the .torrent and is not sent (${changedPieces} such pieces so far); share it again once it has stopped changing` });
    }
  };
}

/** `port-mapped`: our ports and the external ones the router granted for them. */
export function portMappedEvent(mapped: MappedPorts, ports: { trackerPort: number; peerPort: number }): PortMappedEvent {
  return {
    event: 'port-mapped',
    protocol: mapped.protocol,
    router: mapped.router,
    externalIp: mapped.externalAddress,
    trackerPort: ports.trackerPort,
    externalTrackerPort: mapped.trackerPort,
    peerPort: ports.peerPort,
    externalPeerPort: mapped.peerPort,
    lifetime: mapped.lifetimeSeconds,
  };
}
