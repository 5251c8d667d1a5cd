// Scripted hostile peers for the end-to-end tests: each attack keeps its connections open (opening
// a new one whenever the seeder closes one) until stopped, and counts what the seeder closed.
import { setTimeout as sleep } from 'node:timers/promises';
import bencode from 'bencode';
import { connectRaw, handshakeBytes, messageBytes, type RawPeer } from './peer-wire.ts';

const BLOCK = 16 * 1024;

export interface Target {
  port: number;
  infoHash: string;
  pieceLength: number;
  /** The torrent's length: offsets past it wrap around. */
  size: number;
}

export interface Attack {
  /** The attack's connections as the seeder's peer events name them: `127.0.0.2:40123`. */
  addresses: Set<string>;
  stop(): Promise<void>;
}

/**
 * How many of the attack's connections the seeder closed, by its `peer-disconnected` events: a
 * peer that does not read cannot tell, since the seeder's FIN waits behind the data it never reads.
 */
export function closedBySeeder(events: Array<{ event: string; peer?: unknown }>, attack: Attack): number {
  return events.filter((event) => event.event === 'peer-disconnected' && attack.addresses.has(String(event.peer))).length;
}

/** A request or cancel for the block at `offset` of the torrent. */
function blockMessage(id: 6 | 8, target: Target, at: number): Buffer {
  const offset = at % target.size;
  return messageBytes(id, Math.floor(offset / target.pieceLength), offset % target.pieceLength, BLOCK);
}

/** Requests for every block of `bytes` from `from` on. */
function requestsFor(target: Target, from: number, bytes: number): Buffer {
  const messages: Buffer[] = [];
  for (let offset = from; offset < from + bytes; offset += BLOCK) messages.push(blockMessage(6, target, offset));
  return Buffer.concat(messages);
}

/** Writes, waiting while the socket's queue is full: the attacker's own memory stays small. */
async function write(peer: RawPeer, bytes: Buffer): Promise<void> {
  if (peer.isClosed() || peer.socket.write(bytes)) return;
  await Promise.race([new Promise((resolve) => peer.socket.once('drain', resolve)), peer.closed]);
}

/** Opens `count` connections that `behave` until stopped (or closed). */
function attack(target: Target, count: number, behave: (peer: RawPeer, running: () => boolean) => Promise<void>, options: { read?: boolean; hosts?: number } = {}): Attack {
  let running = true;
  const addresses = new Set<string>();
  const open: RawPeer[] = [];
  const one = async (at: number): Promise<void> => {
    // Spread over `hosts` loopback addresses, 127.0.0.2 and up: past the seeder's limit per address.
    const localAddress = options.hosts ? `127.0.0.${2 + (at % options.hosts)}` : undefined;
    const peer = await connectRaw('127.0.0.1', target.port, { read: options.read, localAddress });
    addresses.add(`${peer.socket.localAddress!}:${peer.socket.localPort!}`);
    open.push(peer);
    await Promise.race([behave(peer, () => running && !peer.isClosed()), peer.closed]);
  };
  const all = Promise.allSettled(Array.from({ length: count }, (_, at) => one(at)));
  return {
    addresses,
    stop: async () => {
      running = false;
      for (const peer of open) peer.socket.destroy();
      await all;
    },
  };
}

/** Asks for 10 MiB it never reads, then requests and cancels blocks in a loop. */
export function requestAndCancel(target: Target): Attack {
  return attack(
    target,
    1,
    async (peer, running) => {
      await write(peer, Buffer.concat([handshakeBytes(target.infoHash, { fast: true }), messageBytes(2), requestsFor(target, 0, 10 * 1024 * 1024)]));
      // Blocks past the first 10 MiB, each asked for and cancelled at once, 512 at a time.
      for (let round = 0; running(); round++) {
        const pairs: Buffer[] = [];
        for (let at = 0; at < 512; at++) {
          const offset = 10 * 1024 * 1024 + ((round * 512 + at) % 1024) * BLOCK;
          pairs.push(blockMessage(6, target, offset), blockMessage(8, target, offset));
        }
        await write(peer, Buffer.concat(pairs));
        await sleep(1);
      }
    },
    { read: false },
  );
}

/** `count` connections from 8 addresses that ask for the info dictionary again and again (ut_metadata) and never read. */
export function metadataFlood(target: Target, count: number): Attack {
  const ourId = 3;
  const extendedHandshake = Buffer.from(bencode.encode({ m: { ut_metadata: ourId } }));
  const extended = (id: number, payload: Buffer): Buffer => {
    const bytes = Buffer.alloc(6);
    bytes.writeUInt32BE(2 + payload.length, 0);
    bytes[4] = 20;
    bytes[5] = id;
    return Buffer.concat([bytes, payload]);
  };
  // The seeder calls its ut_metadata 1 (its extended handshake says so; not read here).
  const askPieceZero = extended(1, Buffer.from(bencode.encode({ msg_type: 0, piece: 0 })));
  const burst = Buffer.concat(Array.from({ length: 20 }, () => askPieceZero));
  return attack(
    target,
    count,
    async (peer, running) => {
      await write(peer, Buffer.concat([handshakeBytes(target.infoHash), extended(0, extendedHandshake)]));
      while (running()) {
        await write(peer, burst);
        await sleep(100);
      }
    },
    { read: false, hosts: 8 },
  );
}

/** `count` connections that each ask for `bytes` and then read one block's worth every `everyMs`. */
export function slowReaders(target: Target, count: number, bytes: number, everyMs: number): Attack {
  let next = 0;
  return attack(
    target,
    count,
    async (peer, running) => {
      // Each connection asks for its own part of the file, as recipients fetching different pieces do.
      const from = next++ * bytes;
      await write(peer, Buffer.concat([handshakeBytes(target.infoHash, { fast: true }), messageBytes(2), requestsFor(target, from, bytes)]));
      while (running()) {
        await sleep(everyMs);
        peer.socket.read(BLOCK);
      }
    },
    { read: false },
  );
}
