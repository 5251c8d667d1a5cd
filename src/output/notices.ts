// Warnings about the shared content, worded once (files left out of a folder, byte ranges changed
// on disk), and the event that says what the router maps.
import type { CleanupStack } from '../cleanup.ts';
import { changedForRecipients, describeRange, mergeRanges, nameInTorrent, type FileRange } from '../content/changed-ranges.ts';
import type { PieceChange } from '../content/piece-check.ts';
import type { SharedContent } from '../content/source.ts';
import type { MappedPorts } from '../host/port-mapping/port-mapping.ts';
import type { ChangedRange, PortMappedEvent, ShareEvent } from './events.ts';
import { shellQuote } from './format.ts';

type Emit = (event: ShareEvent) => void;

/** One line for what a folder's walk left out (junk, sockets, empty folders), the first five named. */
export function reportSkipped(source: SharedContent, emit: Emit): void {
  if (source.skipped.length === 0) return;
  const shown = source.skipped.slice(0, 5).join(', ');
  const more = source.skipped.length > 5 ? ` and ${source.skipped.length - 5} more` : '';
  emit({ event: 'warning', message: `left out of \`${source.path}\`: ${shown}${more}` });
}

/** Changed pieces found within this long make one warning; the wait doubles after each, up to a minute. */
const FIRST_CHANGE_DELAY_MS = 1000;
const MAX_CHANGE_DELAY_MS = 60_000;
/** Ranges named in one warning's message (the --json `changed` field has them all). */
const RANGES_SHOWN = 8;
/** Ranges named to recipients: a client shows the line as it comes. */
const RANGES_FOR_RECIPIENTS = 3;

/**
 * The reader's change callback: one line when a change is first seen; then, as changed pieces are
 * found, a warning naming the byte ranges (per file) that are no longer sent and the command that
 * shares the current version. Pieces found close together make one warning, and the pause between
 * warnings grows, so that a VM writing all over its image does not flood a log. Recipients learn of
 * the ranges from our tracker's replies (`forRecipients`): the BitTorrent wire has no words for it.
 */
export function changeReporter(source: SharedContent, emit: Emit, cleanup: Pick<CleanupStack, 'defer'>): ChangeReporter {
  let found: FileRange[] = [];
  let pieces = 0;
  let timer: NodeJS.Timeout | undefined;
  let delay = FIRST_CHANGE_DELAY_MS;
  const report = (): void => {
    timer = undefined;
    found = mergeRanges(found);
    const changed = found.map((range) => ({ file: nameInTorrent(source, range.file), start: range.start, end: range.end }));
    emit({ event: 'warning', message: changedMessage(source, changed, pieces), changed });
    delay = Math.min(MAX_CHANGE_DELAY_MS, delay * 2);
  };
  const onChange = (change: PieceChange | undefined): void => {
    if (change === undefined) {
      emit({ event: 'warning', message: `\`${source.path}\` changed on disk while being shared; every piece is now checked before it is sent, and pieces that no longer match are refused` });
      return;
    }
    pieces += 1;
    found.push(...change.parts);
    timer ??= setTimeout(report, delay).unref();
  };
  // A warning still waiting when the share stops is given at once, before `stopped`.
  cleanup.defer('the change warning', () => {
    if (timer === undefined) return;
    clearTimeout(timer);
    report();
  });
  const forRecipients = (): string | undefined => {
    if (found.length === 0) return undefined;
    found = mergeRanges(found);
    return changedForRecipients(found, (file) => nameInTorrent(source, file), RANGES_FOR_RECIPIENTS);
  };
  return { onChange, forRecipients };
}

export interface ChangeReporter {
  /** The reader's change callback. */
  onChange: (change: PieceChange | undefined) => void;
  /** What recipients are told, once pieces were found changed. */
  forRecipients: () => string | undefined;
}

/** The changed ranges, the first few named, and how to share the content as it is now. */
export function changedMessage(source: Pick<SharedContent, 'path' | 'name' | 'kind'>, changed: ChangedRange[], pieces: number): string {
  const named = changed.slice(0, RANGES_SHOWN).map((range) => `\`${range.file}\` ${describeRange(range)}`);
  const more = changed.length > RANGES_SHOWN ? ` and ${changed.length - RANGES_SHOWN} more ranges` : '';
  const where = source.kind === 'folder' ? ` of \`${source.name}\`` : '';
  const count = `${pieces} piece${pieces === 1 ? '' : 's'} so far`;
  return `changed on disk${where}: ${named.join(', ')}${more} no longer match the .torrent and are not sent (${count}); to share the current version, stop and run \`share-file ${shellQuote(source.path)}\` again, and hand over the new .torrent`;
}

/** A file's name as recipients see it: its path in the torrent, or the file's name alone. */

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
