// Pure address arithmetic: ranges, loopback, private and on-link tests. No sockets, no lookups.
import { BlockList, isIP } from 'node:net';
import type { NetworkInterfaceInfo } from 'node:os';

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) as the IPv4 address it is. */
export function unmapIpv4(ip: string): string {
  return ip.replace(/^::ffff:(?=\d+\.)/i, '');
}

/** An IPv6 address as `new URL` prints it (lower case, longest zero run shortened), for comparisons. */
export function canonicalIp(ip: string | undefined): string | undefined {
  if (ip === undefined || isIP(ip) !== 6) return ip;
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
}

export function isLoopback(ip: string): boolean {
  const address = unmapIpv4(ip);
  return address.startsWith('127.') || address === '::1';
}

const NOT_PUBLIC = new BlockList();
for (const [network, prefix] of [['10.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16], ['100.64.0.0', 10], ['169.254.0.0', 16], ['127.0.0.0', 8], ['192.0.2.0', 24], ['198.51.100.0', 24], ['203.0.113.0', 24], ['198.18.0.0', 15]] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [['fc00::', 7], ['fe80::', 10], ['::1', 128], ['2001:db8::', 32]] as const) NOT_PUBLIC.addSubnet(network, prefix, 'ipv6');

/** An address the internet routes to us: not private, shared (CGNAT), link-local, loopback or documentation. */
export function isPublic(ip: string): boolean {
  const address = unmapIpv4(ip);
  const family = isIP(address);
  if (family === 0) return false;
  return !NOT_PUBLIC.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/** Whether an address is on one of these interfaces' subnets (or loopback): a requester on our LAN. */
export function onLinkTest(interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>): (ip: string) => boolean {
  const list = new BlockList();
  list.addSubnet('127.0.0.0', 8, 'ipv4');
  list.addAddress('::1', 'ipv6');
  for (const entries of Object.values(interfaces)) {
    for (const entry of entries ?? []) {
      const [network, prefix] = (entry.cidr ?? '').split('/');
      if (!network || prefix === undefined) continue;
      list.addSubnet(networkAddress(network, entry.family === 'IPv6' ? 6 : 4, Number(prefix)), Number(prefix), entry.family === 'IPv6' ? 'ipv6' : 'ipv4');
    }
  }
  return (ip) => {
    const address = unmapIpv4(ip.split('%')[0] ?? '');
    const family = isIP(address);
    return family !== 0 && list.check(address, family === 6 ? 'ipv6' : 'ipv4');
  };
}

/** The range's first address, so that `10.1.2.3/8` reads `10.0.0.0/8` as iptables shows it. */
export function networkAddress(address: string, family: 4 | 6, prefix: number): string {
  const bytes = family === 4 ? address.split('.').map(Number) : expandIpv6(address);
  for (let bit = prefix; bit < bytes.length * 8; bit++) bytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
  if (family === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let index = 0; index < 16; index += 2) groups.push(((bytes[index]! << 8) | bytes[index + 1]!).toString(16));
  return compressIpv6(groups);
}

function expandIpv6(address: string): number[] {
  const [head = '', tail] = address.split('::');
  const parse = (part: string): string[] => (part === '' ? [] : part.split(':'));
  let groups = parse(head);
  if (tail !== undefined) {
    const after = parse(tail);
    groups = [...groups, ...Array<string>(8 - groups.length - after.length).fill('0'), ...after];
  }
  return groups.flatMap((group) => {
    const value = Number.parseInt(group, 16);
    return [value >> 8, value & 0xff];
  });
}

function compressIpv6(groups: string[]): string {
  let bestStart = -1;
  let bestLength = 0;
  for (let start = 0; start < groups.length; start++) {
    let length = 0;
    while (groups[start + length] === '0') length += 1;
    if (length > bestLength && length > 1) {
      bestStart = start;
      bestLength = length;
    }
  }
  if (bestStart < 0) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLength).join(':')}`;
}

