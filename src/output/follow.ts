// Following the recipients while sharing: what the seeder, the HTTP server and the tracker see,
// turned into events (connections, completions counted once per recipient, progress) until a stop.
import type { CleanupStack } from '../cleanup.ts';
import type { SharedContent } from '../content/source.ts';
import { ShareFileError } from '../errors.ts';
import { formatAddress, unmapIPv4 } from '../host/ip.ts';
import type { HttpServerHandle } from '../http/server.ts';
import type { Tracker } from '../http/tracker.ts';
import type { SeederHandle } from '../seeding/seeder.ts';
import type { ShareEvent, StopReason } from './events.ts';
import { ProgressMeter, RecipientTally } from './tally.ts';

const PROGRESS_INTERVAL_MS = 1000;

export interface Following {
  /** Stop cleanly once this many recipients have everything (`--exit-after`). */
  exitAfter: number | undefined;
  source: SharedContent;
  seeder: SeederHandle;
  http: HttpServerHandle;
  tracker: Tracker | undefined;
  ownPeerId: string;
  emit: (event: ShareEvent) => void;
  stop: AbortController;
  cleanup: CleanupStack;
}

/** Reports connections, completions and progress until a stop; resolves with its reason. */
export async function followRecipients({ exitAfter, source, seeder, http, tracker, ownPeerId, emit, stop, cleanup }: Following): Promise<StopReason> {
  const tally = new RecipientTally(({ peerId, peer, via, completedPeers }) => {
    emit({ event: 'completed', peer, peerId, via, completedPeers });
    if (exitAfter !== undefined && completedPeers >= exitAfter) stop.abort('exit-after' satisfies StopReason);
  });
  seeder.events.on('peer-connected', (peer) => {
    tally.seen(peer, 'wire');
    emit({ event: 'peer-connected', peer: peer.address, peerId: peer.peerId, direction: peer.direction });
  });
  seeder.events.on('peer-disconnected', (peer) => emit({ event: 'peer-disconnected', peer: peer.address, peerId: peer.peerId }));
  seeder.events.on('peer-identified', (peer) => tally.seen(peer, 'wire'));
  // Sent every piece by us: it has the file, even if it leaves without a word (webtorrent-cli
  // closes at once, its last `have`s unsent, and announces `stopped` with no `left`).
  seeder.events.on('peer-received-all', (peer) => tally.received(peer, peer.address));
  seeder.events.on('peer-completed', (peer) => tally.claimed(peer, peer.address, 'wire'));
  seeder.events.on('whole-copy', () => tally.wholeCopyOut());
  // The HTTP server listens on IPv6 too: an IPv4 recipient's address comes as `::ffff:10.0.0.2`.
  http.events.on('whole-file', (address) => tally.completedOverHttp(unmapIPv4(address)));
  tracker?.events.on('announce', (announced) => {
    if (announced.peerId === ownPeerId) return;
    const sighting = { peerId: announced.peerId, ip: announced.ip, listenPort: announced.port };
    tally.seen(sighting);
    // A recipient that finished while talking to other recipients tells the tracker, not us: with a
    // `completed` announce, or (aria2c with --seed-time=0) only a `stopped` one with nothing left.
    if (announced.event === 'completed' || announced.left === 0) tally.claimed(sighting, formatAddress(announced.ip, announced.port), 'tracker');
  });

  let webUploaded = 0;
  http.events.on('served', ({ bytes, offset }) => {
    webUploaded += bytes;
    if (seeder.copies.servedOverHttp(offset, bytes) && seeder.copies.confirm()) tally.wholeCopyOut();
  });
  const meter = new ProgressMeter(source.length);
  const reportProgress = (always: boolean): void => {
    const event = meter.next(seeder.stats(), webUploaded, tally.completed, always);
    if (event) emit(event);
  };
  const progress = setInterval(() => reportProgress(false), PROGRESS_INTERVAL_MS);
  cleanup.defer('the progress timer', () => clearInterval(progress));

  const reason = await waitForStop(stop.signal, seeder);
  // The final totals, for scripts that want to know how much was sent.
  reportProgress(true);
  return reason;
}

/** Resolves when a stop is requested; rejects when the seeder fails for good. */
function waitForStop(stopSignal: AbortSignal, seeder: SeederHandle): Promise<StopReason> {
  return new Promise((resolve, reject) => {
    if (stopSignal.aborted) {
      resolve(stopSignal.reason as StopReason);
      return;
    }
    stopSignal.addEventListener('abort', () => resolve(stopSignal.reason as StopReason), { once: true });
    seeder.events.once('error', (error: Error) => {
      reject(new ShareFileError('INTERNAL', `seeding failed: ${error.message}`, { cause: error }));
    });
  });
}
