// Which address of our seeder each requester gets: the LAN address on our own networks, the router's
// external address (and mapped port) from elsewhere, and over IPv6 our IPv6 address in `peers6` (BEP 7).
import { isIPv4, isIPv6 } from 'node:net';
import bencode from 'bencode';
import { canonicalIp, unmapIPv4 } from '../host/ip.ts';

export interface SeederEndpoints {
  peerId: string;
  /** The port the seeder listens on, behind any router. */
  port: number;
  /** Our addresses as hosts on our own networks reach them. */
  lan: { ip4: string | undefined; ip6: string | undefined };
  /** The router's mapping, for IPv4 requesters from outside; undefined without one. */
  external: { ip: string; port: number } | undefined;
  /** Whether a requester is on one of our networks (so reaches the LAN address, hairpin NAT or not). */
  isLocal(ip: string): boolean;
}

export interface SeederEntries {
  ip4: { ip: string; port: number } | undefined;
  ip6: { ip: string; port: number } | undefined;
}

/** What one requester is told: IPv4 always (LAN or external), IPv6 to IPv6 requesters with an address to give. */
export function seederEntriesFor(requester: string, endpoints: SeederEndpoints): SeederEntries {
  const address = unmapIPv4(requester);
  const local = endpoints.isLocal(address);
  const ip4 =
    !local && endpoints.external ? endpoints.external : endpoints.lan.ip4 === undefined ? undefined : { ip: endpoints.lan.ip4, port: endpoints.port };
  const ip6 = isIPv6(address) && endpoints.lan.ip6 !== undefined ? { ip: endpoints.lan.ip6, port: endpoints.port } : undefined;
  return { ip4, ip6 };
}

/**
 * Rewrites an announce reply from bittorrent-tracker: the seeder's own entry (stored under whatever
 * address its announce was given) goes, and the entries for this requester come first; a `notice`
 * goes out as the reply's `warning message`, which clients show. Replies that are failures, or not
 * bencoded dictionaries, pass unchanged.
 */
export function rewriteAnnounceReply(body: Buffer, entries: SeederEntries, endpoints: SeederEndpoints, notice?: string): Buffer {
  let reply: Record<string, unknown>;
  try {
    reply = bencode.decode(body) as Record<string, unknown>;
  } catch {
    return body;
  }
  if (typeof reply !== 'object' || reply === null || 'failure reason' in reply) return body;
  const ours = new Set([endpoints.lan.ip4, endpoints.lan.ip6, endpoints.external?.ip].filter((ip) => ip !== undefined));
  const isSeeder = (ip: string, port: number): boolean => ours.has(ip) && (port === endpoints.port || port === endpoints.external?.port);
  if (reply.peers instanceof Uint8Array) {
    reply.peers = compactPeers(reply.peers, 6, isSeeder, entries.ip4);
    reply.peers6 = compactPeers(reply.peers6 instanceof Uint8Array ? reply.peers6 : new Uint8Array(), 18, isSeeder, entries.ip6);
  } else if (Array.isArray(reply.peers)) {
    const others = (reply.peers as Array<{ ip?: Uint8Array; port?: number }>).filter((peer) => !isSeeder(Buffer.from(peer.ip ?? []).toString(), peer.port ?? 0));
    const peerId = Buffer.from(endpoints.peerId, 'hex');
    const mine = [entries.ip4, entries.ip6].filter((entry) => entry !== undefined).map((entry) => ({ 'peer id': peerId, ip: entry.ip, port: entry.port }));
    reply.peers = [...mine, ...others];
  }
  if (notice !== undefined) reply['warning message'] = notice;
  return Buffer.from(bencode.encode(reply));
}

function compactPeers(list: Uint8Array, size: 6 | 18, isSeeder: (ip: string, port: number) => boolean, first: { ip: string; port: number } | undefined): Buffer {
  const kept: Buffer[] = first ? [compactEntry(first.ip, first.port)] : [];
  const bytes = Buffer.from(list);
  for (let offset = 0; offset + size <= bytes.length; offset += size) {
    const entry = bytes.subarray(offset, offset + size);
    const ip = size === 6 ? [...entry.subarray(0, 4)].join('.') : ipv6Text(entry.subarray(0, 16));
    if (!isSeeder(ip, entry.readUInt16BE(size - 2))) kept.push(entry);
  }
  return Buffer.concat(kept);
}

/** 6 bytes for IPv4, 18 for IPv6: the address, then the port, big-endian. */
export function compactEntry(ip: string, port: number): Buffer {
  const address = isIPv4(ip) ? Buffer.from(ip.split('.').map(Number)) : ipv6Bytes(ip);
  const portBytes = Buffer.alloc(2);
  portBytes.writeUInt16BE(port);
  return Buffer.concat([address, portBytes]);
}

function ipv6Bytes(ip: string): Buffer {
  const [head = '', tail] = ip.split('::');
  const groups = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const before = groups(head);
  const after = tail === undefined ? [] : groups(tail);
  const all = tail === undefined ? before : [...before, ...Array<string>(8 - before.length - after.length).fill('0'), ...after];
  const bytes = Buffer.alloc(16);
  all.forEach((group, index) => bytes.writeUInt16BE(Number.parseInt(group, 16) & 0xffff, index * 2));
  return bytes;
}

function ipv6Text(bytes: Buffer): string {
  const groups: string[] = [];
  for (let index = 0; index < 16; index += 2) groups.push(bytes.readUInt16BE(index).toString(16));
  return canonicalIp(groups.join(':'))!;
}
